"""What `remind` flags and what the dashboard says: pure functions of records, settings, the day and the
closed issues. Records are built directly (no files), so every boundary is one line to read."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from feedbackloop.config import Settings, settings_from_table
from feedbackloop.plan.remind import (
    KINDS,
    TITLES,
    Closed,
    Flag,
    by_owner,
    calls_this_month,
    flags,
    items_digest,
    month_flags,
    news,
    told_pending,
)
from feedbackloop.plan.report import calls_table, charts, dashboard
from feedbackloop.records.model import FollowUp, Interview, Note, Person, Record, Request, Reward
from feedbackloop.records.parse import Parsed
from feedbackloop.records.repo import Repository

TODAY = date(2026, 11, 28)
# A first name no dashboard, log line or flag text may ever contain (ids below never include it).
SENTINEL = "Quillibert"
ROSTER = [
    {"github": "alice", "slack": "U0ALICE"},
    {"github": "bob", "slack": "U0BOB"},
    {"github": "carol", "slack": "U0CAROL"},
]
PAGE = "https://opencollective.com/acme/contribute/gift-cards"
ISSUES = "https://github.com/acme/product/issues"


def settings(**values: Any) -> Settings:
    return settings_from_table({"roster": ROSTER, **values})


def call(
    slug: str,
    day: date,
    *,
    status: str = "completed",
    interviewers: Sequence[str] = ("alice",),
    reward: Reward | None = None,
    follow_up: FollowUp | None = None,
    requests: Sequence[Request] = (),
    recruited_via: str | None = "survey",
    example: bool = False,
) -> Interview:
    record_id = f"{day.isoformat()}-{slug}"
    done = status == "completed"
    return Interview(
        path=f"interviews/{day.year}/{record_id}.md",
        id=record_id,
        date=day,
        user=Person(first_name=SENTINEL, profile=f"https://us.posthog.com/project/2/person/{slug}"),
        requests=tuple(requests),
        example=example,
        notes="## Notes\n\n- talked" if done else "## Notes\n",
        topic="Web analytics",
        status=status,  # type: ignore[arg-type]
        interviewers=tuple(interviewers),
        recruited_via=recruited_via,
        summary="A summary." if done else None,
        reward=reward
        if reward is not None
        else (Reward("merch", Decimal(30), "sent", sent_on=day) if done else Reward()),
        follow_up=follow_up
        if follow_up is not None
        else (FollowUp("done", done_on=day) if done else FollowUp()),
    )


def note(slug: str, day: date, *, requests: Sequence[Request] = (), received_by: str = "carol") -> Note:
    record_id = f"{day.isoformat()}-{slug}"
    return Note(
        path=f"interviews/{day.year}/{record_id}.md",
        id=record_id,
        date=day,
        user=Person(first_name=SENTINEL, profile=f"https://us.posthog.com/project/2/person/{slug}"),
        requests=tuple(requests),
        received_by=received_by,
        received_via="slack",
        feedback="The editor loses the query.",
    )


def ago(days: int, today: date = TODAY) -> date:
    return today - timedelta(days=days)


def pending_merch(amount: int | None = 30) -> Reward:
    return Reward("merch", None if amount is None else Decimal(amount), "pending")


def of_kind(found: Sequence[Flag], kind: str) -> list[Flag]:
    return [f for f in found if f.kind == kind]


def only(found: Sequence[Flag], kind: str) -> Flag:
    matching = of_kind(found, kind)
    assert len(matching) == 1, matching
    return matching[0]


def run(
    records: Sequence[Record],
    today: date = TODAY,
    closed: dict[str, Closed] | None = None,
    chosen: Settings | None = None,
    monthly: bool = False,
) -> list[Flag]:
    """The flags; those of the monthly call (due from the 15th, and TODAY is the 28th) only if asked."""
    found = flags(records, chosen or settings(), today, closed or {})
    return found if monthly else [f for f in found if f.kind != "no-call"]


# -- rewards ----------------------------------------------------------------------------------------


def test_a_merch_reward_pending_past_the_setting_says_to_run_the_reward_command() -> None:
    record = call("web-analytics", ago(8), interviewers=("alice", "bob"), reward=pending_merch())
    flag = only(run([record]), "reward")
    assert flag.key == f"reward:{record.id}"
    assert flag.owners == ("alice", "bob")
    assert flag.path == record.path
    assert flag.record_id == record.id
    assert flag.days == 1  # one day past the seven allowed
    assert f"`feedbackloop reward {record.id}`" in flag.text
    assert "30 USD" in flag.text
    assert "(8 days since the call)" in flag.text
    assert flag.text.startswith(f"`{record.id}`")


def test_exactly_the_setting_is_not_yet_overdue_and_the_setting_is_honoured() -> None:
    at_seven = call("seven", ago(7), reward=pending_merch())
    assert run([at_seven]) == []
    assert only(run([at_seven], chosen=settings(reward_overdue_days=6)), "reward").days == 1
    at_ten = call("ten", ago(10), reward=pending_merch())
    assert run([at_ten], chosen=settings(reward_overdue_days=10)) == []
    assert of_kind(run([at_ten], chosen=settings(reward_overdue_days=9)), "reward")


def test_an_open_collective_reward_names_the_page_and_the_amount() -> None:
    chosen = settings(
        open_collective_page=PAGE,
        rewards={"open-collective": {"amount": "50", "currency": "EUR"}},
    )
    from_settings = call("oc-default", ago(9), reward=Reward("open-collective", None, "pending"))
    own_amount = call("oc-own", ago(9), reward=Reward("open-collective", Decimal(25), "pending"))
    found = {f.record_id: f for f in run([from_settings, own_amount], chosen=chosen)}
    assert "50 EUR" in found[from_settings.id].text
    assert "25 EUR" in found[own_amount.id].text
    for flag in found.values():
        assert PAGE in flag.text
        assert "Open Collective" in flag.text
        assert "feedbackloop reward" not in flag.text  # it cannot be automated
        assert "`reward.status: sent`" in flag.text


def test_an_open_collective_reward_without_the_page_set_still_says_where_to_go() -> None:
    record = call("oc", ago(9), reward=Reward("open-collective", Decimal(30), "pending"))
    text = only(run([record]), "reward").text
    assert "Open Collective gift-card page" in text
    assert "30 USD" in text


def test_an_issued_card_not_yet_sent_says_to_send_it() -> None:
    reward = Reward("merch", Decimal(30), "issued", issued_on=ago(9), card="gid://shopify/GiftCard/1")
    record = call("issued", ago(9), reward=replace(reward, card_last="Q7RT"))
    flag = only(run([record]), "reward")
    assert "send the gift card (ending Q7RT)" in flag.text
    assert "`reward.status: sent`" in flag.text
    assert "feedbackloop reward" not in flag.text


@pytest.mark.parametrize(
    "reward",
    [
        Reward("merch", Decimal(30), "sent", sent_on=date(2026, 10, 5)),
        Reward("merch", Decimal(30), "declined"),
        Reward("none", None, "not-applicable"),
        Reward("none", None, "declined"),
    ],
    ids=["sent", "declined", "none", "none-declined"],
)
def test_a_reward_that_is_settled_is_never_flagged(reward: Reward) -> None:
    assert of_kind(run([call("settled", date(2026, 10, 1), reward=reward)]), "reward") == []


# -- follow-ups -------------------------------------------------------------------------------------


def test_a_follow_up_pending_past_the_setting_gives_the_draft_command() -> None:
    chosen = settings(follow_up_overdue_days=10)
    at_ten = call("ten", ago(10), follow_up=FollowUp("pending"))
    at_eleven = call("eleven", ago(11), interviewers=("bob",), follow_up=FollowUp("pending"))
    found = run([at_ten, at_eleven], chosen=chosen)
    flag = only(found, "follow-up")
    assert flag.record_id == at_eleven.id
    assert flag.key == f"follow-up:{at_eleven.id}"
    assert flag.owners == ("bob",)
    assert flag.days == 1
    assert f"`feedbackloop follow-up {at_eleven.id}`" in flag.text
    done = call("done", ago(30), follow_up=FollowUp("done", done_on=ago(20)))
    assert run([done], chosen=chosen) == []


# -- calls without notes ----------------------------------------------------------------------------


def test_a_scheduled_call_more_than_two_days_past_is_flagged_for_notes() -> None:
    three = call("three", ago(3), status="scheduled", interviewers=("carol",))
    two = call("two", ago(2), status="scheduled")
    today = call("today", TODAY, status="scheduled")
    coming = call("coming", TODAY + timedelta(days=5), status="scheduled")
    flag = only(run([three, two, today, coming]), "notes")
    assert flag.record_id == three.id
    assert flag.key == f"notes:{three.id}"
    assert flag.owners == ("carol",)
    assert flag.days == 1
    assert "write the notes" in flag.text
    assert "`status: completed`" in flag.text


def test_the_notes_setting_is_honoured() -> None:
    five = call("five", ago(5), status="scheduled")
    assert run([five], chosen=settings(notes_overdue_days=5)) == []
    assert of_kind(run([five], chosen=settings(notes_overdue_days=4)), "notes")


@pytest.mark.parametrize("status", ["cancelled", "no-show"])
def test_cancelled_and_no_show_calls_are_never_flagged(status: str) -> None:
    record = call(status, ago(40), status=status, reward=pending_merch(), follow_up=FollowUp("pending"))
    assert run([record]) == []


# -- shipped requests -------------------------------------------------------------------------------


def test_a_request_closed_as_completed_and_not_yet_told_is_flagged_for_its_owners() -> None:
    shipped = Request("feature", "Break down funnels by cohort", issue=f"{ISSUES}/41")
    open_one = Request("bug", "Crash with 50 steps", issue=f"{ISSUES}/42")
    record = call("shipped", ago(60), interviewers=("alice", "bob"), requests=[open_one, shipped])
    closed = {f"{ISSUES}/41": Closed(f"{ISSUES}/41", completed=True)}
    flag = only(run([record], closed=closed), "shipped")
    assert flag.key == f"shipped:{record.id}#2"
    assert flag.owners == ("alice", "bob")
    assert "“Break down funnels by cohort” shipped" in flag.text
    assert f"{ISSUES}/41" in flag.text
    assert "`told_on` on request 2" in flag.text
    assert f"Tell {SENTINEL} that" in flag.private  # only the owner's own message names the person


def test_closed_as_not_planned_or_still_open_or_already_told_is_not_shipped() -> None:
    not_planned = Request("feature", "Not planned", issue=f"{ISSUES}/1")
    still_open = Request("feature", "Open", issue=f"{ISSUES}/2")
    told = Request("feature", "Told", issue=f"{ISSUES}/3", told_on=ago(1))
    no_issue = Request("bug", "Not filed yet")
    record = call("requests", ago(60), requests=[not_planned, still_open, told, no_issue])
    closed = {
        f"{ISSUES}/1": Closed(f"{ISSUES}/1", completed=False),
        f"{ISSUES}/3": Closed(f"{ISSUES}/3", completed=True),
    }
    assert run([record], closed=closed) == []
    assert told_pending([record]) == [record]  # requests 1 and 2 may still close
    everything_told = call("all-told", ago(60), requests=[told, no_issue])
    assert told_pending([everything_told]) == []


def test_a_notes_request_that_shipped_goes_to_who_received_it() -> None:
    record = note("slack-feedback", ago(20), requests=[Request("bug", "Editor", issue=f"{ISSUES}/9")])
    found = run([record], closed={f"{ISSUES}/9": Closed(f"{ISSUES}/9", completed=True)})
    assert [(f.kind, f.owners) for f in found] == [("shipped", ("carol",))]


def test_a_note_is_never_flagged_for_reward_follow_up_or_notes() -> None:
    assert run([note("old-feedback", ago(300))]) == []


# -- the monthly call -------------------------------------------------------------------------------


def month(today: date) -> list[Record]:
    """alice held a call this month; bob has one booked later this month; carol's was last month, and
    her call this month was cancelled."""
    first = today.replace(day=1)
    return [
        call("alice-call", first, interviewers=("alice",)),
        call("bob-booked", today.replace(day=27), status="scheduled", interviewers=("bob",)),
        call("carol-last", first - timedelta(days=3), interviewers=("carol",)),
        call("carol-cancelled", first + timedelta(days=2), status="cancelled", interviewers=("carol",)),
        note("carol-note", first + timedelta(days=3)),
    ]


def test_teammates_without_a_call_are_flagged_only_from_the_monthly_day() -> None:
    assert month_flags(month(date(2026, 11, 14)), settings(), date(2026, 11, 14)) == []
    found = month_flags(month(date(2026, 11, 15)), settings(), date(2026, 11, 15))
    assert [(f.kind, f.key, f.owners) for f in found] == [("no-call", "no-call:carol:2026-11", ("carol",))]
    assert "@carol" in found[0].text
    assert "November 2026" in found[0].text
    later = settings(monthly_call_day=20)
    assert month_flags(month(date(2026, 11, 19)), later, date(2026, 11, 19)) == []
    assert len(month_flags(month(date(2026, 11, 20)), later, date(2026, 11, 20))) == 1


def test_without_a_roster_nobody_is_flagged_for_the_monthly_call() -> None:
    assert month_flags(month(TODAY), Settings(), TODAY) == []


def test_a_roster_login_matches_interviewers_whatever_the_case() -> None:
    records = [call("alice", TODAY.replace(day=2), interviewers=("Alice",))]
    found = month_flags(records, settings(), TODAY)
    assert sorted(f.owners[0] for f in found) == ["bob", "carol"]


def test_calls_this_month_count_held_and_booked_calls_not_cancelled_ones_nor_notes() -> None:
    counts = calls_this_month(month(TODAY), TODAY)
    assert counts == {"alice": 1, "bob": 1}


def test_the_calls_table_lists_everyone_and_marks_who_joined_most() -> None:
    records = [
        *month(TODAY),
        call("alice-second", TODAY.replace(day=5), interviewers=("alice", "bob")),
        call("alice-third", TODAY.replace(day=9), interviewers=("alice",)),
    ]
    table = calls_table(records, settings(), TODAY)
    assert table.splitlines() == [
        "| teammate | calls |",
        "|---|---|",
        "| @alice | 3 🏆 |",
        "| @bob | 2 |",
        "| @carol | 0 |",
    ]


def test_a_tie_for_most_calls_marks_both_and_nobody_when_there_were_none() -> None:
    records = [call("both", TODAY.replace(day=2), interviewers=("alice", "carol"))]
    assert calls_table(records, settings(), TODAY).splitlines()[2:] == [
        "| @alice | 1 🏆 |",
        "| @carol | 1 🏆 |",
        "| @bob | 0 |",
    ]
    assert "🏆" not in calls_table([], settings(), TODAY)


# -- examples ---------------------------------------------------------------------------------------


def test_examples_are_left_out_unless_included(tmp_path: Path) -> None:
    real = call("real", ago(10), reward=pending_merch())
    example = call("example", ago(10), reward=pending_merch(), example=True)
    repository = Repository(
        tmp_path, settings(), [Parsed(r.path, r, []) for r in (real, example)], problems=[]
    )
    assert repository.active() == [real]
    assert repository.active(True) == [real, example]
    included = Repository(
        tmp_path, settings(include_examples=True), [Parsed(r.path, r, []) for r in (real, example)]
    )
    assert included.active() == [real, example]


# -- order, owners, the once-a-day digest -------------------------------------------------------------


def every_kind(today: date = TODAY) -> tuple[list[Record], dict[str, Closed]]:
    records: list[Record] = [
        call("reward-late", ago(12, today), interviewers=("alice",), reward=pending_merch()),
        call("reward-later", ago(20, today), interviewers=("bob",), reward=pending_merch()),
        call("follow-late", ago(9, today), interviewers=("alice", "bob"), follow_up=FollowUp("pending")),
        call("no-notes", ago(4, today), status="scheduled", interviewers=("bob",)),
        call(
            "shipped",
            ago(90, today),
            interviewers=("alice",),
            requests=[Request("feature", "Cohort breakdowns", issue=f"{ISSUES}/5")],
            recruited_via="slack",
        ),
    ]
    return records, {f"{ISSUES}/5": Closed(f"{ISSUES}/5", completed=True)}


def test_flags_come_by_kind_then_most_overdue_first() -> None:
    records, closed = every_kind()
    found = run(records, closed=closed, monthly=True)
    assert [f.kind for f in found] == ["reward", "reward", "follow-up", "notes", "shipped", "no-call"]
    assert [f.days for f in of_kind(found, "reward")] == [13, 5]
    assert found[-1].owners == ("carol",)


def test_each_owner_gets_only_their_own_items() -> None:
    records, closed = every_kind()
    owners = by_owner(run(records, closed=closed, monthly=True))
    assert list(owners) == ["alice", "bob", "carol"]
    assert [f.key.split(":")[0] for f in owners["alice"]] == ["reward", "follow-up", "shipped"]
    assert [f.key.split(":")[0] for f in owners["bob"]] == ["reward", "follow-up", "notes"]
    assert [f.kind for f in owners["carol"]] == ["no-call"]


def test_the_digest_is_the_set_of_items_not_their_order_nor_their_age() -> None:
    records, closed = every_kind()
    today = run(records, closed=closed, monthly=True)
    tomorrow = run(records, TODAY + timedelta(days=1), closed=closed, monthly=True)
    assert [f.days for f in today] != [f.days for f in tomorrow]
    assert items_digest(today) == items_digest(list(reversed(today)))
    assert items_digest(today) == items_digest(tomorrow)  # older, not new: no second reminder for it
    assert items_digest(today) != items_digest(today[1:])
    assert re.fullmatch(r"[0-9a-f]{6}(\.[0-9a-f]{6})*", items_digest(today))
    # only a new item is news: a set that shrank since the morning's reminder is not
    assert news(items_digest(today), None)
    assert not news(items_digest(today[1:]), items_digest(today))
    assert news(items_digest(today), items_digest(today[1:]))
    assert not news(items_digest(today), "pending:" + items_digest(today))


def test_no_flag_text_names_the_user() -> None:
    records, closed = every_kind()
    for flag in run(records, closed=closed, monthly=True):
        assert SENTINEL not in flag.text


# -- the dashboard ----------------------------------------------------------------------------------


def test_the_dashboard_has_a_section_of_checkboxes_per_kind_with_owners_mentioned() -> None:
    records, closed = every_kind()
    found = run(records, closed=closed, monthly=True)
    text = dashboard(records, settings(), TODAY, found)
    assert text.startswith(f"## To do ({len(found)})\n")
    headings = re.findall(r"^### (.+) \((\d+)\)$", text, re.MULTILINE)
    assert headings[: len(KINDS)] == [
        (TITLES["reward"], "2"),
        (TITLES["follow-up"], "1"),
        (TITLES["notes"], "1"),
        (TITLES["shipped"], "1"),
        (TITLES["no-call"], "1"),
    ]
    boxes = [line for line in text.splitlines() if line.startswith("- [ ] ")]
    assert len(boxes) == len(found)
    for flag, line in zip(found, boxes, strict=True):
        shown = flag.text if flag.path is None else flag.text.replace(f"`{flag.record_id}`", f"`{flag.path}`")
        assert line == f"- [ ] {shown} — {' '.join('@' + o for o in flag.owners)}"
    assert "## Calls in November 2026" in text
    assert "| @carol | 0 |" in text
    assert "## Trends" in text
    assert SENTINEL not in text


def test_a_kind_with_nothing_due_has_no_section_and_nothing_due_says_so() -> None:
    records = [call("fine", ago(3))]
    text = dashboard(records, settings(monthly_call_day=28), TODAY, [])
    assert "## To do (0)\n\nNothing is overdue. 🎉" in text
    assert "- [ ]" not in text
    for title in TITLES.values():
        assert title not in text


# -- the charts: what GitHub's mermaid parses ----------------------------------------------------------

LABEL = r'"[A-Z][a-z]{2} \d{2}"'
XY = re.compile(
    r"```mermaid\n"
    r"xychart-beta\n"
    r'    title "(?P<title>[^"\n]+)"\n'
    rf"    x-axis \[(?P<labels>{LABEL}(?:, {LABEL})*)\]\n"
    r'    y-axis "(?P<axis>[^"\n]+)" 0 --> (?P<top>\d+)\n'
    r"    bar \[(?P<values>\d+(?:, \d+)*)\]\n"
    r"```"
)
PIE = re.compile(r"```mermaid\npie title (?P<title>[^\n\"]+)\n(?P<slices>(?:    \"[^\"\n]+\" : \d+\n)+)```")


def mermaid_blocks(text: str) -> list[str]:
    blocks = re.findall(r"```mermaid\n.*?```", text, re.DOTALL)
    assert text.count("```") == 2 * len(blocks), "an unclosed fence"
    return blocks


def bar_chart(block: str) -> tuple[str, list[str], int, list[int]]:
    found = XY.fullmatch(block)
    assert found, f"not an xychart-beta GitHub renders:\n{block}"
    labels = re.findall(r'"([^"]+)"', found["labels"])
    values = [int(v) for v in found["values"].split(", ")]
    assert len(labels) == len(values) == 12, "one value per month, 12 months"
    assert int(found["top"]) >= max(values)
    assert int(found["top"]) >= 1
    return found["title"], labels, int(found["top"]), values


def pie_chart(block: str) -> dict[str, int]:
    found = PIE.fullmatch(block)
    assert found, f"not a pie chart GitHub renders:\n{block}"
    slices = dict(re.findall(r'    "([^"]+)" : (\d+)', found["slices"]))
    return {label: int(count) for label, count in slices.items()}


def test_three_charts_github_renders_with_twelve_months_ending_now_across_a_year_boundary() -> None:
    today = date(2027, 1, 10)
    records: list[Record] = [
        call(
            "jan",
            date(2027, 1, 4),
            recruited_via="survey",
            requests=[Request("bug", "A", issue=f"{ISSUES}/1")],
        ),
        call("dec-a", date(2026, 12, 2), recruited_via="slack"),
        call("dec-b", date(2026, 12, 20), recruited_via="slack"),
        call(
            "feb",
            date(2026, 2, 14),
            recruited_via="email",
            requests=[Request("bug", "B", issue=f"{ISSUES}/2"), Request("feature", "C", issue=f"{ISSUES}/3")],
        ),
        call("too-old", date(2026, 1, 30), recruited_via="roadmap"),  # 13 months back: out of every chart
        call("booked", date(2027, 1, 20), status="scheduled"),  # not held: not an interview yet
        call("cancelled", date(2026, 12, 5), status="cancelled", recruited_via="other"),
        call("unfiled", date(2026, 12, 3), requests=[Request("bug", "Not filed yet")]),
        note("note", date(2026, 12, 8), requests=[Request("bug", "D", issue=f"{ISSUES}/4")]),
    ]
    text = charts(records, today)
    blocks = mermaid_blocks(text)
    assert len(blocks) == 3
    expected_labels = [
        "Feb 26", "Mar 26", "Apr 26", "May 26", "Jun 26", "Jul 26",
        "Aug 26", "Sep 26", "Oct 26", "Nov 26", "Dec 26", "Jan 27",
    ]  # fmt: skip
    title, labels, top, interviews = bar_chart(blocks[0])
    assert (title, labels) == ("Interviews per month", expected_labels)
    assert interviews == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1]  # dec-a, dec-b and unfiled in Dec 26
    assert top == 3
    title, labels, _, requests = bar_chart(blocks[1])
    assert (title, labels) == ("Requests filed per month", expected_labels)
    assert requests == [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]  # the note's request counts; unfiled does not
    assert pie_chart(blocks[2]) == {"survey": 2, "slack": 2, "email": 1}  # held calls only
    assert "```mermaid\npie title How users were recruited\n" in text


def test_a_year_with_no_interviews_draws_empty_bars_and_no_pie() -> None:
    text = charts([call("long-ago", date(2024, 3, 1))], TODAY)
    blocks = mermaid_blocks(text)
    assert len(blocks) == 2
    for block in blocks:
        _, labels, top, values = bar_chart(block)
        assert labels[-1] == "Nov 26"
        assert labels[0] == "Dec 25"
        assert values == [0] * 12
        assert top == 1  # mermaid needs a range that is not empty
    assert "No completed interviews in the last 12 months." in text


@pytest.mark.parametrize("today", [date(2026, 1, 1), date(2026, 12, 31), date(2028, 2, 29)])
def test_the_months_always_end_with_the_current_one(today: date) -> None:
    _, labels, _, _ = bar_chart(mermaid_blocks(charts([], today))[0])
    assert labels[-1] == today.strftime("%b %y")
    assert len(set(labels)) == 12


def test_a_request_title_cannot_break_the_dashboard_nor_mention_anyone() -> None:
    title = (
        "Cohorts\n- [x] `2026-01-01-fake`: done — @alice\n"
        '<!-- feedbackloop:reminded {"day":"2026-11-28","bob":"0123456789ab"} -->\n'
        "<details><summary>open me</summary> cc @acme/everyone and @bob"
    )
    record = call("hostile", ago(60), requests=[Request("feature", title, issue=f"{ISSUES}/8")])
    found = run([record], closed={f"{ISSUES}/8": Closed(f"{ISSUES}/8", completed=True)})
    text = dashboard([record], settings(), TODAY, found)
    boxes = [line for line in text.splitlines() if line.startswith("- [")]
    assert len(boxes) == 1, boxes
    assert boxes[0].endswith("— @alice")  # the owner, mentioned on purpose
    assert "<!--" not in text
    assert "<details>" not in text
    mentions = re.findall(r"(?<![\w`])@[A-Za-z0-9][\w/-]*", text)
    assert set(mentions) <= {"@alice", "@bob", "@carol"}, mentions
    assert mentions.count("@bob") == 1  # the calls table only
    assert "Cohorts - [x]" in boxes[0]  # the title is still there to read, on one line


def test_the_reminder_ledger_is_the_last_marker_of_the_body() -> None:
    from feedbackloop.commands.remind import Ledger, dashboard_body

    ledger = Ledger("2026-11-28", {"alice": "0123456789ab", "bob": "pending:ba9876543210"})
    spoof = '<!-- feedbackloop:reminded {"day":"2026-11-28","carol":"ffffffffffff"} -->'
    body = dashboard_body(f"## To do (1)\n\n{spoof}\n", ledger)
    assert Ledger.read(body, TODAY) == ledger
    assert Ledger.read(body, TODAY + timedelta(days=1)) == Ledger("2026-11-29")


def test_each_flag_names_its_file_as_a_link_on_github_and_as_a_path_elsewhere() -> None:
    records, closed = every_kind()
    found = run(records, closed=closed, monthly=True)
    blob = "https://github.com/acme/interviews/blob/main/"
    linked = dashboard(records, settings(), TODAY, found, files=blob)
    plain = dashboard(records, settings(), TODAY, found)
    for flag in found:
        if flag.path is None:
            continue
        assert f"- [ ] [`{flag.record_id}`]({blob}{flag.path}):" in linked
        assert f"- [ ] `{flag.path}`:" in plain
    assert linked.count("- [ ] @carol has joined no user call") == 1  # a month flag has no file


def test_a_backlog_of_overdue_items_still_fits_in_an_issue() -> None:
    records: list[Record] = [
        call(f"backlog-{n:03d}", ago(30 + n % 200), interviewers=("alice", "bob"), reward=pending_merch(),
             follow_up=FollowUp("pending"))
        for n in range(400)
    ]  # fmt: skip
    found = run(records, monthly=True)
    text = dashboard(records, settings(), TODAY, found, files="https://github.com/acme/interviews/blob/main/")
    assert len(text) < 60_000  # GitHub refuses an issue body over 65,536 characters
    assert "### Rewards to send (400)" in text
    assert "### Follow-ups to send (400)" in text
    assert text.count("- [ ] ") < 100
    assert "- … and 380 more: `feedbackloop remind --dry-run` lists them all" in text
    assert "```mermaid\npie title" in text  # the charts are still there
