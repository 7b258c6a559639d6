"""Wiring: what publish and remind do with the services they gained beside GitHub, Slack and the doc.

- `publish` with `rewards_on_publish = true` issues a pending merch gift card on FakeShopify, records
  it (`reward.status: issued`, `card`, `card_last`, `issued_on`) in the one write-back commit that
  holds the issue links, sends the code to the interviewer in a Slack direct message, and a re-run
  issues nothing;
- `publish` with `google_calendar_id` puts a scheduled call on FakeGoogleCalendar once and moves it when
  its date or time changes on main, without taking the publish lock when the calendar is its only work;
- `remind` sends a follow-up's draft (commands/follow_up.py) in the interviewer's direct message: not
  in channel mode, and never in the dashboard issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from feedbackloop.commands import publish, remind
from feedbackloop.commands.follow_up import draft
from feedbackloop.commands.remind import DASHBOARD_LABEL
from feedbackloop.config import Environment
from feedbackloop.context import Context
from feedbackloop.plan.reward import note_id
from feedbackloop.records.model import Interview
from feedbackloop.records.parse import parse
from helpers_faults import CALENDAR, Stage, slack_dms
from helpers_publish import JOE, LENA, REPO, Ran, interview, standard_files
from helpers_remind import PAGE, ROSTER_WITH_DAVE, every_kind
from helpers_remind import pyproject as remind_settings

JOE_ID = "2026-11-20-web-analytics-joe"
LENA_ID = "2026-12-03-surveys-lena"
NEXT_DAY = "interviews/2026/2026-12-04-surveys-lena.md"


def run_publish(stage: Stage) -> Ran:
    return stage.run(publish.run, dry_run=False, only=None, include_examples=False)


def record_at(stage: Stage, path: str, ref: str = "main") -> Interview:
    text = stage.world.remote_text(path, ref)
    record = parse(text, path).record
    assert isinstance(record, Interview)
    return record


def lock_requests(stage: Stage) -> list[str]:
    """What taking and releasing the publish lock sends: refs/feedbackloop made, moved or deleted."""
    github = stage.world.github
    return [
        r.line
        for r in github.requests
        if (r.line.startswith("POST /repos/") and r.line.endswith("/git/refs") and b"feedbackloop" in r.body)
        or "refs/feedbackloop" in r.line
    ]


# -- rewards on publish ----------------------------------------------------------------------------------
@pytest.fixture
def joe(tmp_path: Path) -> Iterator[Stage]:
    """Joe's completed interview (two requests, a pending $30 merch reward), nothing published yet."""
    with Stage.create(tmp_path, {JOE: standard_files(7)[JOE]}) as stage:
        yield stage


def test_publish_issues_the_pending_gift_card_in_its_one_write_back(joe: Stage) -> None:
    stage, world = joe, joe.world
    before = world.head()

    ran = world.cli("publish")  # through the CLI, as publish.yml runs it

    assert ran.code == 0, ran.out
    [card] = stage.shop.gift_cards()
    assert (note_id(card["note"]), card["initial_value"], card["enabled"]) == (JOE_ID, "30.0", True)
    # One commit on top of what was checked out, holding the links and the reward's ledger together.
    head = world.head()
    assert world.github.repo(REPO).commit(head).parents == [before]
    record = record_at(stage, JOE)
    assert [r.issue for r in record.requests] == [i["html_url"] for i in world.issues(REPO)]
    assert record.published.slack
    assert record.published.doc
    reward = record.reward
    assert (reward.status, reward.card, reward.card_last, reward.issued_on) == (
        "issued",
        card["id"],
        card["last_characters"],
        stage.today,
    )
    assert record_at(stage, JOE, before).reward.status == "pending"
    # The code, which Shopify shows once, went to the interviewer (the first with a Slack id) only.
    [code] = stage.shop.issued_codes
    [dm] = slack_dms(stage, "alice")
    assert f"Code: `{code}`" in str(dm["blocks"])
    assert code not in dm["text"]  # the notification preview leaves it out
    assert dm["metadata"] == {"event_type": "feedbackloop_reward", "event_payload": {"id": JOE_ID}}
    assert slack_dms(stage, "bob") == []
    masked = [line for line in ran.out.splitlines() if not line.startswith("::add-mask::")]
    assert code not in "\n".join(masked)
    assert code not in world.remote_text(JOE)
    assert code not in str(world.github.repo(REPO).commit(head))
    assert f"{JOE_ID}: " in ran.out
    assert f"issued a merch gift card of $30 ending {card['last_characters']}" in ran.out

    # Run again, from the same checkout (a re-run of the job) and from main (the next push): nothing.
    outs = []
    for _ in range(2):
        again = run_publish(stage)
        outs.append(again.out)
        assert again.code == 0, again.out
        assert len(stage.shop.gift_cards()) == 1
        assert len(slack_dms(stage, "alice")) == 1
        assert world.head() == head
        world.checkout()
    # The first run's listing and card, and the stale re-run's listing (it found the card, and that
    # its code had gone out: no word to the interviewer); the run from main has no reward to look for.
    assert stage.shop.count("POST *") == 3
    assert "its code sent to @alice already: recorded it, created none" in "\n".join(outs)


