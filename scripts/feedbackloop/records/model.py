"""The records: an interview, and a feedback note received outside a call. Frozen, typed, no I/O.

Field names are the contract of DESIGN.md ("The record"). `Positions` maps a key path such as
("requests", 0, "title") to where its value starts in the file, so every rule can say file:line:col;
records do not keep them (10,000 records would carry 100 MB of positions nobody reads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

Key = tuple[str | int, ...]
Where = tuple[int, int]  # 1-based line and column

STATUSES = ("scheduled", "completed", "cancelled", "no-show")
RECRUITED_VIA = ("survey", "slack", "roadmap", "email", "other")
REQUEST_TYPES = ("bug", "feature")
REWARD_KINDS = ("merch", "open-collective", "none")
REWARD_STATUSES = ("pending", "issued", "sent", "declined", "not-applicable")
FOLLOW_UP_STATUSES = ("pending", "done")
RECEIVED_VIA = ("slack", "email", "support", "community", "social", "event", "call", "other")


def dotted(key: Key) -> str:
    """A key as a person writes it: `requests[0].title`."""
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


TRACKING = ("utm_", "ref", "ref_src", "fbclid", "gclid", "mc_cid", "mc_eid")  # query keys that name no one


def profile_key(profile: str) -> str:
    """A person's profile link as two are compared: one person whether or not a link has a trailing
    slash, capitals in its scheme or host, a tracking parameter (`?ref=x`, `utm_…`) or a fragment
    that is page state (PostHog's `#activeTab=events`). Every other part stays: a CRM's `?id=42` or
    its hash route `#/contacts/42` names a person. Every comparison of two profiles
    goes through this (a person missed is a second merch card, or a record not forgotten; two people
    taken for one, a wrong merch refusal, or a record forgotten that was not asked for)."""
    text = profile.strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # a malformed host such as "http://[x": compared as written
        return text.rstrip("/")
    if not parts.scheme or not parts.netloc:
        return text.rstrip("/")
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and not pair.split("=", 1)[0].lower().startswith(TRACKING)
    ]
    return urlunsplit(
        (
            parts.scheme.lower(),
            parts.netloc.lower(),
            parts.path.rstrip("/"),
            "&".join(kept),
            parts.fragment if parts.fragment.startswith("/") else "",
        )
    )


@dataclass(eq=False, slots=True)
class Positions:
    """Where each key and value of a record's frontmatter starts (1-based line, column).

    It holds the YAML parser's marks (anything with 0-based `line` and `column`) and turns them into
    file positions only when asked: most records never need one."""

    values: dict[Key, Any] = field(default_factory=dict)
    keys: dict[Key, Any] = field(default_factory=dict)
    base_line: int = 0  # the file line just before the frontmatter's first line, 0-based
    frontmatter_end: int = 1  # the line of the closing `---`
    # YAML (1.1, libyaml) also breaks lines at U+2028, U+2029, U+0085 and a lone CR; a file's lines
    # do not. When the frontmatter holds one: for each YAML line, its frontmatter line and column offset.
    yaml_lines: tuple[tuple[int, int], ...] = ()

    def place(self, mark: Any) -> Where:
        """The file's line and column of a YAML mark (0-based line and column in the frontmatter)."""
        if mark.line < len(self.yaml_lines):
            line, offset = self.yaml_lines[mark.line]
            return (self.base_line + line + 1, offset + mark.column + 1)
        return (self.base_line + mark.line + 1, mark.column + 1)

    def of(self, key: Key) -> Where:
        """Where `key`'s value is, or its nearest enclosing key that exists, or the top of the file."""
        while key:
            if key in self.values:
                return self.place(self.values[key])
            key = key[:-1]
        return (1, 1)

    def key(self, key: Key) -> Where:
        mark = self.keys.get(key)
        return self.place(mark) if mark is not None else self.of(key)


@dataclass(frozen=True, slots=True)
class Person:
    """The user the team talked to. Only their first name: the profile link identifies them."""

    first_name: str | None = None
    profile: str | None = None
    company: str | None = None
    role: str | None = None
    technical: bool | None = None
    forgotten_on: date | None = None  # erased at their request (`feedbackloop forget`): nothing is owed


@dataclass(frozen=True, slots=True)
class Request:
    """A bug or feature request the user made; each becomes (or joins) one GitHub issue."""

    type: Literal["bug", "feature"]
    title: str
    details: str | None = None
    issue: str | None = None  # written by publish, or set by hand to add evidence to an existing issue
    evidence: str | None = (
        None  # where this user is on record: the comment on a hand-set issue, or the filed issue
    )
    told_on: date | None = None  # when the user was told it shipped (set by a person)


@dataclass(frozen=True, slots=True)
class Question:
    question: str
    answer: str | None = None


@dataclass(frozen=True, slots=True)
class Recording:
    consent: bool | None = None
    url: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Reward:
    kind: Literal["merch", "open-collective", "none"] = "none"
    amount: Decimal | None = None
    status: Literal["pending", "issued", "sent", "declined", "not-applicable"] = "not-applicable"
    issued_on: date | None = None
    sent_on: date | None = None
    card: str | None = None  # the Shopify gift card id; never its code
    card_last: str | None = None  # the code's last characters, to recognise it


@dataclass(frozen=True, slots=True)
class FollowUp:
    status: Literal["pending", "done"] = "pending"
    done_on: date | None = None


@dataclass(frozen=True, slots=True)
class Published:
    """The ledger publish writes back: where the interview went, and a digest of what was sent."""

    slack: str | None = None  # the message's permalink
    doc: str | None = None  # the named range holding the doc entry
    digest: str | None = None  # of the content published to Slack and the doc; a change republishes
    calendar: str | None = None  # the calendar event id
    pull_request: str | None = None  # the pull request that added it (intake's, or a teammate's)


@dataclass(frozen=True, slots=True)
class _Record:
    path: str  # relative to the repository root, POSIX separators
    id: str
    date: date
    user: Person
    requests: tuple[Request, ...] = ()
    published: Published = Published()
    example: bool = False
    notes: str = ""  # the markdown body

    @property
    def forgotten(self) -> bool:
        """The person asked to be forgotten: nothing is published, owed or reminded for this record."""
        return self.user.forgotten_on is not None


@dataclass(frozen=True, slots=True)
class Interview(_Record):
    kind: Literal["interview"] = "interview"
    topic: str = ""
    time: str | None = None  # "14:30", in the settings' time zone
    status: Literal["scheduled", "completed", "cancelled", "no-show"] = "scheduled"
    interviewers: tuple[str, ...] = ()
    recruited_via: str | None = None
    recording: Recording = Recording()
    summary: str | None = None
    questions: tuple[Question, ...] = ()
    reward: Reward = Reward()
    follow_up: FollowUp = FollowUp()

    @property
    def owners(self) -> tuple[str, ...]:
        return self.interviewers

    @property
    def headline(self) -> str:
        return f"{self.topic} user interview with {self.user.first_name or 'a user'}"


@dataclass(frozen=True, slots=True)
class Note(_Record):
    """Feedback received outside a call: who received it, from whom, what they said."""

    kind: Literal["note"] = "note"
    received_by: str = ""
    received_via: str | None = None
    feedback: str = ""

    @property
    def owners(self) -> tuple[str, ...]:
        return (self.received_by,) if self.received_by else ()

    @property
    def headline(self) -> str:
        return f"Feedback from {self.user.first_name or 'a user'} ({self.received_via or 'shared'})"

    @property
    def summary(self) -> str:
        return self.feedback


Record = Interview | Note
