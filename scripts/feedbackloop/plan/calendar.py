"""The shared calendar, decided: which event a scheduled call should be, and what to change in the one
the calendar holds. Pure: no I/O, no clock, no environment.

An event's id is chosen by us, derived from the interview's id, so inserting it twice is refused (409)
instead of doubling it. Google allows ids of 5 to 1024 characters from the base32hex alphabet (a-v, 0-9):
the interview id, encoded in base32hex, is one, and can be read back. Once made, the id is written to
the record (`published.calendar`): a later change of date changes the interview's id, not its event's.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from feedbackloop.records.model import Interview

TITLE_KEPT = 1000  # of the title we gave an event, in its private properties (Google's cap: 1024)
PROPERTY = "feedbackloop"  # a private extended property on our events: found again with one listing
PROPERTY_VALUE = "interview"


def event_id(interview_id: str) -> str:
    """The calendar event id of an interview: its id in base32hex, lower case, without padding."""
    return base64.b32hexencode(interview_id.encode("utf-8")).decode("ascii").rstrip("=").lower()


def interview_of(event: str) -> str | None:
    """The interview id an event id was derived from, or None for an event we did not name."""
    padded = event.upper() + "=" * (-len(event) % 8)
    try:
        return base64.b32hexdecode(padded).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def title(interview: Interview) -> str:
    """The recording's convention, "[topic] user interview with [first name]", for the event too."""
    return interview.headline


def on_calendar(interview: Interview, today: date) -> bool:
    """A call the calendar should hold (or drop): scheduled or cancelled, today or later."""
    return interview.status in ("scheduled", "cancelled") and interview.date >= today


def when(interview: Interview, time_zone: str, minutes: int) -> tuple[dict[str, str], dict[str, str]]:
    """The event's start and end: from `time` for `minutes`, or the whole day when there is no time."""
    if not interview.time:
        return (
            {"date": interview.date.isoformat()},
            {"date": (interview.date + timedelta(days=1)).isoformat()},
        )
    hour, minute = (int(part) for part in interview.time.split(":"))
    start = datetime(interview.date.year, interview.date.month, interview.date.day, hour, minute)
    end = start + timedelta(minutes=minutes)
    return (
        {"dateTime": start.isoformat(timespec="seconds"), "timeZone": time_zone},
        {"dateTime": end.isoformat(timespec="seconds"), "timeZone": time_zone},
    )


def private(interview_id: str, summary: str, invited: Sequence[str]) -> dict[str, str]:
    """The event's private properties: ours (found with one listing), the title we gave it and who we
    invited, so a title or a guest a person changed by hand is told apart from ours."""
    return {  # Google caps a property's value at 1024 characters
        PROPERTY: PROPERTY_VALUE,
        "interview": interview_id,
        "title": summary[:TITLE_KEPT],
        "invited": ",".join(sorted(email.casefold() for email in invited))[:1024],
    }


def wanted_event(
    interview: Interview,
    event: str,
    time_zone: str,
    minutes: int,
    attendees: Sequence[str],
    description: str,
) -> dict[str, Any]:
    """The event to insert for a scheduled call."""
    start, end = when(interview, time_zone, minutes)
    body: dict[str, Any] = {
        "id": event,
        "summary": title(interview),
        "description": description,
        "start": start,
        "end": end,
        "extendedProperties": {"private": private(interview.id, title(interview), attendees)},
        "guestsCanSeeOtherGuests": True,
    }
    if attendees:
        body["attendees"] = [{"email": email} for email in attendees]
    return body


def _instant(moment: Mapping[str, Any], fallback_zone: str) -> datetime | date | None:
    if moment.get("date"):
        return date.fromisoformat(str(moment["date"]))
    raw = moment.get("dateTime")
    if not raw:
        return None
    parsed = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(str(moment.get("timeZone") or fallback_zone)))
    return parsed


def same_time(existing: Mapping[str, Any], wanted: Mapping[str, Any], time_zone: str) -> bool:
    """Do two `start` (or `end`) values name the same moment? Google answers with an offset where we
    sent a local time and a zone: compare instants, not text."""
    a, b = _instant(existing, time_zone), _instant(wanted, time_zone)
    if isinstance(a, datetime) != isinstance(b, datetime):
        return False
    return a == b


@dataclass(frozen=True)
class Change:
    """What to patch on an existing event (empty: nothing), and in words."""

    fields: dict[str, Any]
    what: str = ""

    def __bool__(self) -> bool:
        return bool(self.fields)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"


def change(existing: Mapping[str, Any], wanted: Mapping[str, Any], time_zone: str) -> Change:
    """Move the event when the call's time changed; rename it when the topic or the first name did;
    invite the interviewers it does not invite yet, and uninvite those we invited who no longer
    interview. What a person changed by hand stays: a title they edited, guests they added (a
    teammate who observes, the user). Attendees are left alone when `wanted` has none (no invites)."""
    fields: dict[str, Any] = {}
    what = []
    if not (
        same_time(existing.get("start") or {}, wanted["start"], time_zone)
        and same_time(existing.get("end") or {}, wanted["end"], time_zone)
    ):
        fields["start"], fields["end"] = wanted["start"], wanted["end"]
        what.append("moved")
    ours = dict((existing.get("extendedProperties") or {}).get("private") or {})
    wanted_private = wanted["extendedProperties"]["private"]
    summary = existing.get("summary")
    title_kept = str(summary)[:TITLE_KEPT]  # as the private property keeps it
    if summary != wanted["summary"] and ours.get("title", title_kept) == title_kept:
        fields["summary"] = wanted["summary"]
        what.append("renamed")
    invited = {a["email"].casefold() for a in wanted.get("attendees") or ()}
    if invited:
        before = {email for email in str(ours.get("invited", "")).split(",") if email}
        present = [a for a in existing.get("attendees") or () if isinstance(a, dict)]
        kept = [
            a
            for a in present
            if (email := str(a.get("email", "")).casefold()) in invited or email not in before
        ]
        emails = {str(a.get("email", "")).casefold() for a in kept}
        missing = [a for a in wanted.get("attendees") or () if a["email"].casefold() not in emails]
        if missing or len(kept) < len(present):
            fields["attendees"] = [*kept, *missing]
        if missing:
            what.append(f"invited {_count(len(missing), 'interviewer')}")
        if len(kept) < len(present):
            what.append(f"uninvited {_count(len(present) - len(kept), 'interviewer')}")
    if fields and {k: ours.get(k) for k in wanted_private} != wanted_private:
        fields["extendedProperties"] = {"private": {**ours, **wanted_private}}
    return Change(fields, " and ".join(what))
