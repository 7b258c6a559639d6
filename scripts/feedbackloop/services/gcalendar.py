"""Google Calendar through httpx: the events of the shared calendar, by id.

Thin: one request per method, plain dicts back, the shared retries and budget. Calendar says why it
refused in `error.errors[].reason`: `rateLimitExceeded` comes as a 403 that is worth retrying, and
`forbiddenForServiceAccounts` is a service account inviting attendees without domain-wide delegation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from feedbackloop.services.http import JsonService
from feedbackloop.services.retry import Budget, Policy

RATE_LIMITED = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
NO_INVITES = "forbiddenForServiceAccounts"
PAGE = 250


def reason(response: httpx.Response) -> str:
    """Calendar's reason for a refusal (`notFound`, `duplicate`, `forbiddenForServiceAccounts`…)."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return ""
    items = error.get("errors") if isinstance(error, dict) else None
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return str(items[0].get("reason") or "")
    return ""


class GoogleCalendar(JsonService):
    name = "google-calendar"

    def __init__(self, token: str, base_url: str, policy: Policy, budget: Budget) -> None:
        super().__init__(base_url, {"Authorization": f"Bearer {token}"}, policy, budget)

    def transient(self, response: httpx.Response) -> bool:
        return super().transient(response) or (
            response.status_code == 403 and reason(response) in RATE_LIMITED
        )

    def describe_error(self, response: httpx.Response) -> str:
        why = reason(response)
        described = super().describe_error(response)
        return (
            described.replace(f"HTTP {response.status_code}", f"HTTP {response.status_code} ({why})", 1)
            if why
            else described
        )

    @staticmethod
    def _events(calendar: str, event: str = "") -> str:
        path = f"calendars/{quote(calendar, safe='')}/events"
        return f"{path}/{quote(event, safe='')}" if event else path

    def get(self, calendar: str, event: str) -> dict[str, Any] | None:
        """The event (a cancelled one too: its id stays taken), or None when there is none."""
        response = self.request(
            "GET", self._events(calendar, event), what="read a calendar event", accept=(404,)
        )
        return None if response.status_code == 404 else dict(response.json())

    def insert(self, calendar: str, event: dict[str, Any]) -> dict[str, Any] | None:
        """Add the event and invite its attendees; None when its id is taken (409 duplicate)."""
        response = self.request(
            "POST",
            self._events(calendar),
            what="add the call to the calendar",
            json=event,
            params={"sendUpdates": "all"},
            idempotent=False,
            accept=(409,),
        )
        return None if response.status_code == 409 else dict(response.json())

    def patch(self, calendar: str, event: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Change some fields of the event; the invited are told (a moved call, a new invitation)."""
        response = self.request(
            "PATCH",
            self._events(calendar, event),
            what="update the calendar event",
            json=fields,
            params={"sendUpdates": "all"},
            idempotent=True,  # the same patch twice gives the same event
        )
        return dict(response.json())

    def delete(self, calendar: str, event: str) -> None:
        """Cancel the event (and tell the invited); already gone is what was wanted."""
        self.request(
            "DELETE",
            self._events(calendar, event),
            what="remove the calendar event",
            params={"sendUpdates": "all"},
            accept=(404, 410),
        )

    def ours(self, calendar: str, time_min: str, key: str, value: str) -> list[dict[str, Any]]:
        """Every event from `time_min` on that carries the private property `key=value`, deleted ones
        too: one request per 250 events."""
        events: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "timeMin": time_min,
                "privateExtendedProperty": f"{key}={value}",
                "showDeleted": "true",
                "maxResults": PAGE,
            }
            if token:
                params["pageToken"] = token
            page = self.request(
                "GET", self._events(calendar), what="list the calendar's calls", params=params
            ).json()
            events.extend(e for e in page.get("items") or () if isinstance(e, dict))
            token = page.get("nextPageToken")
            if not token:
                return events
