"""A stateful fake of Slack's Web API, served over HTTP on 127.0.0.1 for the real `slack_sdk.WebClient`.

    with FakeSlack() as fake:                       # token "xoxb-test", workspace "acme"
        fake.add_channel("C0FEEDBACK", name="user-feedback", member=True)
        fake.add_user("U0ALICE", email="alice@example.com")
        client = WebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[])
        client.chat_postMessage(channel="C0FEEDBACK", text="hi", metadata={...})
        fake.messages("C0FEEDBACK")                 # what the channel now holds
        fake.pings                                  # [Ping(channel, ts, what)]: who would have been notified

It answers the way Slack does: HTTP 200 with `{"ok": false, "error": ...}` for every refusal, except
`unknown_method` (404) and rate limits (429 with `Retry-After`, armed with `fake.rate_limit(...)`).
What it refuses, and with which error, follows tests/fakes/specs/slack-methods.json (a slice of the
docs.slack.dev method reference); the fake asserts that it never answers an error that slice does
not list for the method, so the errors stay real ones.

Arguments are read the way Slack reads them: query string and form body (`application/x-www-form-urlencoded`,
booleans as `1`/`0`/`true`/`false`, blocks and metadata as JSON strings), or a JSON body for the methods
whose page lists `application/json` (the token then only from `Authorization: Bearer`).

Pings: for every message it accepts (post, update, ephemeral), the fake works out whether Slack would
notify anyone and appends a `Ping` per mention to `fake.pings`:
  - manual mentions anywhere they are parsed (the top-level `text`, mrkdwn text objects, attachment text):
    `<!channel>`, `<!here>`, `<!everyone>`, `<!group>`, `<!subteam^ID>`, `<@U…>`/`<@W…>`
    (with or without a `|label`);
  - bare `@channel`/`@here`/`@everyone` in a mrkdwn text object that is not `verbatim: true` (Slack's
    "automatic parsing" of "certain mentions");
  - bare `@here`/`@channel`/`@everyone`/`@name` anywhere when the call has `link_names=true` or `parse=full`.
Escaped text (`&lt;!channel&gt;`) and plain_text objects never ping. The rule errs on the side of a ping.

Time: message ts follow the wall clock unless a test freezes it with `set_clock(...)` (then each new
message is 100 µs after the previous one: "1732111200.000100", ...). `conversations.history` returns a
message's `metadata` only with `include_all_metadata=true` (without it Slack drops the payload of event
types not declared in an app manifest).

Faults: `rate_limit(method, retry_after=...)` (429), `fail(error, method, after=...)` (ok:false), and the
base `inject(Fault.drop(), after=True)` (processed, then the connection drops).

Not modelled: thread replies beyond `thread_ts`/`reply_count` (no conversations.replies), scheduled
messages, files, reactions, user groups (`<!subteam^…>` is only detected), scopes and `missing_scope`,
the block types other than section/header/divider/context/actions/image (refused as invalid_blocks),
metadata size limits, the `msg_blocks_too_long` cumulative limit, Slack's own rate limiting (only armed).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import json
import re
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qs

from fakes.server import FakeService, Fault, Request, Response, route

SPEC_PATH = Path(__file__).parent / "specs" / "slack-methods.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
LIMITS: dict[str, int] = SPEC["limits"]

EVENT_TYPE = re.compile(r"^[A-Za-z0-9_]+$")
MANUAL_MENTION = re.compile(
    r"<(?P<what>!(?:channel|here|everyone|group)|!subteam\^[A-Za-z0-9]+|@[UW][A-Za-z0-9]+)(?:\|[^>]*)?>"
)
BARE_SPECIAL = re.compile(r"(?<![\w@<|/.])@(channel|here|everyone|group)\b")
BARE_NAME = re.compile(r"(?<![\w@<|/.])@([A-Za-z0-9][A-Za-z0-9._-]{0,79})")
TRUE_WORDS = {"1", "true", "yes", "on"}


class Ping(NamedTuple):
    """One notification Slack would send: in `channel`, by the message `ts`, because of `what`."""

    channel: str
    ts: str
    what: str


class SlackError(Exception):
    """Answer `{"ok": false, "error": error}` (HTTP 200) from a method."""

    def __init__(self, error: str, messages: Iterable[str] = (), **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


@dataclass
class Channel:
    id: str
    name: str
    member: bool = True
    members: set[str] = field(default_factory=set)
    archived: bool = False
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None  # the other party of an IM


@dataclass
class User:
    id: str
    email: str | None = None
    name: str = ""
    real_name: str = ""
    deleted: bool = False
    is_bot: bool = False


@dataclass
class Message:
    channel: str
    ts: str
    micro: int
    user: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    attachments: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    reply_broadcast: bool = False
    by_app: bool = True
    edited: int = 0
    edited_ts: str | None = None
    reply_count: int = 0
    flags: dict[str, Any] = field(default_factory=dict)

    def api(self, fake: FakeSlack, *, include_metadata: bool) -> dict[str, Any]:
        """The message object as Slack returns it."""
        out: dict[str, Any] = {"type": "message", "user": self.user, "text": self.text, "ts": self.ts}
        out["team"] = fake.team_id
        if self.by_app:
            out["bot_id"] = fake.bot_id
            out["app_id"] = fake.app_id
        if self.blocks:
            out["blocks"] = copy.deepcopy(self.blocks)
        if self.attachments:
            out["attachments"] = copy.deepcopy(self.attachments)
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.reply_count:
            out["thread_ts"] = self.ts
            out["reply_count"] = self.reply_count
        if self.edited_ts:
            out["edited"] = {"user": self.user, "ts": self.edited_ts}
        if include_metadata and self.metadata:
            out["metadata"] = copy.deepcopy(self.metadata)
        return out

    def record(self) -> dict[str, Any]:
        """The message as a test reads it back with `fake.messages(...)`."""
        return {
            "channel": self.channel,
            "ts": self.ts,
            "user": self.user,
            "text": self.text,
            "blocks": copy.deepcopy(self.blocks),
            "attachments": copy.deepcopy(self.attachments),
            "metadata": copy.deepcopy(self.metadata),
            "thread_ts": self.thread_ts,
            "edited": self.edited,
            "flags": dict(self.flags),
        }


def _micro(ts: str) -> int:
    """A Slack timestamp ("1732111200.000100", "1732111200", 1732111200.5) as integer microseconds."""
    value = Decimal(str(ts).strip())
    if not value.is_finite() or value < 0:
        raise InvalidOperation(ts)
    return int(value * 1_000_000)


def _ts(micro: int) -> str:
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in TRUE_WORDS


def _pointer(*parts: object) -> str:
    return "/" + "/".join(str(p) for p in parts)


class _BlockChecker:
    """Block Kit validation for the block types the fake models; Slack's messages and json-pointers."""

    TEXT_KEYS = frozenset({"type", "text", "emoji", "verbatim"})
    MODELLED = ("section", "header", "divider", "context", "actions", "image")

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, message: str, *where: object) -> None:
        self.errors.append(f"[ERROR] {message} [json-pointer:{_pointer('blocks', *where)}]")

    def check(self, blocks: list[Any]) -> list[str]:
        if len(blocks) > LIMITS["blocks_per_message"]:
            self.errors.append(
                f"[ERROR] no more than {LIMITS['blocks_per_message']} items allowed [json-pointer:/blocks]"
            )
        seen: set[str] = set()
        for i, block in enumerate(blocks):
            if not isinstance(block, dict):
                self.fail("expected an object", i)
                continue
            block_id = block.get("block_id")
            if block_id is not None:
                if not isinstance(block_id, str) or not block_id:
                    self.fail("must be a non-empty string", i, "block_id")
                elif len(block_id) > LIMITS["block_id"]:
                    self.fail(f"must be less than {LIMITS['block_id'] + 1} characters", i, "block_id")
                elif block_id in seen:
                    self.fail(f"duplicate block_id: {block_id}", i, "block_id")
                else:
                    seen.add(block_id)
            kind = block.get("type")
            if kind is None:
                self.fail("missing required field: type", i)
                continue
            checker: Callable[[dict[str, Any], int], None] | None = getattr(self, f"_{kind}", None)
            if kind not in self.MODELLED or checker is None:
                self.fail(f"unsupported type: {kind} (not modelled by FakeSlack)", i, "type")
                continue
            checker(block, i)
        return self.errors

    def _keys(self, obj: Mapping[str, Any], allowed: Iterable[str], *where: object) -> None:
        for key in obj:
            if key not in allowed:
                self.fail(f"invalid additional property: {key}", *where)

    def text_object(
        self, obj: Any, limit: int, *where: object, plain_only: bool = False, minimum: int = 1
    ) -> None:
        if not isinstance(obj, dict):
            self.fail("expected a text object", *where)
            return
        kind = obj.get("type")
        if kind is None:
            self.fail("missing required field: type", *where)
            return
        if kind not in ("plain_text", "mrkdwn") or (plain_only and kind != "plain_text"):
            allowed = "plain_text" if plain_only else "plain_text, mrkdwn"
            self.fail(f"must be one of the allowed values: {allowed}", *where, "type")
            return
        self._keys(obj, self.TEXT_KEYS, *where)
        if "verbatim" in obj and kind != "mrkdwn":
            self.fail("verbatim is only allowed for mrkdwn", *where, "verbatim")
        if "emoji" in obj and kind != "plain_text":
            self.fail("emoji is only allowed for plain_text", *where, "emoji")
        text = obj.get("text")
        if not isinstance(text, str):
            self.fail("missing required field: text", *where)
        elif len(text) < minimum:
            self.fail(f"must be more than {minimum - 1} characters", *where, "text")
        elif len(text) > limit:
            self.fail(f"must be less than {limit + 1} characters", *where, "text")

    def _section(self, block: dict[str, Any], i: int) -> None:
        self._keys(block, {"type", "block_id", "text", "fields", "accessory", "expand"}, i)
        if "text" not in block and "fields" not in block:
            self.fail("must provide either text or fields", i)
        if "text" in block:
            self.text_object(block["text"], LIMITS["section_text"], i, "text")
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not fields:
                self.fail("must be a non-empty array", i, "fields")
            else:
                if len(fields) > LIMITS["section_fields"]:
                    self.fail(f"no more than {LIMITS['section_fields']} items allowed", i, "fields")
                for j, item in enumerate(fields):
                    self.text_object(item, LIMITS["section_field_text"], i, "fields", j)
        if "accessory" in block:
            accessory = block["accessory"]
            kind = accessory.get("type") if isinstance(accessory, dict) else None
            if kind == "button":
                self._button(accessory, i, "accessory")
            elif kind == "image":
                self._image_element(accessory, i, "accessory")
            else:
                self.fail(f"unsupported accessory type: {kind} (not modelled by FakeSlack)", i, "accessory")

    def _header(self, block: dict[str, Any], i: int) -> None:
        self._keys(block, {"type", "block_id", "text"}, i)
        if "text" not in block:
            self.fail("missing required field: text", i)
        else:
            self.text_object(block["text"], LIMITS["header_text"], i, "text", plain_only=True)

    def _divider(self, block: dict[str, Any], i: int) -> None:
        self._keys(block, {"type", "block_id"}, i)

    def _context(self, block: dict[str, Any], i: int) -> None:
        self._keys(block, {"type", "block_id", "elements"}, i)
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.fail("must be a non-empty array", i, "elements")
            return
        if len(elements) > LIMITS["context_elements"]:
            self.fail(f"no more than {LIMITS['context_elements']} items allowed", i, "elements")
        for j, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") == "image":
                self._image_element(element, i, "elements", j)
            else:
                self.text_object(element, LIMITS["section_text"], i, "elements", j)

    def _actions(self, block: dict[str, Any], i: int) -> None:
        self._keys(block, {"type", "block_id", "elements"}, i)
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.fail("must be a non-empty array", i, "elements")
            return
        if len(elements) > LIMITS["actions_elements"]:
            self.fail(f"no more than {LIMITS['actions_elements']} items allowed", i, "elements")
        for j, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") == "button":
                self._button(element, i, "elements", j)
            else:
                kind = element.get("type") if isinstance(element, dict) else None
                self.fail(f"unsupported element type: {kind} (not modelled by FakeSlack)", i, "elements", j)

    def _image(self, block: dict[str, Any], i: int) -> None:
        self._keys(block, {"type", "block_id", "image_url", "alt_text", "title"}, i)
        for key in ("image_url", "alt_text"):
            if not isinstance(block.get(key), str) or not block[key]:
                self.fail(f"missing required field: {key}", i)
        if "title" in block:
            self.text_object(block["title"], 2000, i, "title", plain_only=True)

    def _image_element(self, element: dict[str, Any], *where: object) -> None:
        self._keys(element, {"type", "image_url", "alt_text"}, *where)
        for key in ("image_url", "alt_text"):
            if not isinstance(element.get(key), str) or not element[key]:
                self.fail(f"missing required field: {key}", *where)

    def _button(self, element: dict[str, Any], *where: object) -> None:
        self._keys(
            element,
            {"type", "text", "action_id", "url", "value", "style", "confirm", "accessibility_label"},
            *where,
        )
        if "text" not in element:
            self.fail("missing required field: text", *where)
        else:
            self.text_object(element["text"], LIMITS["button_text"], *where, "text", plain_only=True)
        if "style" in element and element["style"] not in ("primary", "danger"):
            self.fail("must be one of the allowed values: primary, danger", *where, "style")
        if "url" in element and (not isinstance(element["url"], str) or len(element["url"]) > 3000):
            self.fail("must be less than 3001 characters", *where, "url")


