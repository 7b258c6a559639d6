"""The shared "User interviews" calendar, kept in step with the scheduled calls: each call is on it once,
with its interviewers invited, and moves when its date or time changes.

Intake puts a new call on the calendar (`sync_one`); `sync_calendar` is for a run over the repository
(publish, after a push to main): one listing of our events from today on, then one request per call
that needs a change. Each event's id is derived from the interview's id and written back as
`published.calendar`, so the same event is found again even after the date (and so the id) changed.

A service account cannot invite attendees unless a Workspace admin granted it domain-wide delegation
(Google answers 403 `forbiddenForServiceAccounts`). Then the call goes on the calendar without
attendees, and the run says how to get invitations: GOOGLE_CALENDAR_SUBJECT (the user the account acts
as, with delegation) or a user's token in GOOGLE_OAUTH_ACCESS_TOKEN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from feedbackloop.context import Context
from feedbackloop.errors import FeedbackloopError, UsageError
from feedbackloop.ledger import Changes
from feedbackloop.plan.calendar import PROPERTY, PROPERTY_VALUE, change, event_id, on_calendar, wanted_event
from feedbackloop.records.model import Interview, Record
from feedbackloop.services.retry import Ambiguous, ServiceError

if TYPE_CHECKING:
    from feedbackloop.commands.connect import Services
    from feedbackloop.services.gcalendar import GoogleCalendar

SUBJECT = "GOOGLE_CALENDAR_SUBJECT"
NO_INVITES_FIX = (
    "invitations were not sent: a service account can invite only with domain-wide delegation. "
    f"Set {SUBJECT} to the user it acts as (after a Workspace admin grants the delegation), or use a "
    "user's token (GOOGLE_OAUTH_ACCESS_TOKEN)"
)
# A refusal about one event (its content), not about the calendar or the credentials.
EVENT_SPECIFIC = (400,)


@dataclass
class CalendarResult:
    """What happened to one call's event."""

    record_id: str
    event: str
    done: str = ""  # "added to the calendar", "moved on the calendar", "on the calendar", …
    link: str = ""  # the event's page
    failed: str = ""
    note: str = ""  # something a person should know (invitations not sent)

    def line(self) -> str:
        text = self.failed or self.done
        return f"{text} ({self.note})" if self.note else text


def time_zone(context: Context) -> str:
    name = context.settings.timezone
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"`timezone` {name!r} is not a time zone", 'write an IANA name, like timezone = "Europe/Paris"'
        ) from None
    return name


class CalendarSync:
    """One run's calendar work: the client, who to invite, and the reconciliation of one event."""

    def __init__(self, context: Context, services: Services) -> None:
        self.context = context
        self.services = services
        self.calendar = context.settings.google_calendar_id
        self.zone = time_zone(context)
        self.may_invite = True  # until Google says the credentials cannot
        self._client: GoogleCalendar | None = None

    def client(self) -> GoogleCalendar | None:
        """The Calendar client, or None (with one line saying why) when there are no Google credentials."""
        if self._client is not None:
            return self._client
        from feedbackloop.services import google

        env = self.context.env
        if not google.configured(env):
            self.services.skip("Google Calendar", google.MISSING)
            return None
        from feedbackloop.services.gcalendar import GoogleCalendar

        token = google.access_token(
            env, [google.CALENDAR_SCOPE], self.context.policy, self.context.budget, env.get(SUBJECT)
        )
        self._client = GoogleCalendar(
            token, env.google_calendar_api_url, self.context.policy, self.context.budget
        )
        return self._client

    def attendees(self, interview: Interview) -> list[str]:
        """The interviewers' e-mail addresses from the roster (those who have one)."""
        if not self.may_invite:
            return []
        emails = []
        for login in interview.interviewers:
            teammate = self.context.settings.teammate(login)
            if teammate and teammate.email and teammate.email not in emails:
                emails.append(teammate.email)
        return emails

    def reconcile(
        self, interview: Interview, event: str, existing: dict[str, Any] | None, description: str
    ) -> CalendarResult:
        """Make the calendar hold what `interview` says: add, move, invite or remove its event."""
        client = self.client()
        assert client is not None
        result = CalendarResult(interview.id, event)
        if interview.status == "cancelled":
            if existing is not None and existing.get("status") != "cancelled":
                client.delete(self.calendar, event)
                result.done = "removed from the calendar (the call is cancelled)"
            return result
        wanted = wanted_event(
            interview,
            event,
            self.zone,
            self.context.settings.call_minutes,
            self.attendees(interview),
            description,
        )
        verb = "on the calendar"
        if existing is None:
            existing = self._insert(client, event, wanted, result)
            if existing is None:  # it was added now
                return result
            verb = "found on the calendar"
        result.link = str(existing.get("htmlLink") or "")
        if existing.get("status") == "cancelled":
            result.done = "its calendar event was deleted by hand: left as it is"
            result.note = "set `status: cancelled` in the file, or restore the event in the calendar"
            return result
        patch = change(existing, wanted, self.zone)
        if not patch:
            result.done = verb
            return result
        patched = self._patch(client, event, patch.fields, result)
        result.link = str(patched.get("htmlLink") or result.link) if patched else result.link
        result.done = f"{patch.what} on the calendar" if patched else verb
        return result

    def _insert(
        self, client: GoogleCalendar, event: str, wanted: dict[str, Any], result: CalendarResult
    ) -> dict[str, Any] | None:
        """Insert the event; None when it was added, the event the calendar already held otherwise."""
        try:
            created = client.insert(self.calendar, wanted)
        except Ambiguous:
            found = client.get(self.calendar, event)  # it may have been added: look before adding again
            if found is not None:
                return found
            created = client.insert(self.calendar, wanted)
        except ServiceError as error:
            if not self._invites_refused(error, wanted):
                raise
            created = client.insert(self.calendar, _uninvited(wanted))
            result.note = NO_INVITES_FIX
        if created is None:  # 409: the id is taken, by this call's event
            found = client.get(self.calendar, event)
            if found is None:
                raise ServiceError("google-calendar", f"event {event} is taken but cannot be read")
            return found
        result.link = str(created.get("htmlLink") or "")
        invited = len(created.get("attendees") or ())
        result.done = "added to the calendar" + (
            f", {invited} interviewer{'s' * (invited != 1)} invited" if invited else ""
        )
        return None

    def _patch(
        self, client: GoogleCalendar, event: str, fields: dict[str, Any], result: CalendarResult
    ) -> dict[str, Any] | None:
        try:
            return client.patch(self.calendar, event, fields)
        except ServiceError as error:
            if not self._invites_refused(error, fields):
                raise
            result.note = NO_INVITES_FIX
            rest = _uninvited(fields)
            return client.patch(self.calendar, event, rest) if set(rest) - {"extendedProperties"} else None

    def _invites_refused(self, error: ServiceError, body: dict[str, Any]) -> bool:
        from feedbackloop.services.gcalendar import NO_INVITES

        if error.status == 403 and NO_INVITES in str(error) and body.get("attendees"):
            self.may_invite = False
            return True
        return False


