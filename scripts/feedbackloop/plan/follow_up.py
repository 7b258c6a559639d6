"""What an interview's follow-up e-mail says, from the record and the settings. Pure: no I/O.

The person sees only what they may see: an issue is linked only when its repository is in
`public_repositories`; otherwise the e-mail says the team is tracking it. The gift card's code is
never here (it is in no file): the draft leaves a place for the interviewer to paste it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from feedbackloop.config import Settings
from feedbackloop.plan.reward import money
from feedbackloop.records.model import Interview
from feedbackloop.records.rules import GITHUB_ISSUE


@dataclass(frozen=True, slots=True)
class IssueLink:
    title: str
    type: str  # bug | feature
    url: str | None  # the issue, when users can see it (its repository is public); else None


@dataclass(frozen=True, slots=True)
class RewardNote:
    kind: str  # merch | open-collective | none (also for a declined or not-applicable reward)
    money: str  # "$30"
    status: str  # pending | issued | sent | declined | not-applicable
    delivery: str  # code (the interviewer pastes it) | shopify (the store e-mails it) | open-collective | ""
    sent_on: date | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answer: str | None


def public(url: str, settings: Settings) -> bool:
    """Whether the person can open `url`: an issue of a repository in `public_repositories`."""
    found = GITHUB_ISSUE.fullmatch(url)
    if found is None:
        return False
    return found[1].casefold() in {name.casefold() for name in settings.public_repositories}


def issue_links(record: Interview, settings: Settings) -> list[IssueLink]:
    return [
        IssueLink(r.title, r.type, r.issue if r.issue and public(r.issue, settings) else None)
        for r in record.requests
    ]


def reward_note(record: Interview, settings: Settings) -> RewardNote:
    reward = record.reward
    if reward.kind == "none" or reward.status in ("declined", "not-applicable"):
        return RewardNote("none", "", reward.status, "")
    configured = settings.reward_kind(reward.kind)
    amount = reward.amount if reward.amount is not None else (configured.amount if configured else None)
    currency = configured.currency if configured else ""
    shown = money(amount, currency) if amount is not None else ""
    if reward.kind == "open-collective":
        delivery = "open-collective"
    else:
        delivery = "shopify" if settings.gift_card_delivery == "shopify" else "code"
    return RewardNote(reward.kind, shown, reward.status, delivery, reward.sent_on)


def answers(record: Interview) -> list[Answer]:
    return [Answer(q.question, (q.answer or "").strip() or None) for q in record.questions]


def unanswered(record: Interview) -> list[str]:
    return [a.question for a in answers(record) if a.answer is None]