def test_without_rewards_on_publish_the_card_waits_for_feedbackloop_reward(tmp_path: Path) -> None:
    with Stage.create(tmp_path, {JOE: standard_files(7)[JOE]}, rewards_on_publish=False) as stage:
        ran = run_publish(stage)
        assert ran.code == 0, ran.out
        assert stage.shop.gift_cards() == []
        assert stage.shop.requests == []
        assert record_at(stage, JOE).reward.status == "pending"


# -- the calendar ----------------------------------------------------------------------------------------
def lena(day: str = "2026-12-03", time: str = "15:00") -> str:
    """Lena's scheduled call, at `time` on `day` (the id keeps the day it was made with)."""
    text = interview(LENA_ID, topic="Surveys", first_name="Lena", status="scheduled", comment="# Booked.")
    return text.replace("date: 2026-12-03\n", f'date: {day}\ntime: "{time}"\n')


def test_publish_puts_a_scheduled_call_on_the_calendar_once_and_moves_it_without_the_lock(
    tmp_path: Path,
) -> None:
    with Stage.create(tmp_path, {LENA: lena()}) as stage:
        world = stage.world

        ran = run_publish(stage)

        assert ran.code == 0, ran.out
        [event] = stage.calendar.events(CALENDAR)
        assert event["start"] == {"dateTime": "2026-12-03T15:00:00", "timeZone": "Europe/Paris"}
        assert sorted(a["email"] for a in event["attendees"]) == ["alice@acme.example", "bob@acme.example"]
        assert record_at(stage, LENA).published.calendar == event["id"]
        assert f"{LENA_ID}: calendar: added to the calendar, 2 interviewers invited" in ran.out
        assert lock_requests(stage) == []  # the calendar alone: the event's id is its own key
        message = world.github.repo(REPO).commit(world.head()).message
        assert message == (
            f"feedbackloop publish: 1 record\n\n{LENA_ID} (calendar: added to the calendar, 2 interviewers "
            "invited)\n"
        )

        # Run again from main: found, nothing sent but the listing.
        world.checkout()
        world.forget_requests()
        for fake in stage.fakes.values():
            fake.requests.clear()
        ran = run_publish(stage)
        assert ran.code == 0, ran.out
        assert [r.line for r in stage.calendar.requests if r.method != "GET"] == []
        assert [r.line for r in world.github.requests if r.method != "GET"] == []

        # A teammate moves the call to 16:30 on main: the next run moves the event, once.
        world.push({LENA: world.remote_text(LENA).replace('time: "15:00"', 'time: "16:30"')}, "Later")
        ran = run_publish(stage)
        assert ran.code == 0, ran.out
        [moved] = stage.calendar.events(CALENDAR, include_cancelled=True)
        assert (moved["id"], moved["start"]["dateTime"]) == (event["id"], "2026-12-03T16:30:00"), moved
        assert f"{LENA_ID}: calendar: moved on the calendar" in ran.out
        # And to the next day: a new date is a new id and file name; the event keeps its id (the file's).
        text = world.remote_text(LENA).replace("2026-12-03", "2026-12-04")
        world.push({LENA: None, NEXT_DAY: text}, "Lena asked for Friday")
        ran = run_publish(stage)
        assert ran.code == 0, ran.out
        [moved] = stage.calendar.events(CALENDAR, include_cancelled=True)
        assert (moved["id"], moved["start"]["dateTime"]) == (event["id"], "2026-12-04T16:30:00"), moved
        assert len([r for r in stage.calendar.requests if r.method == "PATCH"]) == 2
        assert lock_requests(stage) == []
        world.checkout()
        ran = run_publish(stage)
        assert ran.code == 0, ran.out
        assert len([r for r in stage.calendar.requests if r.method == "PATCH"]) == 2  # nothing more to move
        assert [r.line for r in stage.calendar.requests if r.method == "POST"] == []  # added once only