def _event_of(interview: Interview) -> str:
    return interview.published.calendar or event_id(interview.id)


def sync_one(
    context: Context, services: Services, interview: Interview, description: str
) -> CalendarResult | None:
    """Put one scheduled call on the calendar (or move it): intake's way, without a listing. None when
    there is no calendar, or no credentials for it (said once)."""
    if not context.settings.google_calendar_id:
        return None
    sync = CalendarSync(context, services)
    event = _event_of(interview)
    try:
        if sync.client() is None:
            return None
        return sync.reconcile(interview, event, None, description)
    except FeedbackloopError as error:
        return CalendarResult(interview.id, event, failed=str(error).splitlines()[0])


def calendar_calls(context: Context, records: Iterable[Record]) -> list[Interview]:
    """The calls the calendar should reflect, oldest first: scheduled from today on, and cancelled ones
    that were on it. Empty when no calendar is set: then publish has no calendar work (and no request)."""
    if not context.settings.google_calendar_id:
        return []
    return sorted(
        (
            r
            for r in records
            if isinstance(r, Interview)
            and not r.forgotten  # forget cancelled its event: nothing about the person is put back
            and on_calendar(r, context.today)
            and (r.status == "scheduled" or r.published.calendar)
        ),
        key=lambda r: (r.date, r.id),
    )


def sync_calendar(
    context: Context,
    services: Services,
    records: Iterable[Record],
    changes: Changes,
    description: Callable[[Record], str] | None = None,
) -> list[CalendarResult]:
    """Keep the calendar in step with the scheduled calls among `records` (publish passes them all).

    One listing of our events from today on; then, per call, a request only where something differs.
    Sets `published.calendar` in `changes` for every call whose event id the file does not hold yet.
    A failure stops the calendar for this run (one about a single event skips only that call)."""
    calls = calendar_calls(context, records)
    if not calls:
        return []
    today = context.today
    describe = description or (lambda record: services.file_url(record.path))
    results: list[CalendarResult] = []
    sync = CalendarSync(context, services)
    try:
        client = sync.client()
        if client is None:
            return []
        start = datetime.combine(today, time.min, tzinfo=ZoneInfo(sync.zone)).isoformat()
        listed = {str(e.get("id")): e for e in client.ours(sync.calendar, start, PROPERTY, PROPERTY_VALUE)}
    except FeedbackloopError as error:
        click.echo(f"Google Calendar: stopped for this run: {str(error).splitlines()[0]}")
        return [CalendarResult(c.id, _event_of(c), failed=str(error).splitlines()[0]) for c in calls]
    for index, interview in enumerate(calls):
        event = _event_of(interview)
        if context.budget.spent:
            results.extend(
                CalendarResult(c.id, _event_of(c), failed="the API budget is spent: the next run continues")
                for c in calls[index:]
            )
            break
        try:
            result = sync.reconcile(interview, event, listed.get(event), describe(interview))
        except ServiceError as error:
            results.append(CalendarResult(interview.id, event, failed=str(error).splitlines()[0]))
            if error.status not in EVENT_SPECIFIC:
                click.echo(f"Google Calendar: stopped for this run: {str(error).splitlines()[0]}")
                results.extend(
                    CalendarResult(c.id, _event_of(c), failed="not tried: the calendar failed")
                    for c in calls[index + 1 :]
                )
                break
            continue
        results.append(result)
        if not interview.published.calendar and interview.status == "scheduled":
            changes.set(interview.path, ("published", "calendar"), event)
    return results


def _uninvited(body: dict[str, Any]) -> dict[str, Any]:
    """`body` without its attendees, for a calendar that refuses invitations: its private record of
    whom we invited says nobody, or a teammate a person adds later would be uninvited as ours."""
    rest = {k: v for k, v in body.items() if k != "attendees"}
    private = (rest.get("extendedProperties") or {}).get("private")
    if private is not None:
        rest["extendedProperties"] = {**rest["extendedProperties"], "private": {**private, "invited": ""}}
    return rest