def _mrkdwn_texts(blocks: list[dict[str, Any]]) -> Iterable[tuple[str, bool]]:
    """Every (text, verbatim) of a mrkdwn text object in `blocks`."""

    def visit(node: Any) -> Iterable[tuple[str, bool]]:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                yield node["text"], bool(node.get("verbatim", False))
                return
            for value in node.values():
                yield from visit(value)
        elif isinstance(node, list):
            for value in node:
                yield from visit(value)

    return visit(blocks)


def find_pings(
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    *,
    link_names: bool = False,
    parse_full: bool = False,
) -> list[str]:
    """What in a message would notify someone (see the module docstring for the rules)."""
    found: list[str] = []

    def manual(source: str) -> None:
        for match in MANUAL_MENTION.finditer(source):
            found.append(f"<{match.group('what')}>")

    def bare(source: str, names: bool) -> None:
        for match in BARE_SPECIAL.finditer(source):
            found.append(f"@{match.group(1)}")
        if names:
            for match in BARE_NAME.finditer(source):
                found.append(f"@{match.group(1)}")

    linking = link_names or parse_full
    manual(text)
    if linking:
        bare(text, names=True)
    for source, verbatim in _mrkdwn_texts(blocks or []):
        manual(source)
        if linking or not verbatim:
            bare(source, names=linking)
    for attachment in attachments or []:
        if not isinstance(attachment, dict):
            continue
        parts = [attachment.get(k) for k in ("text", "pretext", "fallback", "title")]
        parts += [f.get("value") for f in attachment.get("fields") or [] if isinstance(f, dict)]
        for part in parts:
            if isinstance(part, str):
                manual(part)
                if linking:
                    bare(part, names=True)
    return list(dict.fromkeys(found))