# -- the follow-up draft in the reminder -------------------------------------------------------------
def drafted(stage: Stage, record_id: str) -> str:
    """The follow-up e-mail as `feedbackloop follow-up` prints it."""
    context = Context(stage.world.root, Environment({}), stage.today)
    return draft(context, context.repository.record(record_id)).text


def messages_everywhere(stage: Stage) -> list[dict[str, Any]]:
    slack = stage.world.slack
    return [m for channel in list(slack.channels) for m in slack.messages(channel)]


@pytest.mark.parametrize("mode", ["dm", "channel"])
def test_a_follow_up_reminder_carries_the_draft_in_a_direct_message_only(tmp_path: Path, mode: str) -> None:
    with Stage.create(tmp_path, {}, stores=False) as stage:
        files, owed = every_kind(stage.world)
        config = remind_settings(roster=ROSTER_WITH_DAVE, open_collective_page=PAGE, slack_reminders=mode)
        stage.world.push({"pyproject.toml": config, **files}, "Interviews to remind about")

        ran = stage.run(remind.run, dry_run=False, include_examples=False)

        assert ran.code == 0, ran.out
        text = drafted(stage, owed.follow_up)
        assert text.startswith("Subject: Thank you for talking with us about Web analytics")
        heading = f"*Follow-up draft, {owed.follow_up}*"
        [dashboard] = [
            i for i in stage.world.issues(REPO) if DASHBOARD_LABEL in [label["name"] for label in i["labels"]]
        ]
        assert "Follow-up draft" not in dashboard["body"]
        assert "Thank you for talking with us" not in dashboard["body"]
        with_draft = [m for m in messages_everywhere(stage) if heading in str(m["blocks"])]
        if mode == "channel":
            assert with_draft == []
            assert not [m for m in messages_everywhere(stage) if "Thank you for talking" in str(m["blocks"])]
            return
        [dm] = with_draft
        assert dm in slack_dms(stage, "bob")  # bob owes the follow-up
        block = next(b for b in dm["blocks"] if heading in b["text"]["text"])
        assert "Hi Quillibert," in block["text"]["text"]  # the draft's text, escaped for Slack
        assert "Thank you for taking the time to talk with us on" in block["text"]["text"]
        assert not [m for m in slack_dms(stage, "alice") if "Follow-up draft" in str(m["blocks"])]


def test_a_follow_up_done_since_the_morning_is_not_drafted_again(tmp_path: Path) -> None:
    """The next morning's reminder drafts only what is still owed."""
    with Stage.create(tmp_path, {}, stores=False) as stage:
        files, owed = every_kind(stage.world)
        config = remind_settings(roster=ROSTER_WITH_DAVE, open_collective_page=PAGE)
        stage.world.push({"pyproject.toml": config, **files}, "Interviews to remind about")
        assert stage.run(remind.run, dry_run=False, include_examples=False).code == 0
        path = next(p for p in files if owed.follow_up in p)
        done = (stage.today + timedelta(days=1)).isoformat()
        text = stage.world.remote_text(path).replace(
            "follow_up:\n  status: pending", f"follow_up:\n  status: done\n  done_on: {done}"
        )
        stage.world.push({path: text}, "Follow-up sent")
        stage.next_day()

        ran = stage.run(remind.run, dry_run=False, include_examples=False)

        assert ran.code == 0, ran.out
        latest = slack_dms(stage, "bob")[-1]
        assert latest["metadata"]["event_payload"]["day"] == stage.today.isoformat()
        assert "Follow-up draft" not in str(latest["blocks"])
