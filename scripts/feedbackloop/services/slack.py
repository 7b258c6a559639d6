"""Slack, through slack-sdk: post and update interview summaries, find them again, remind people.

Thin: one method per Web API call, plain return values, the shared retries and budget. slack-sdk's own
retry handlers are off: its default one re-sends a post whose answer was lost, which doubles a message.
"""

from __future__ import annotations

import functools
import http.client
import socket
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from feedbackloop.services.retry import Budget, Failure, Policy, ServiceError, call, retry_after_seconds

T = TypeVar("T")

SERVICE = "slack"
EVENT_TYPE = "feedbackloop_interview"  # message metadata: how a summary is found again
HISTORY_PAGE = 200


@dataclass(frozen=True, slots=True)
class Message:
    channel: str
    ts: str
    text: str
    metadata: dict[str, Any]


_FIXES = {
    "not_in_channel": "invite the feedbackloop app to the channel (/invite @feedbackloop)",
    "channel_not_found": "check `slack_channel` in pyproject.toml: it is the channel id (C…), not its name",
    "invalid_auth": "SLACK_BOT_TOKEN is not valid: check the secret",
    "not_authed": "SLACK_BOT_TOKEN is empty",
    "missing_scope": (
        "add the scopes chat:write, channels:history, groups:history, im:write and im:history to the app"
    ),
    "invalid_blocks": "a template made blocks Slack refuses: check templates/slack-summary.json.j2",
}


class Slack:
    def __init__(self, token: str, api_url: str, policy: Policy, budget: Budget) -> None:
        self.policy = policy
        self.budget = budget
        base = api_url if api_url.endswith("/") else api_url + "/"
        # Typed int, but handed to urllib, which takes seconds as a float: int() made 0.5 s 0.
        timeout = cast(int, policy.timeout)
        self.client = WebClient(token=token, base_url=base, timeout=timeout, retry_handlers=[])

    def _classify(self, error: Exception) -> Failure | None:
        if isinstance(error, SlackApiError):
            response = error.response
            code = str(response.get("error", "")) if response.data else ""
            if response.status_code == 429 or code == "ratelimited":
                wait = retry_after_seconds(response.headers, self.policy.clock())
                return Failure(429, "rate limited", 30.0 if wait is None else wait)
            if response.status_code >= 500:
                return Failure(response.status_code, f"HTTP {response.status_code}")
            transient = code in ("internal_error", "fatal_error", "service_unavailable", "request_timeout")
            # Slack documents these two as "it's possible some aspect of the operation succeeded"
            uncertain = code in ("internal_error", "fatal_error")
            return Failure(200, code or "refused", None, transient, _FIXES.get(code, ""), uncertain)
        if isinstance(
            error,
            urllib.error.URLError
            | http.client.HTTPException
            | ConnectionError
            | socket.timeout
            | TimeoutError,
        ):
            return Failure(None, f"no answer ({type(error).__name__})")
        return None

    def _call(self, what: str, fn: Callable[[], T], *, idempotent: bool) -> T:
        return call(
            fn,
            service=SERVICE,
            what=what,
            classify=self._classify,
            policy=self.policy,
            budget=self.budget,
            idempotent=idempotent,
        )

    def post(
        self, channel: str, text: str, blocks: list[dict[str, Any]], metadata: dict[str, Any] | None
    ) -> str:
        """Post a message; its ts. Never with link_names or parse=full: text from files pings nobody."""
        extra: dict[str, Any] = {"metadata": metadata} if metadata else {}
        response = self._call(
            "post to Slack",
            lambda: self.client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False, **extra
            ),
            idempotent=False,
        )
        return str(response["ts"])

    def update(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]], metadata: dict[str, Any] | None
    ) -> bool:
        """Rewrite a message in place; False when it is gone (deleted by someone)."""
        extra: dict[str, Any] = {"metadata": metadata} if metadata else {}
        try:
            self._call(
                "update a Slack message",
                lambda: self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks, **extra),
                idempotent=True,
            )
        except ServiceError as error:
            if "message_not_found" in error.message:
                return False
            raise
        return True

    def delete(self, channel: str, ts: str) -> None:
        try:
            self._call(
                "delete a Slack message",
                lambda: self.client.chat_delete(channel=channel, ts=ts),
                idempotent=True,
            )
        except ServiceError as error:
            if "message_not_found" not in error.message:
                raise

    def permalink(self, channel: str, ts: str) -> str:
        response = self._call(
            "read a message's link",
            lambda: self.client.chat_getPermalink(channel=channel, message_ts=ts),
            idempotent=True,
        )
        return str(response["permalink"])

    def history(self, channel: str, oldest: float) -> list[Message]:
        """The channel's messages since `oldest` (a Unix time), with their metadata; one request per page."""
        messages: list[Message] = []
        cursor: str | None = None
        while True:
            page = functools.partial(
                self.client.conversations_history,
                channel=channel,
                oldest=f"{oldest:.6f}",
                include_all_metadata=True,
                limit=HISTORY_PAGE,
                cursor=cursor,
            )
            response = self._call("read the channel's history", page, idempotent=True)
            raws: list[dict[str, Any]] = response.get("messages", [])
            for raw in raws:
                messages.append(Message(channel, raw["ts"], raw.get("text", ""), raw.get("metadata") or {}))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not response.get("has_more") or not cursor:
                return messages

    def open_dm(self, user: str) -> str:
        response = self._call(
            "open a direct message", lambda: self.client.conversations_open(users=user), idempotent=True
        )
        return str(response["channel"]["id"])


def ts_from_permalink(permalink: str) -> tuple[str, str] | None:
    """(channel, ts) from `https://x.slack.com/archives/C123/p1732111200000100`."""
    parts = permalink.split("?")[0].rstrip("/").split("/")
    if len(parts) < 2 or not parts[-1].startswith("p") or not parts[-1][1:].isdigit():
        return None
    digits = parts[-1][1:]
    return parts[-2], f"{digits[:-6]}.{digits[-6:]}"
