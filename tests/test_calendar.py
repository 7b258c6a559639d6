"""The shared calendar against FakeGoogleCalendar over HTTP on 127.0.0.1: each scheduled call is one event
with a client-chosen id, moved when its date or time changes, its interviewers invited when the
credentials may invite (a service account may not, without domain-wide delegation)."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pytest

from fakes.google import FakeGoogleAuth, FakeGoogleCalendar, calendar_rate_limited
from fakes.server import Fault
from feedbackloop.calendar_sync import CalendarResult, calendar_calls, sync_calendar, sync_one
from feedbackloop.commands.connect import Services
from feedbackloop.config import Environment
from feedbackloop.context import Context
from feedbackloop.errors import UsageError
from feedbackloop.ledger import Changes
from feedbackloop.plan.calendar import change, event_id, interview_of, wanted_event
from feedbackloop.records.model import Interview, Person, Published
from feedbackloop.services.retry import Policy
from helpers_repo import make_repo

CALENDAR = "interviews@group.calendar.google.com"
TODAY = date(2026, 11, 28)
ZONE = "Europe/Paris"


def call(record_id: str = "2026-12-03-surveys-lena", **changes: object) -> Interview:
    made = Interview(
        path=f"interviews/2026/{record_id}.md",
        id=record_id,
        date=date.fromisoformat(record_id[:10]),
        user=Person(first_name="Lena"),
        topic="Surveys",
        time="15:00",
        status="scheduled",
        interviewers=("alice", "bob"),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


@dataclass
class Setup:
    root: Path
    auth: FakeGoogleAuth
    calendar: FakeGoogleCalendar
    token: str
    waited: list[float] = field(default_factory=list)

    def context(self, **env: str) -> Context:
        values = {
            "GOOGLE_OAUTH_ACCESS_TOKEN": self.token,
            "GOOGLE_CALENDAR_API_URL": self.calendar.base_url,
            **env,
        }
        return Context(self.root, Environment(values), TODAY, policy=Policy(sleep=self.waited.append))

    def sync(self, *records: Interview, **env: str) -> tuple[list[CalendarResult], Changes, str]:
        context = self.context(**env)
        changes = Changes()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            results = sync_calendar(context, Services(context), records, changes)
        return results, changes, out.getvalue()

    def writes(self) -> list[str]:
        return [r.line for r in self.calendar.requests if r.method != "GET"]


def settings(**extra: object) -> str:
    lines = [
        "[tool.feedbackloop]",
        f'google_calendar_id = "{CALENDAR}"',
        f'timezone = "{ZONE}"',
        "call_minutes = 45",
        *(f"{k} = {v!r}".replace("'", '"') for k, v in extra.items()),
        "roster = [",
        '  { github = "alice", email = "alice@acme.example" },',
        '  { github = "bob", email = "bob@acme.example" },',
        '  { github = "carol" },',
        '  { github = "dave", email = "dave@acme.example" },',
        "]",
    ]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def setup_at(tmp_path: Path, kind: str, pyproject: str | None = None) -> Iterator[Setup]:
    auth = FakeGoogleAuth().start()
    calendar = FakeGoogleCalendar(auth).start()
    calendar.add_calendar(CALENDAR, time_zone=ZONE)
    root = make_repo(tmp_path / "repo", pyproject=pyproject or settings())
    principal = (
        "feedbackloop@ci.iam.gserviceaccount.com" if kind == "service_account" else "alice@acme.example"
    )
    try:
        yield Setup(root, auth, calendar, auth.issue_token(principal=principal, kind=kind))
    finally:
        calendar.stop()
        auth.stop()


@pytest.fixture
def user(tmp_path: Path) -> Iterator[Setup]:
    """Credentials of a person (or a service account acting as one, with domain-wide delegation)."""
    with setup_at(tmp_path, "user") as made:
        yield made


@pytest.fixture
def robot(tmp_path: Path) -> Iterator[Setup]:
    """A service account acting as itself."""
    with setup_at(tmp_path, "service_account") as made:
        yield made


def with_ledger(record: Interview, changes: Changes) -> Interview:
    """The record as the write-back leaves it."""
    found = changes.by_path.get(record.path, {})
    value = found.get(("published", "calendar"))
    return replace(record, published=Published(calendar=str(value))) if value else record


# -- ids -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "record_id", ["2026-12-03-surveys-lena", "2026-01-01-a", "2026-11-20-web-analytics-joe-" + "x" * 60]
)
def test_event_ids_are_base32hex_and_name_their_interview(record_id: str) -> None:
    event = event_id(record_id)
    assert re.fullmatch(r"[a-v0-9]{5,1024}", event)  # what Calendar accepts as a client-chosen id
    assert interview_of(event) == record_id
    assert interview_of("not base32hex!") is None


# -- exactly once ----------------------------------------------------------------------------------
def test_a_call_goes_on_the_calendar_once_with_its_interviewers(user: Setup) -> None:
    lena = call()

    results, changes, _ = user.sync(lena)

    event = event_id(lena.id)
    assert [(r.record_id, r.event, r.done) for r in results] == [
        (lena.id, event, "added to the calendar, 2 interviewers invited")
    ]
    [made] = user.calendar.events(CALENDAR)
    assert made["id"] == event
    assert made["summary"] == "Surveys user interview with Lena"
    assert made["start"] == {"dateTime": "2026-12-03T15:00:00", "timeZone": ZONE}
    assert made["end"] == {"dateTime": "2026-12-03T15:45:00", "timeZone": ZONE}  # call_minutes
    assert [a["email"] for a in made["attendees"]] == ["alice@acme.example", "bob@acme.example"]
    assert made["extendedProperties"]["private"] == {
        "feedbackloop": "interview",
        "interview": lena.id,
        "title": "Surveys user interview with Lena",  # to tell a title edited by hand from ours
        "invited": "alice@acme.example,bob@acme.example",  # to uninvite only whom we invited
    }
    [invited] = user.calendar.notifications
    assert (invited.action, invited.recipients) == ("insert", ["alice@acme.example", "bob@acme.example"])
    assert changes.by_path[lena.path] == {("published", "calendar"): event}

    user.calendar.requests.clear()
    again, changes, _ = user.sync(with_ledger(lena, changes))

    assert [r.done for r in again] == ["on the calendar"]
    assert user.writes() == []  # one listing, nothing sent
    assert len(user.calendar.requests) == 1
    assert not changes


def test_an_event_added_by_a_run_that_died_is_found_not_doubled(user: Setup) -> None:
    user.calendar.inject(Fault.drop(), match="POST *", after=True)  # added, but the answer is lost

    results, changes, _ = user.sync(call())

    assert [r.done for r in results] == ["found on the calendar"]
    assert len(user.calendar.events(CALENDAR)) == 1
    assert changes  # the ledger is written all the same

    # And a run that dies before its write-back: the next one meets the id taken (409) and reads it.
    results, _, _ = user.sync(call())
    assert [r.done for r in results] == ["on the calendar"]
    assert len(user.calendar.events(CALENDAR)) == 1


def test_a_new_date_or_time_moves_the_event_and_tells_the_invited(user: Setup) -> None:
    lena = call()
    _, changes, _ = user.sync(lena)
    booked = with_ledger(lena, changes)
    # The call moves a day: the id (and the file name) change with the date; the event id does not.
    moved = replace(booked, id="2026-12-04-surveys-lena", date=date(2026, 12, 4), time="09:30")
    moved = replace(moved, path="interviews/2026/2026-12-04-surveys-lena.md")

    results, changes, _ = user.sync(moved)

    assert [r.done for r in results] == ["moved on the calendar"]
    [event] = user.calendar.events(CALENDAR)
    assert event["id"] == event_id(lena.id)
    assert event["start"] == {"dateTime": "2026-12-04T09:30:00", "timeZone": ZONE}
    assert event["end"] == {"dateTime": "2026-12-04T10:15:00", "timeZone": ZONE}
    assert event["sequence"] == 1
    assert [n.action for n in user.calendar.notifications] == ["insert", "update"]
    assert not changes  # the file holds the event id already


def test_a_call_moved_from_the_past_is_found_by_its_id(user: Setup) -> None:
    """The listing covers events from today on; an event still on a past day is met by its id (409)."""
    old = call("2026-11-20-surveys-lena")
    context = user.context()
    assert sync_one(context, Services(context), old, "notes") is not None  # booked when it was ahead
    rescheduled = replace(
        old,
        id="2026-12-10-surveys-lena",
        date=date(2026, 12, 10),
        path="interviews/2026/2026-12-10-surveys-lena.md",
        published=Published(calendar=event_id(old.id)),
    )

    results, _, _ = user.sync(rescheduled)

    assert [r.done for r in results] == ["moved on the calendar"]
    [event] = user.calendar.events(CALENDAR)
    assert event["start"]["dateTime"] == "2026-12-10T15:00:00"


def test_a_cancelled_call_leaves_the_calendar(user: Setup) -> None:
    _, changes, _ = user.sync(call())
    cancelled = replace(with_ledger(call(), changes), status="cancelled")

    results, _, _ = user.sync(cancelled)

    assert [r.done for r in results] == ["removed from the calendar (the call is cancelled)"]
    assert user.calendar.events(CALENDAR) == []
    assert user.calendar.notifications[-1].action == "delete"
    again, _, _ = user.sync(cancelled)
    assert [r.done for r in again] == [""]  # already gone: nothing more
    assert user.writes()[-1].startswith("DELETE")  # only the first run deleted


def test_completed_and_past_calls_are_not_touched(user: Setup) -> None:
    results, _, _ = user.sync(call(status="completed"), call("2026-11-20-surveys-lena"))

    assert results == []
    assert user.calendar.requests == []


def test_the_calls_publish_hands_over(user: Setup, tmp_path: Path) -> None:
    booked = replace(call("2026-12-05-a", status="cancelled"), published=Published(calendar="abcde"))
    records = [
        call("2026-12-09-b"),
        call(status="completed"),
        booked,
        call("2026-12-04-c", status="cancelled"),
    ]

    assert [r.id for r in calendar_calls(user.context(), records)] == ["2026-12-05-a", "2026-12-09-b"]
    other = make_repo(tmp_path / "no-calendar", pyproject="[tool.feedbackloop]\n")
    assert calendar_calls(Context(other, Environment({}), TODAY), records) == []


# -- invitations -----------------------------------------------------------------------------------
def test_a_service_account_without_delegation_adds_the_call_without_invitations(robot: Setup) -> None:
    results, changes, _ = robot.sync(call())

    [result] = results
    assert result.done == "added to the calendar"
    assert "GOOGLE_CALENDAR_SUBJECT" in result.note
    assert "domain-wide delegation" in result.note
    [event] = robot.calendar.events(CALENDAR)
    assert "attendees" not in event
    assert event["extendedProperties"]["private"]["invited"] == ""  # nobody: none is uninvited as ours later
    assert robot.calendar.notifications == []
    assert changes  # the call is on the calendar: its id is written back

    # Next run: the listing finds it; the interviewers still missing are not asked for again and again.
    robot.calendar.requests.clear()
    again, _, _ = robot.sync(with_ledger(call(), changes))
    assert [r.done for r in again] == ["on the calendar"]
    assert [r.method for r in robot.calendar.requests].count("PATCH") == 1  # tried once, refused, noted
    assert "GOOGLE_CALENDAR_SUBJECT" in again[0].note


def test_guests_added_by_hand_stay_when_interviewers_are_invited(user: Setup) -> None:
    _, changes, _ = user.sync(call(interviewers=("alice",)))
    booked = with_ledger(call(interviewers=("alice",)), changes)
    event = event_id(booked.id)
    stored = user.calendar.calendars[CALENDAR].events[event]
    stored["attendees"].append({"email": "lena@example.org", "responseStatus": "accepted"})

    results, _, _ = user.sync(replace(booked, interviewers=("alice", "bob")))

    assert [r.done for r in results] == ["invited 1 interviewer on the calendar"]
    emails = [a["email"] for a in user.calendar.event(CALENDAR, event)["attendees"]]  # type: ignore[index]
    assert emails == ["alice@acme.example", "lena@example.org", "bob@acme.example"]


def test_a_corrected_topic_or_name_renames_the_event_and_a_dropped_interviewer_is_uninvited(
    user: Setup,
) -> None:
    _, changes, _ = user.sync(call(interviewers=("alice", "bob")))
    booked = with_ledger(call(interviewers=("alice", "bob")), changes)
    event = event_id(booked.id)
    stored = user.calendar.calendars[CALENDAR].events[event]
    stored["attendees"].append({"email": "lena@example.org", "responseStatus": "accepted"})
    stored["attendees"].append({"email": "dave@acme.example", "responseStatus": "needsAction"})  # observes
    fixed = replace(booked, topic="Session replay", user=Person(first_name="Lina"), interviewers=("alice",))

    results, _, _ = user.sync(fixed)

    assert [r.done for r in results] == ["renamed and uninvited 1 interviewer on the calendar"]
    now = user.calendar.event(CALENDAR, event)
    assert now is not None
    assert now["summary"] == "Session replay user interview with Lina"
    assert [a["email"] for a in now["attendees"]] == [
        "alice@acme.example",
        "lena@example.org",
        "dave@acme.example",  # on the roster, but added by hand: he stays
    ]
    again, _, _ = user.sync(fixed)
    assert [r.done for r in again] == ["on the calendar"]

    stored = user.calendar.calendars[CALENDAR].events[event]
    stored["summary"] = "Replay call with Lina (room 4)"  # a person's own title stays
    later, _, _ = user.sync(replace(fixed, topic="Session replays"))
    assert [r.done for r in later] == ["on the calendar"]
    assert user.calendar.event(CALENDAR, event)["summary"] == "Replay call with Lina (room 4)"  # type: ignore[index]


# -- failures --------------------------------------------------------------------------------------
def test_calendars_rate_limit_403_is_waited_out_through_the_shared_policy(user: Setup) -> None:
    user.calendar.inject(calendar_rate_limited(403, retry_after=2), match="POST *")

    results, _, _ = user.sync(call())

    assert [r.done for r in results] == ["added to the calendar, 2 interviewers invited"]
    assert user.waited == [2.0]  # recorded, not slept


def test_a_calendar_that_cannot_be_written_stops_the_run_cleanly(user: Setup) -> None:
    user.calendar.calendars[CALENDAR].access = "reader"

    results, changes, out = user.sync(call(), call("2026-12-05-funnels-joe", topic="Funnels"))

    assert [r.failed.split(":")[0] for r in results] == ["google-calendar", "not tried"]
    assert "You need to have writer access to this calendar." in results[0].failed
    assert "Google Calendar: stopped for this run" in out
    assert not changes


def test_without_google_credentials_the_calendar_is_skipped_in_one_line(user: Setup) -> None:
    results, changes, out = user.sync(call(), GOOGLE_OAUTH_ACCESS_TOKEN="")

    assert results == []
    assert not changes
    missing = "GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_OAUTH_ACCESS_TOKEN"
    assert out == f"Google Calendar: skipped, {missing} is not set\n"


def test_a_time_zone_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    with (
        setup_at(tmp_path, "user", settings().replace(ZONE, "Europe/Atlantis")) as broken,
        pytest.raises(UsageError, match="is not a time zone"),
    ):
        broken.sync(call())


# -- the plan, pure --------------------------------------------------------------------------------
def test_google_answering_with_an_offset_is_the_same_time() -> None:
    wanted = wanted_event(call(), event_id(call().id), ZONE, 30, [], "")
    held = {
        **wanted,
        "start": {"dateTime": "2026-12-03T15:00:00+01:00", "timeZone": ZONE},
        "end": {"dateTime": "2026-12-03T14:30:00Z"},
    }
    assert not change(held, wanted, ZONE)
    later = {**held, "start": {"dateTime": "2026-12-03T16:00:00+01:00"}}
    assert change(later, wanted, ZONE).what == "moved"


def test_a_call_without_a_time_is_a_whole_day() -> None:
    wanted = wanted_event(call(time=None), "abcde", ZONE, 30, [], "")
    assert (wanted["start"], wanted["end"]) == ({"date": "2026-12-03"}, {"date": "2026-12-04"})