class FakeSlack(FakeService):
    """Slack's Web API for one workspace and one bot token."""

    name = "fake-slack"

    def __init__(
        self,
        token: str = "xoxb-test",  # noqa: S107 - the fake's own test token
        team_domain: str = "acme",
        *,
        team: str = "Acme",
        team_id: str = "T0ACME",
        bot_user_id: str = "U0FEEDBOT",
        bot_id: str = "B0FEEDBOT",
        app_id: str = "A0FEEDBOT",
    ) -> None:
        super().__init__()
        self.token = token
        self.team_domain = team_domain
        self.team = team
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {}
        self._messages: dict[str, list[Message]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.deleted: list[dict[str, Any]] = []
        self.pings: list[Ping] = []
        self.warnings: list[tuple[str, str]] = []
        self.bugs: list[str] = []  # exceptions inside the fake (tests may assert it stays empty)
        self._clock: int | None = None  # frozen clock in microseconds; None: the wall clock
        self._last_micro = 0
        self._ts_lock = threading.Lock()
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "conversations.history": self._conversations_history,
            "conversations.open": self._conversations_open,
            "users.lookupByEmail": self._users_lookup_by_email,
        }
        self.add_user(bot_user_id, name="feedbackloop", is_bot=True)

    def start(self) -> Self:
        super().start()
        return self

    def stop(self) -> None:
        """Stop at once: the base server polls for shutdown every 0.5 s; a connection wakes it now."""
        server = self._server
        if server is None:
            return
        address = server.server_address[:2]
        done = threading.Event()

        def wake() -> None:
            while not done.wait(0.01):
                with contextlib.suppress(OSError):
                    socket.create_connection(address, timeout=0.1).close()  # type: ignore[arg-type]

        waker = threading.Thread(target=wake, name=f"{self.name}-stop", daemon=True)
        waker.start()
        try:
            super().stop()
        finally:
            done.set()
            waker.join()

    def __enter__(self) -> Self:
        return self.start()

    # -- state set-up for tests ----------------------------------------------------------------------
    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        member: bool = True,
        members: Iterable[str] = (),
        archived: bool = False,
        is_private: bool = False,
    ) -> Channel:
        """A public (C…) or private channel; `member` is whether the bot is in it."""
        with self._lock:
            channel = Channel(
                channel_id,
                name or channel_id.lower(),
                member=member,
                members=set(members),
                archived=archived,
                is_private=is_private,
            )
            if member:
                channel.members.add(self.bot_user_id)
            self.channels[channel_id] = channel
            self._messages.setdefault(channel_id, [])
            return channel

    def add_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        name: str | None = None,
        real_name: str | None = None,
        deleted: bool = False,
        is_bot: bool = False,
    ) -> User:
        with self._lock:
            user = User(
                user_id,
                email=email,
                name=name or (email.split("@")[0] if email else user_id.lower()),
                real_name=real_name or name or user_id,
                deleted=deleted,
                is_bot=is_bot,
            )
            self.users[user_id] = user
            return user

    def join(self, channel_id: str, *user_ids: str) -> None:
        """Make users (or the bot, with its user id) members of a channel."""
        with self._lock:
            channel = self.channels[channel_id]
            channel.members.update(user_ids)
            if self.bot_user_id in user_ids:
                channel.member = True

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U0SOMEONE",
        blocks: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        ts: str | None = None,
    ) -> str:
        """Seed a message someone else wrote (the bot may not update or delete it). Returns its ts."""
        with self._lock:
            target = self._resolve_any(channel)
            micro = self._next_micro() if ts is None else self._claim_micro(_micro(ts))
            message = Message(
                target.id, _ts(micro), micro, user, text, blocks=blocks, metadata=metadata, by_app=False
            )
            self._store(message)
            return message.ts

    # -- the clock -----------------------------------------------------------------------------------
    def set_clock(self, when: float | int | str | datetime | date) -> None:
        """Freeze the clock; each new message then gets `when` + 100 µs × n, so ts stay unique and rising."""
        if isinstance(when, datetime):
            moment = when if when.tzinfo else when.replace(tzinfo=UTC)
            micro = int(Decimal(str(moment.timestamp())) * 1_000_000)
        elif isinstance(when, date):
            micro = int(datetime(when.year, when.month, when.day, tzinfo=UTC).timestamp()) * 1_000_000
        else:
            micro = _micro(str(when))
        with self._ts_lock:
            self._clock = micro

    def advance(self, seconds: float) -> None:
        """Move a frozen clock forward (freezing it at the wall clock first if needed)."""
        with self._ts_lock:
            base = self._clock if self._clock is not None else self._wall()
            self._clock = base + int(Decimal(str(seconds)) * 1_000_000)

    def now(self) -> str:
        with self._ts_lock:
            return _ts(self._clock if self._clock is not None else self._wall())

    @staticmethod
    def _wall() -> int:
        return int(datetime.now(UTC).timestamp() * 1_000_000)

    def _claim_micro(self, micro: int) -> int:
        """A ts chosen by the test: later messages still come after it."""
        with self._ts_lock:
            self._last_micro = max(self._last_micro, micro)
            return micro

    def _next_micro(self) -> int:
        with self._ts_lock:
            now = self._clock if self._clock is not None else self._wall()
            self._last_micro = max(now, self._last_micro) + 100
            return self._last_micro

    # -- reading state back --------------------------------------------------------------------------
    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message in a channel (by id or name), oldest first, thread replies included."""
        with self._lock:
            target = self._resolve_any(channel)
            return [m.record() for m in self._messages.get(target.id, [])]

    def dms(self, user_id: str) -> list[dict[str, Any]]:
        """Messages the bot sent to `user_id` in their direct-message conversation, oldest first."""
        with self._lock:
            for channel in self.channels.values():
                if channel.is_im and channel.user == user_id:
                    return [m.record() for m in self._messages.get(channel.id, [])]
            return []

    def dm_channel(self, user_id: str) -> str | None:
        with self._lock:
            for channel in self.channels.values():
                if channel.is_im and channel.user == user_id:
                    return channel.id
            return None

    def permalink(self, channel_id: str, ts: str, thread_ts: str | None = None) -> str:
        link = f"https://{self.team_domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
        if thread_ts and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={channel_id}"
        return link

    def calls(self, method: str) -> int:
        """How many requests for a Web API method arrived (GET or POST, any prefix)."""
        return self.count(f"* */{method}")

    # -- faults in Slack's own shapes ----------------------------------------------------------------
    def rate_limit(self, method: str = "*", *, retry_after: int = 30, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429, `Retry-After` and `error: ratelimited`."""
        self.inject(
            Fault.status(
                429, headers={"Retry-After": str(retry_after)}, body={"ok": False, "error": "ratelimited"}
            ),
            match=f"* */{method}",
            times=times,
        )

    def fail(self, error: str, method: str = "*", *, after: bool = False, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 200 `{"ok": false, "error": error}`.

        `after=True` processes the call first (the message exists, the client is told it failed).
        """
        self.inject(
            Fault.status(200, body={"ok": False, "error": error}),
            match=f"* */{method}",
            after=after,
            times=times,
        )

    # -- HTTP ----------------------------------------------------------------------------------------
    @route("POST", "/{method}")
    def _post(self, request: Request, method: str) -> Response:
        return self._call(request, method)

    @route("GET", "/{method}")
    def _get(self, request: Request, method: str) -> Response:
        return self._call(request, method)

    @route("POST", "/api/{method}")
    def _post_api(self, request: Request, method: str) -> Response:
        return self._call(request, method)

    @route("GET", "/api/{method}")
    def _get_api(self, request: Request, method: str) -> Response:
        return self._call(request, method)

    def not_found(self, request: Request) -> Response:
        return Response(404, {"ok": False, "error": "unknown_method", "req_method": request.path.strip("/")})

    def _call(self, request: Request, method: str) -> Response:
        if method not in self._methods:
            return Response(404, {"ok": False, "error": "unknown_method", "req_method": method})
        warnings: list[str] = []
        try:
            body = self._answer(request, method, warnings)
        except Exception as bug:  # a bug in the fake: say so instead of dropping the connection
            self.bugs.append(f"{method}: {bug!r}")
            return Response(500, {"ok": False, "error": "fatal_error", "fake_bug": repr(bug)})
        if warnings:
            body["warning"] = ",".join(warnings)
            body.setdefault("response_metadata", {})["warnings"] = warnings
            self.warnings.extend((method, w) for w in warnings)
        return Response(200, body)

    def _answer(self, request: Request, method: str, warnings: list[str]) -> dict[str, Any]:
        try:
            args, token = self._read(request, method, warnings)
            if token is None:
                raise SlackError("not_authed")
            if token != self.token:
                raise SlackError("invalid_auth")
            missing = [name for name in SPEC["methods"][method]["required"] if name not in args]
            if missing:
                raise SlackError(
                    "invalid_arguments", [f"[ERROR] missing required field: {name}" for name in missing]
                )
            return self._methods[method](args)
        except SlackError as refusal:
            self._check_documented(method, refusal.error)
            return refusal.body()

    @staticmethod
    def _check_documented(method: str, error: str) -> None:
        spec = SPEC["methods"][method]
        documented = (
            spec["errors"].keys() | spec.get("observed_errors", {}).keys() | SPEC["common_errors"].keys()
        )
        assert error in documented, f"FakeSlack bug: {error!r} is not a documented error of {method}"

    def _read(self, request: Request, method: str, warnings: list[str]) -> tuple[dict[str, Any], str | None]:
        """Arguments (query, then form or JSON body) and the token, as Slack reads them."""
        args: dict[str, Any] = {k: v[-1] for k, v in request.query.items()}
        content_type = request.headers.get("content-type", "")
        media = content_type.split(";")[0].strip().lower()
        is_json = media == "application/json"
        if is_json:
            if "charset" not in content_type.lower():
                warnings.append("missing_charset")
            if SPEC["methods"][method]["json_body"] and request.body:
                try:
                    payload = json.loads(request.body)
                except ValueError:
                    raise SlackError("invalid_json") from None
                if not isinstance(payload, dict):
                    raise SlackError("json_not_object")
                args.update(payload)
        elif request.body:
            form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
            args.update({k: v[-1] for k, v in form.items()})
        token: str | None = None
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            token = authorization[7:].strip() or None
        body_token = args.pop("token", None)
        if token is None and body_token and not is_json:
            token = str(body_token)
        return args, token

    # -- shared checks -------------------------------------------------------------------------------
    def _find_channel(self, ref: str) -> Channel | None:
        ref = ref.strip()
        if ref in self.channels:
            return self.channels[ref]
        name = ref.removeprefix("#")
        for channel in self.channels.values():
            if channel.name == name and not channel.is_im:
                return channel
        return None

    def _resolve_any(self, ref: str) -> Channel:
        channel = self._find_channel(ref)
        if channel is None:
            raise KeyError(f"FakeSlack has no channel {ref!r}: add_channel() it first")
        return channel

    def _channel_for_post(self, ref: Any) -> Channel:
        """chat.postMessage takes an id, a name, or a user id (the app's DM with that user)."""
        ref = str(ref)
        if ref[:1] in ("U", "W") and ref in self.users:
            return self._open_im(ref)
        channel = self._find_channel(ref)
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _channel_by_id(self, ref: Any) -> Channel:
        channel = self.channels.get(str(ref))
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _can_write(self, channel: Channel) -> None:
        if channel.archived:
            raise SlackError("is_archived")
        if not channel.member:
            raise SlackError("not_in_channel")

    def _find_message(self, channel: Channel, ts: Any) -> Message:
        for message in self._messages.get(channel.id, []):
            if message.ts == str(ts):
                return message
        raise SlackError("message_not_found")

    @staticmethod
    def _json_arg(value: Any, error: str) -> Any:
        """A structured argument: as is from a JSON body, parsed from a form string."""
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise SlackError(error) from None
        return value

    def _blocks(self, args: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        if "blocks" not in args:
            return None
        blocks = self._json_arg(args["blocks"], "invalid_blocks_format")
        if not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format")
        errors = _BlockChecker().check(blocks)
        if errors:
            raise SlackError("invalid_blocks", errors, errors=errors)
        return blocks

    def _attachments(self, args: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        if "attachments" not in args:
            return None
        attachments = self._json_arg(args["attachments"], "invalid_attachments")
        if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
            raise SlackError("invalid_attachments")
        if len(attachments) > 100:
            raise SlackError("too_many_attachments")
        return attachments

    def _metadata(self, args: Mapping[str, Any]) -> dict[str, Any] | None:
        """Parsed metadata; `{}` means none (chat.update: remove it). Absent: None."""
        if "metadata" not in args:
            return None
        metadata = self._json_arg(args["metadata"], "invalid_metadata_format")
        if not isinstance(metadata, dict):
            raise SlackError("invalid_metadata_format")
        if not metadata:
            return {}
        event_type = metadata.get("event_type")
        payload = metadata.get("event_payload")
        messages = []
        if not isinstance(event_type, str) or not EVENT_TYPE.match(event_type):
            messages.append(
                "[ERROR] event_type must be alphanumeric with underscores [json-pointer:/metadata/event_type]"
            )
        if not isinstance(payload, dict):
            messages.append("[ERROR] event_payload must be an object [json-pointer:/metadata/event_payload]")
        unknown = set(metadata) - {"event_type", "event_payload"}
        if unknown:
            messages.append(
                f"[ERROR] invalid additional property: {sorted(unknown)[0]} [json-pointer:/metadata]"
            )
        if messages:
            raise SlackError("invalid_metadata_schema", messages)
        return {"event_type": event_type, "event_payload": payload}

    def _content(
        self, args: Mapping[str, Any], max_text: int = LIMITS["message_text"]
    ) -> tuple[str | None, Any, Any]:
        """text, blocks, attachments of a message call, checked in Slack's terms."""
        text = args.get("text")
        text = None if text is None else str(text)
        blocks = self._blocks(args)
        attachments = self._attachments(args)
        if args.get("markdown_text") is not None and (text is not None or blocks is not None):
            raise SlackError("markdown_text_conflict")
        if args.get("markdown_text") is not None:
            text = str(args["markdown_text"])
        if not text and not blocks and not attachments:
            raise SlackError("no_text")
        if text is not None and len(text) > max_text:
            raise SlackError("msg_too_long")
        return text, blocks, attachments

    def _with_block_ids(self, blocks: list[dict[str, Any]] | None, ts: str) -> list[dict[str, Any]] | None:
        """Slack gives every block without one a short random block_id; the fake's are derived from ts."""
        if not blocks:
            return blocks
        out = copy.deepcopy(blocks)
        for i, block in enumerate(out):
            if "block_id" not in block:
                digest = hashlib.sha1(f"{ts}:{i}".encode(), usedforsecurity=False).digest()
                block["block_id"] = base64.b32encode(digest).decode()[:5]
        return out

    def _note_pings(self, message: Message, args: Mapping[str, Any], before: Iterable[str] = ()) -> None:
        """Record the mentions of `message`; an edit only notifies for mentions it adds (`before`)."""
        found = find_pings(
            message.text,
            message.blocks,
            message.attachments,
            link_names=_truthy(args.get("link_names")),
            parse_full=str(args.get("parse", "")).lower() == "full",
        )
        known = set(before)
        self.pings.extend(Ping(message.channel, message.ts, what) for what in found if what not in known)

    @staticmethod
    def _flags(args: Mapping[str, Any]) -> dict[str, Any]:
        flags: dict[str, Any] = {}
        for name in ("unfurl_links", "unfurl_media", "link_names", "mrkdwn", "reply_broadcast"):
            if name in args:
                flags[name] = _truthy(args[name])
        for name in ("parse", "username", "icon_emoji", "icon_url"):
            if name in args:
                flags[name] = str(args[name])
        return flags

    def _store(self, message: Message) -> None:
        bucket = self._messages.setdefault(message.channel, [])
        bucket.append(message)
        bucket.sort(key=lambda m: m.micro)
        if message.thread_ts and message.thread_ts != message.ts:
            for parent in bucket:
                if parent.ts == message.thread_ts:
                    parent.reply_count += 1

    def _open_im(self, user_id: str) -> Channel:
        for channel in self.channels.values():
            if channel.is_im and channel.user == user_id:
                return channel
        digest = hashlib.sha1(user_id.encode(), usedforsecurity=False).hexdigest().upper()
        channel = Channel(f"D{digest[:10]}", user_id, member=True, is_im=True, user=user_id)
        channel.members = {self.bot_user_id, user_id}
        self.channels[channel.id] = channel
        self._messages.setdefault(channel.id, [])
        return channel

    # -- methods -------------------------------------------------------------------------------------
    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team,
            "user": self.users[self.bot_user_id].name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        if _truthy(args.get("as_user")):  # bot tokens of current apps: the argument is refused
            raise SlackError("invalid_arguments", deprecated_argument="as_user")
        channel = self._channel_for_post(args["channel"])
        self._can_write(channel)
        text, blocks, attachments = self._content(args)
        metadata = self._metadata(args)
        micro = self._next_micro()
        ts = _ts(micro)
        thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
        message = Message(
            channel.id,
            ts,
            micro,
            self.bot_user_id,
            text or "",
            blocks=self._with_block_ids(blocks, ts),
            attachments=attachments,
            metadata=metadata or None,
            thread_ts=thread_ts,
            reply_broadcast=_truthy(args.get("reply_broadcast")),
            flags=self._flags(args),
        )
        self._store(message)
        self._note_pings(message, args)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": ts,
            "message": message.api(self, include_metadata=True),
        }

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_by_id(args["channel"])
        if channel.archived:
            raise SlackError("is_inactive")
        message = self._find_message(channel, args["ts"])
        if not message.by_app or message.user != self.bot_user_id:
            raise SlackError("cant_update_message")
        text, blocks, attachments = self._content(args, LIMITS["update_text"])
        metadata = self._metadata(args)
        before = {p.what for p in self.pings if p.channel == channel.id and p.ts == message.ts}
        if blocks is not None:
            message.blocks = self._with_block_ids(blocks, message.ts)
        elif text is not None:
            message.blocks = None  # "If the text argument is provided and blocks are not, blocks are removed"
        if text is not None:
            message.text = text
        if attachments is not None:
            message.attachments = attachments
        if metadata is not None:
            message.metadata = metadata or None  # {} removes it; absent keeps it
        message.edited += 1
        message.edited_ts = _ts(self._next_micro())
        message.flags.update(self._flags(args))
        self._note_pings(message, args, before)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message.ts,
            "text": message.text,
            "message": message.api(self, include_metadata=True),
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_by_id(args["channel"])
        message = self._find_message(channel, args["ts"])
        if not message.by_app or message.user != self.bot_user_id:
            raise SlackError("cant_delete_message")
        self._messages[channel.id].remove(message)
        self.deleted.append(message.record())
        return {"ok": True, "channel": channel.id, "ts": message.ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_by_id(args["channel"])
        message = self._find_message(channel, args["message_ts"])
        return {
            "ok": True,
            "channel": channel.id,
            "permalink": self.permalink(channel.id, message.ts, message.thread_ts),
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for_post(args["channel"])
        self._can_write(channel)
        user = str(args["user"])
        if user not in self.users or user not in channel.members:
            raise SlackError("user_not_in_channel")
        text, blocks, attachments = self._content(args)
        micro = self._next_micro()
        message = Message(
            channel.id,
            _ts(micro),
            micro,
            self.bot_user_id,
            text or "",
            blocks=blocks,
            attachments=attachments,
        )
        self.ephemerals.append({**message.record(), "to": user})
        self._note_pings(message, args)
        return {"ok": True, "message_ts": message.ts}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_by_id(args["channel"])
        if not channel.member:
            raise SlackError("not_in_channel")
        inclusive = _truthy(args.get("inclusive"))
        try:
            oldest = _micro(args["oldest"]) if args.get("oldest") not in (None, "") else None
        except (InvalidOperation, ValueError):
            raise SlackError("invalid_ts_oldest") from None
        try:
            latest = _micro(args["latest"]) if args.get("latest") not in (None, "") else None
        except (InvalidOperation, ValueError):
            raise SlackError("invalid_ts_latest") from None
        try:
            limit = int(args.get("limit") or 100)
        except ValueError:
            raise SlackError("invalid_arguments", ["[ERROR] limit must be a number"]) from None
        limit = 100 if limit < 1 else min(limit, 999)
        before: int | None = None
        if args.get("cursor"):
            before = self._decode_cursor(str(args["cursor"]))

        def wanted(m: Message) -> bool:
            if m.thread_ts and m.thread_ts != m.ts and not m.reply_broadcast:
                return False  # thread replies live in conversations.replies
            if oldest is not None and (m.micro < oldest or (m.micro == oldest and not inclusive)):
                return False
            if latest is not None and (m.micro > latest or (m.micro == latest and not inclusive)):
                return False
            return before is None or m.micro <= before

        newest_first = sorted(
            (m for m in self._messages.get(channel.id, []) if wanted(m)), key=lambda m: m.micro, reverse=True
        )
        page, rest = newest_first[:limit], newest_first[limit:]
        include_metadata = _truthy(args.get("include_all_metadata"))
        body: dict[str, Any] = {
            "ok": True,
            "messages": [m.api(self, include_metadata=include_metadata) for m in page],
            "has_more": bool(rest),
            "pin_count": 0,
        }
        if rest:
            body["response_metadata"] = {"next_cursor": self._encode_cursor(rest[0].micro)}
        return body

    @staticmethod
    def _encode_cursor(micro: int) -> str:
        return base64.b64encode(f"next_ts:{micro}".encode()).decode()

    @staticmethod
    def _decode_cursor(cursor: str) -> int:
        try:
            raw = base64.b64decode(cursor.encode(), validate=True).decode()
            prefix, _, micro = raw.partition(":")
            if prefix != "next_ts" or not micro.isdigit():
                raise ValueError(cursor)
            return int(micro)
        except ValueError:
            raise SlackError("invalid_cursor") from None

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            channel = self._channel_by_id(args["channel"])
            if not (channel.is_im or channel.is_mpim):
                raise SlackError("method_not_supported_for_channel_type")
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel.id}}
        raw = args.get("users")
        if raw is None or raw == "":
            raise SlackError("users_list_not_supplied")
        users = [u.strip() for u in (raw if isinstance(raw, list) else str(raw).split(",")) if u.strip()]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 8:
            raise SlackError("too_many_users")
        for user_id in users:
            user = self.users.get(user_id)
            if user is None:
                raise SlackError("user_not_found")
            if user.deleted:
                raise SlackError("user_disabled")
        if len(users) == 1:
            existed = self.dm_channel(users[0]) is not None
            channel = self._open_im(users[0])
        else:
            key = ",".join(sorted(set(users) | {self.bot_user_id}))
            channel_id = "C" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest().upper()[:10]
            existed = channel_id in self.channels
            if not existed:
                channel = Channel(channel_id, f"mpdm-{key}", member=True, is_mpim=True, is_private=True)
                channel.members = set(users) | {self.bot_user_id}
                self.channels[channel_id] = channel
                self._messages.setdefault(channel_id, [])
            channel = self.channels[channel_id]
        body: dict[str, Any] = {"ok": True, "channel": {"id": channel.id}}
        if existed:
            body["no_op"] = True
            body["already_open"] = True
        if _truthy(args.get("return_im")):
            body["channel"].update({"is_im": channel.is_im, "user": channel.user, "is_open": True})
        return body

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args["email"]).strip().lower()
        for user in self.users.values():
            if user.email and user.email.lower() == email:
                return {
                    "ok": True,
                    "user": {
                        "id": user.id,
                        "team_id": self.team_id,
                        "name": user.name,
                        "real_name": user.real_name,
                        "deleted": user.deleted,
                        "is_bot": user.is_bot,
                        "profile": {
                            "email": user.email,
                            "real_name": user.real_name,
                            "display_name": user.name,
                        },
                    },
                }
        raise SlackError("users_not_found")
