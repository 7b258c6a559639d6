"""What is overdue, and who owns it. Pure: records, settings, today and the closed issues in; flags out.

Each flag has a stable key, so the dashboard and the Slack reminders can tell a new item from one
already reported, and an owner is reminded at most once a day for the same set of items.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from feedbackloop.config import Settings
from feedbackloop.records.model import Interview, Record

Kind = Literal["reward", "follow-up", "notes", "shipped", "no-call"]
KINDS: tuple[Kind, ...] = ("reward", "follow-up", "notes", "shipped", "no-call")
TITLES: dict[Kind, str] = {
    "reward": "Rewards to send",
    "follow-up": "Follow-ups to send",
    "notes": "Calls without notes",
    "shipped": "Shipped: tell the user",
    "no-call": "No user call this month",
}


@dataclass(frozen=True, slots=True)
class Flag:
    kind: Kind
    key: str  # stable across runs: what it is about, never when it was seen
    owners: tuple[str, ...]  # GitHub logins
    text: str  # what to do, naming the interview by id (dashboards and logs name no person)
    private: str  # the same for the owner's direct message, which may name the person
    record_id: str | None = None
    path: str | None = None
    days: int = 0  # how many days overdue (0 for month flags)


@dataclass(frozen=True, slots=True)
class Closed:
    """A GitHub issue seen closed, as far as reminders care."""

    url: str
    completed: bool


_MENTION = re.compile(r"@(?=\w)")


def inline(text: str) -> str:
    """Text from a record, safe on one line of the dashboard: no line break (which could start a fake
    checkbox), no HTML (a `<!--` would hide the rest, or fake the reminder ledger's marker), and no
    @mention GitHub would notify (a zero-width space after the @)."""
    flat = " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub("@\u200b", flat)


def _days_since(record: Record, today: date) -> int:
    return (today - record.date).days


def _amount(interview: Interview, settings: Settings) -> str:
    kind = settings.reward_kind(interview.reward.kind)
    amount = (
        interview.reward.amount if interview.reward.amount is not None else (kind.amount if kind else None)
    )
    currency = kind.currency if kind else ""
    return f"{amount} {currency}".strip() if amount is not None else "the usual amount"


def reward_step(interview: Interview, settings: Settings) -> str:
    """The exact next step for a reward that is not sent yet."""
    reward = interview.reward
    if reward.status == "issued":
        return (
            f"send the gift card (ending {reward.card_last or '…'}) to the user, "
            f"then set `reward.status: sent` and `sent_on`"
        )
    if reward.kind == "open-collective":
        page = settings.open_collective_page or "the organisation's Open Collective gift-card page"
        return (
            f"buy an Open Collective gift card of {_amount(interview, settings)} on {page} "
            "(Open Collective cannot be automated), send it, then set `reward.status: sent` and `sent_on`"
        )
    return f"issue the merch gift card ({_amount(interview, settings)}): `feedbackloop reward {interview.id}`"


def record_flags(records: Iterable[Record], settings: Settings, today: date) -> list[Flag]:
    flags: list[Flag] = []
    for record in records:
        if not isinstance(record, Interview) or record.forgotten:
            continue
        days = _days_since(record, today)
        name = record.user.first_name or "the user"
        if record.status == "completed":
            overdue = days - settings.reward_overdue_days
            if record.reward.status in ("pending", "issued") and record.reward.kind != "none" and overdue > 0:
                step = reward_step(record, settings)
                flags.append(
                    Flag(
                        "reward",
                        f"reward:{record.id}",
                        record.interviewers,
                        f"`{record.id}`: {step} ({days} days since the call)",
                        f"{name}'s reward ({record.id}): {step}",
                        record.id,
                        record.path,
                        overdue,
                    )
                )
            overdue = days - settings.follow_up_overdue_days
            if record.follow_up.status == "pending" and overdue > 0:
                step = f"send the follow-up (`feedbackloop follow-up {record.id}` drafts it)"
                flags.append(
                    Flag(
                        "follow-up",
                        f"follow-up:{record.id}",
                        record.interviewers,
                        f"`{record.id}`: {step} ({days} days since the call)",
                        f"Follow up with {name} ({record.id}): {step}",
                        record.id,
                        record.path,
                        overdue,
                    )
                )
        elif record.status == "scheduled" and days > settings.notes_overdue_days:
            step = "write the notes and set `status: completed` (or `cancelled` / `no-show`)"
            flags.append(
                Flag(
                    "notes",
                    f"notes:{record.id}",
                    record.interviewers,
                    f"`{record.id}`: {step} ({days} days since the call)",
                    f"The call with {name} ({record.id}) has no notes: {step}",
                    record.id,
                    record.path,
                    days - settings.notes_overdue_days,
                )
            )
    return flags


def shipped_flags(records: Iterable[Record], closed: Mapping[str, Closed]) -> list[Flag]:
    """Requests whose issue was closed as completed, while the record does not say the user was told."""
    flags = []
    for record in records:
        if record.forgotten:
            continue  # nobody to tell
        for index, request in enumerate(record.requests):
            seen = closed.get(request.issue or "")
            if seen is None or not seen.completed or request.told_on:
                continue
            name = record.user.first_name or "the user"
            step = f"then set `told_on` on request {index + 1}"
            title = " ".join(request.title.split())
            flags.append(
                Flag(
                    "shipped",
                    f"shipped:{record.id}#{index + 1}",
                    record.owners,
                    f"`{record.id}`: tell the user that “{inline(title)}” shipped ({request.issue}); {step}",
                    f"Tell {name} that “{title}” shipped ({request.issue}); {step} in {record.id}",
                    record.id,
                    record.path,
                )
            )
    return flags


def told_pending(records: Iterable[Record]) -> list[Record]:
    """Records with a request whose issue may close: the reason to read closed issues at all."""
    return [r for r in records if not r.forgotten and any(q.issue and not q.told_on for q in r.requests)]


def calls_this_month(records: Iterable[Record], today: date) -> Counter[str]:
    """Calls per teammate this calendar month: held, or still planned for later this month."""
    counts: Counter[str] = Counter()
    for record in records:
        if (
            isinstance(record, Interview)
            and record.status in ("completed", "scheduled")
            and (record.date.year, record.date.month) == (today.year, today.month)
        ):
            counts.update({login.casefold() for login in record.interviewers})
    return counts


def month_flags(records: Iterable[Record], settings: Settings, today: date) -> list[Flag]:
    if today.day < settings.monthly_call_day or not settings.roster:
        return []
    counts = calls_this_month(records, today)
    month = f"{calendar.month_name[today.month]} {today.year}"
    flags = []
    for teammate in settings.team:
        if counts[teammate.github.casefold()]:
            continue
        text = f"@{teammate.github} has joined no user call in {month}: join or run one before the month ends"
        flags.append(
            Flag(
                "no-call",
                f"no-call:{teammate.github}:{today:%Y-%m}",
                (teammate.github,),
                text,
                f"You have joined no user call in {month}: ask in the team channel which call you can join",
            )
        )
    return flags


def flags(
    records: Sequence[Record], settings: Settings, today: date, closed: Mapping[str, Closed]
) -> list[Flag]:
    """Every flag, by kind then by how overdue (most first)."""
    found = (
        record_flags(records, settings, today)
        + shipped_flags(records, closed)
        + month_flags(records, settings, today)
    )
    return sorted(found, key=lambda f: (KINDS.index(f.kind), -f.days, f.key))


def by_owner(found: Iterable[Flag]) -> dict[str, list[Flag]]:
    owners: dict[str, list[Flag]] = {}
    for flag in found:
        for owner in flag.owners:
            owners.setdefault(owner, []).append(flag)
    return dict(sorted(owners.items()))


def items_digest(found: Iterable[Flag]) -> str:
    """Fingerprint of an owner's set of items: a short mark per item, in a stable order.

    An owner is reminded again the same day only when a mark is new (`news`): an item done since the
    morning is no reason to message them twice."""
    return ".".join(sorted({hashlib.sha256(f.key.encode()).hexdigest()[:6] for f in found}))


def news(digest: str, reminded: str | None) -> bool:
    """Does `digest` hold an item the owner was not reminded of (`reminded`, a digest, or None)?"""
    if reminded is None:
        return True
    return bool(set(digest.split(".")) - set(reminded.removeprefix("pending:").split(".")))
