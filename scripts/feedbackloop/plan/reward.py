"""What an interview's reward needs, decided from the records alone. Pure: no I/O, no clock.

A merch reward is a Shopify gift card whose internal note holds the interview id: that note is its key,
and how a card is found again (Shopify cannot search notes, so the cards created since the call are
listed and their notes compared here). A person who already received merch gets an Open Collective
gift card instead, which a person sends by hand: Open Collective's supported API cannot create one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from feedbackloop.config import Settings
from feedbackloop.errors import FeedbackloopError, UsageError
from feedbackloop.records.model import Interview, Record, profile_key

NOTE_KEY = re.compile(r"^feedbackloop reward (?P<id>\S+)$", re.MULTILINE)
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$"}

Action = Literal["gift-card", "open-collective", "nothing"]


def card_note(record: Interview) -> str:
    """The card's internal note (staff see it; the customer never does): the key, then the profile."""
    lines = [f"feedbackloop reward {record.id}"]
    if record.user.profile:
        lines.append(f"profile: {record.user.profile}")
    return "\n".join(lines)


def note_id(note: str | None) -> str | None:
    """The interview id a card's note names, if feedbackloop wrote it."""
    found = NOTE_KEY.search(note or "")
    return found["id"] if found else None


def lookup_since(records: Iterable[Interview]) -> date:
    """From when to list cards: the day before the earliest call, since Shopify reads a bare date in
    the store's time zone, which may be behind UTC."""
    return min(r.date for r in records) - timedelta(days=1)


def money(amount: Decimal, currency: str) -> str:
    """`$30`, `€12.50`, `30 CHF`: how an amount reads in a message or an e-mail."""
    text = f"{amount:.2f}".removesuffix(".00")
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}".strip()


def earlier_merch(record: Interview, records: Iterable[Record]) -> Interview | None:
    """Another interview with the same person whose merch was issued or sent, the earliest first."""
    if not record.user.profile:
        return None
    profile = profile_key(record.user.profile)
    found = [
        other
        for other in records
        if isinstance(other, Interview)
        and other.id != record.id
        and other.user.profile
        and profile_key(other.user.profile) == profile
        and other.reward.kind == "merch"
        and other.reward.status in ("issued", "sent")
    ]
    return min(found, key=lambda r: (r.date, r.id)) if found else None


def unreadable_mentions(record: Interview, unreadable: Mapping[str, Collection[str]]) -> list[str]:
    """The files that could not be read whose text holds `record`'s profile link: one of them may
    record merch the person already received. `unreadable`: path -> the links in its raw text."""
    if not record.user.profile:
        return []
    profile = profile_key(record.user.profile)
    return sorted(
        path for path, links in unreadable.items() if any(profile_key(link) == profile for link in links)
    )


@dataclass(frozen=True)
class RewardPlan:
    """What one interview's reward needs now."""

    record: Interview
    action: Action
    amount: Decimal = Decimal(0)
    currency: str = ""
    expires_on: date | None = None
    convert: bool = False  # write `reward.kind: open-collective`: the person already received merch
    earlier: str | None = None  # the interview whose merch they received
    reason: str = ""  # why there is nothing to do

    @property
    def money(self) -> str:
        return money(self.amount, self.currency)

    def describe(self) -> str:
        if self.action == "nothing":
            return self.reason
        if self.action == "open-collective":
            why = f" (the person received merch for {self.earlier})" if self.earlier else ""
            return f"an Open Collective gift card of {self.money}{why}"
        expiry = f", expiring on {self.expires_on}" if self.expires_on else ", never expiring"
        return f"a merch gift card of {self.money}{expiry}"


