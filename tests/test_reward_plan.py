"""The reward's plan (pure) and the Shopify adapter's reading of a throttled answer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from feedbackloop.config import Settings, settings_from_table
from feedbackloop.errors import FeedbackloopError, UsageError
from feedbackloop.plan.reward import (
    card_note,
    earlier_merch,
    lookup_since,
    money,
    note_id,
    open_collective_step,
    pending_rewards,
    plan_reward,
)
from feedbackloop.records.model import Interview, Person, Reward
from feedbackloop.services.shopify import throttle_wait

TODAY = date(2026, 11, 28)
JOE = "https://us.posthog.com/project/2/person/joe"


def call(
    record_id: str,
    kind: str = "merch",
    status: str = "pending",
    amount: str | None = None,
    profile: str | None = JOE,
    call_status: str = "completed",
) -> Interview:
    return Interview(
        path=f"interviews/2026/{record_id}.md",
        id=record_id,
        date=date.fromisoformat(record_id[:10]),
        user=Person(first_name="Joe", profile=profile),
        status=call_status,  # type: ignore[arg-type]
        reward=Reward(kind, Decimal(amount) if amount else None, status),  # type: ignore[arg-type]
    )


def test_the_note_holds_the_key_and_the_profile_and_is_read_back() -> None:
    record = call("2026-11-18-web-analytics-joe")
    note = card_note(record)
    assert note == f"feedbackloop reward 2026-11-18-web-analytics-joe\nprofile: {JOE}"
    assert note_id(note) == record.id
    # staff may add to the note in Shopify admin: the key line still names the interview
    assert note_id(f"Thanks Joe!\n{note}\nsent 2026-11-20") == record.id
    assert note_id(card_note(call("2026-11-18-web-analytics-joe-2"))) == "2026-11-18-web-analytics-joe-2"
    assert note_id("Bought in the store") is None
    assert note_id(None) is None
    assert card_note(call("2026-11-18-x", profile=None)) == "feedbackloop reward 2026-11-18-x"


def test_cards_are_listed_from_the_day_before_the_earliest_call() -> None:
    assert lookup_since([call("2026-11-18-a"), call("2026-11-03-b")]) == date(2026, 11, 2)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [("30", "USD", "$30"), ("30.5", "USD", "$30.50"), ("12.25", "EUR", "€12.25"), ("40", "CHF", "40 CHF")],
)
def test_money(amount: str, currency: str, shown: str) -> None:
    assert money(Decimal(amount), currency) == shown


def test_a_merch_reward_is_a_gift_card_with_the_settings_amount_and_expiry() -> None:
    settings = settings_from_table(
        {"gift_card_expiry_days": 90, "rewards": {"merch": {"amount": "25", "currency": "USD"}}}
    )
    plan = plan_reward(call("2026-11-18-a"), [], settings, TODAY)
    assert (plan.action, plan.amount, plan.currency, plan.expires_on) == (
        "gift-card",
        Decimal(25),
        "USD",
        date(2027, 2, 26),
    )
    assert plan.describe() == "a merch gift card of $25, expiring on 2027-02-26"
    assert plan_reward(call("2026-11-18-a", amount="40"), [], Settings(), TODAY).amount == Decimal(40)
    assert plan_reward(call("2026-11-18-a"), [], Settings(), TODAY).expires_on is None


@pytest.mark.parametrize(
    ("earlier_status", "becomes"),
    [("sent", "open-collective"), ("issued", "open-collective"), ("declined", "gift-card")],
)
def test_a_person_who_received_merch_gets_open_collective(earlier_status: str, becomes: str) -> None:
    june = call("2026-06-18-onboarding", status=earlier_status)
    november = call("2026-11-18-web-analytics")
    stranger = call("2026-06-01-other", status="sent", profile="https://us.posthog.com/project/2/person/ann")

    plan = plan_reward(november, [june, november, stranger], Settings(), TODAY)

    assert plan.action == becomes
    assert plan.convert is (becomes == "open-collective")
    if becomes == "open-collective":
        assert plan.earlier == june.id
        assert plan.expires_on is None
        assert (
            plan.describe()
            == f"an Open Collective gift card of $30 (the person received merch for {june.id})"
        )


@pytest.mark.parametrize(
    "written", [JOE + "/", JOE + "?ref=newsletter", "HTTPS://US.POSTHOG.COM/project/2/person/joe#x"]
)
def test_the_same_person_is_found_however_the_profile_link_is_written(written: str) -> None:
    june = call("2026-06-18-onboarding", status="sent", profile=written)
    november = call("2026-11-18-web-analytics")
    assert earlier_merch(november, [june, november]) == june
    assert plan_reward(november, [june], Settings(), TODAY).action == "open-collective"
    given = plan_reward(november, [], Settings(), TODAY, {written: "2026-11-01-x"})
    assert given.earlier == "2026-11-01-x"
    broken = "interviews/2026/2026-06-18-broken.md"
    with pytest.raises(FeedbackloopError, match="cannot be read"):
        plan_reward(november, [], Settings(), TODAY, unreadable={broken: {written}})


def test_merch_issued_earlier_in_the_same_run_counts() -> None:
    plan = plan_reward(call("2026-11-25-again"), [], Settings(), TODAY, {JOE: "2026-11-18-first"})
    assert (plan.action, plan.convert, plan.earlier) == ("open-collective", True, "2026-11-18-first")


def test_a_file_that_cannot_be_read_and_names_the_person_stops_their_merch() -> None:
    broken = "interviews/2026/2026-06-18-onboarding.md"
    with pytest.raises(
        FeedbackloopError, match=f"no merch gift card while {broken} cannot be read"
    ) as raised:
        plan_reward(call("2026-11-18-a"), [], Settings(), TODAY, unreadable={broken: {JOE}})
    assert raised.value.fix.startswith(f"run `feedbackloop validate {broken}`")
    assert JOE not in str(raised.value)  # a log names files and ids, never the person
    # Someone else's broken file stops nothing; nor does one when the merch already read says enough.
    other = {broken: {"https://us.posthog.com/project/2/person/ann"}}
    assert plan_reward(call("2026-11-18-a"), [], Settings(), TODAY, unreadable=other).action == "gift-card"
    june = call("2026-06-01-b", status="sent")
    plan = plan_reward(call("2026-11-18-a"), [june], Settings(), TODAY, unreadable={broken: {JOE}})
    assert plan.action == "open-collective"
    oc = call("2026-11-18-a", kind="open-collective")
    assert plan_reward(oc, [], Settings(), TODAY, unreadable={broken: {JOE}}).action == "open-collective"


def test_earlier_merch_needs_the_same_profile() -> None:
    assert (
        earlier_merch(call("2026-11-18-a", profile=None), [call("2026-06-01-b", status="sent", profile=None)])
        is None
    )


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        ("merch", "issued", "the merch reward was issued on an earlier day"),
        ("merch", "sent", "the merch reward was sent on"),
        ("merch", "declined", "the reward was declined"),
        ("none", "not-applicable", "no reward applies"),
        ("none", "pending", "no reward (`kind: none`)"),
    ],
)
def test_nothing_to_do(kind: str, status: str, reason: str) -> None:
    plan = plan_reward(call("2026-11-18-a", kind=kind, status=status), [], Settings(), TODAY)
    assert plan.action == "nothing"
    assert plan.reason.startswith(reason)


def test_an_open_collective_reward_stays_one_and_names_its_next_step() -> None:
    plan = plan_reward(call("2026-11-18-a", kind="open-collective"), [], Settings(), TODAY)
    assert (plan.action, plan.convert) == ("open-collective", False)
    assert open_collective_step(plan, "https://opencollective.com/acme") == (
        "send an Open Collective gift card of $30 from https://opencollective.com/acme, then set "
        "`reward.status: sent` and `reward.sent_on` in interviews/2026/2026-11-18-a.md "
        "(Open Collective's API cannot create gift cards)"
    )
    assert "set `open_collective_page`" in open_collective_step(plan, "")


def test_refusals() -> None:
    with pytest.raises(FeedbackloopError, match="is scheduled: a reward follows a completed call"):
        plan_reward(call("2026-11-18-a", call_status="scheduled"), [], Settings(), TODAY)
    only_merch = settings_from_table({"rewards": {"merch": {"amount": "30", "currency": "USD"}}})
    with pytest.raises(UsageError, match="has no `open-collective` entry"):
        plan_reward(call("2026-11-18-a", kind="open-collective"), [], only_merch, TODAY)


def test_pending_rewards_are_completed_calls_oldest_first() -> None:
    records = [
        call("2026-11-20-b"),
        call("2026-11-18-a", kind="open-collective"),
        call("2026-11-19-c", status="issued"),
        call("2026-11-21-d", call_status="scheduled"),
        call("2026-11-17-e", kind="none", status="not-applicable"),
    ]
    assert [r.id for r in pending_rewards(records)] == ["2026-11-18-a", "2026-11-20-b"]


def cost(requested: Any, available: Any, rate: Any = 100) -> dict[str, Any]:
    status = {"maximumAvailable": 2000, "currentlyAvailable": available, "restoreRate": rate}
    return {"extensions": {"cost": {"requestedQueryCost": requested, "throttleStatus": status}}}


def test_the_throttle_wait_is_the_missing_points_over_the_restore_rate() -> None:
    assert throttle_wait(cost(203, 5)) == pytest.approx(1.98)
    assert throttle_wait(cost(10, 2000)) == 0.0
    assert throttle_wait(cost(10, 0, rate=50)) == pytest.approx(0.2)
    assert throttle_wait(cost(10, 0, rate=0)) is None
    assert throttle_wait(cost(10, None)) is None
    assert throttle_wait({}) is None