def plan_reward(
    record: Record,
    records: Sequence[Record],
    settings: Settings,
    today: date,
    merch_given: Mapping[str, str] | None = None,
    unreadable: Mapping[str, Collection[str]] | None = None,
) -> RewardPlan:
    """What `record`'s reward needs. `merch_given`: profile -> interview id, for merch issued earlier
    in the same run (the records do not say so yet). `unreadable`: path -> the links in the raw text
    of each file that could not be read (`Repository.unreadable_links`)."""
    if not isinstance(record, Interview):
        raise FeedbackloopError(f"{record.id} is a feedback note: notes have no reward")
    if record.status != "completed":
        raise FeedbackloopError(
            f"{record.id} is {record.status}: a reward follows a completed call",
            "set `status: completed` once the call has happened",
        )
    reward = record.reward
    if record.forgotten:
        return RewardPlan(record, "nothing", reason="the person asked to be forgotten: no reward is owed")
    if reward.status != "pending":
        return RewardPlan(record, "nothing", reason=_settled(record))
    if reward.kind == "none":
        return RewardPlan(record, "nothing", reason="no reward (`kind: none`)")
    kind = reward.kind
    earlier: str | None = None
    if kind == "merch":
        found = earlier_merch(record, records)
        given = {profile_key(p): i for p, i in (merch_given or {}).items()}
        earlier = found.id if found else given.get(profile_key(record.user.profile or ""))
        if earlier is not None:
            kind = "open-collective"
        elif hidden := unreadable_mentions(record, unreadable or {}):
            # A file that cannot be read may hold this person's earlier merch: a second card is money
            # given twice, so this reward waits for the file (other rewards go on).
            raise FeedbackloopError(
                f"{record.id}: no merch gift card while {', '.join(hidden)} cannot be read: it names the "
                "same person's profile, so it may record merch they already received",
                f"run `feedbackloop validate {hidden[0]}` and fix what it says, then run this again",
            )
    configured = settings.reward_kind(kind)
    if configured is None:
        raise UsageError(
            f"[tool.feedbackloop] `rewards` has no `{kind}` entry",
            f'add rewards.{kind} = {{ amount = "30", currency = "USD" }}',
        )
    amount = reward.amount if reward.amount is not None else configured.amount
    expires = (
        today + timedelta(days=settings.gift_card_expiry_days) if settings.gift_card_expiry_days else None
    )
    return RewardPlan(
        record,
        "gift-card" if kind == "merch" else "open-collective",
        amount,
        configured.currency,
        expires if kind == "merch" else None,
        convert=kind != reward.kind,
        earlier=earlier,
    )


def open_collective_step(plan: RewardPlan, page: str) -> str:
    """The next step of an Open Collective reward, for a person: what to send, from where, then what to
    write. (Open Collective's supported API cannot create gift cards.) `page`: `open_collective_page`."""
    where = page or (
        "the organisation's Open Collective page (set `open_collective_page` in [tool.feedbackloop] "
        "to have it named here)"
    )
    return (
        f"send an Open Collective gift card of {plan.money} from {where}, then set `reward.status: sent` "
        f"and `reward.sent_on` in {plan.record.path} (Open Collective's API cannot create gift cards)"
    )


def _settled(record: Interview) -> str:
    reward = record.reward
    if reward.status == "issued":
        ending = f" (card ending {reward.card_last})" if reward.card_last else ""
        return f"the {reward.kind} reward was issued on {reward.issued_on or 'an earlier day'}{ending}"
    if reward.status == "sent":
        return f"the {reward.kind} reward was sent on {reward.sent_on}"
    if reward.status == "declined":
        return "the reward was declined"
    return "no reward applies (`status: not-applicable`)"


def pending_rewards(records: Iterable[Record]) -> list[Interview]:
    """Completed interviews whose merch or Open Collective reward is pending, oldest first."""
    return sorted(
        (
            r
            for r in records
            if isinstance(r, Interview)
            and not r.forgotten
            and r.status == "completed"
            and r.reward.status == "pending"
            and r.reward.kind in ("merch", "open-collective")
        ),
        key=lambda r: (r.date, r.id),
    )


def pending_merch(records: Iterable[Record]) -> list[Interview]:
    """The pending rewards that are merch gift cards: what Shopify issues (publish, `reward --pending`)."""
    return [r for r in pending_rewards(records) if r.reward.kind == "merch"]
