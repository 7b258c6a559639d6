"""What publishing has to do, decided from the records' ledgers alone. Pure: no I/O, no clock.

Every effect has a key made of the interview id and what it is; the key travels with the effect as a
hidden marker (issue bodies, comments) or as metadata (Slack) or as a name (the doc's named range), so a
run killed half way finds what it already did and does not do it again.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from feedbackloop.config import Settings
from feedbackloop.plan.ledger import digest, publishable
from feedbackloop.records.model import Record, Request

MARKER = re.compile(r"<!-- feedbackloop:(?P<kind>[a-z-]+) (?P<fields>\{.*?\}) -->")
DOC_RANGE_PREFIX = "feedbackloop:"
SLACK_SECTION_LIMIT = 3000
SLACK_BLOCK_LIMIT = 50
SLACK_HEADER_LIMIT = 150
SLACK_TEXT_LIMIT = 3900  # chat.update refuses more than 4,000 characters of `text`


def marker(kind: str, **fields: str) -> str:
    """A hidden HTML comment that names an effect, so it can be found again."""
    return f"<!-- feedbackloop:{kind} {json.dumps(fields, sort_keys=True, separators=(',', ':'))} -->"


def markers(text: str) -> Iterator[tuple[str, dict[str, str]]]:
    for found in MARKER.finditer(text or ""):
        try:
            fields = json.loads(found["fields"])
        except ValueError:
            continue
        if isinstance(fields, dict):
            yield found["kind"], {str(k): str(v) for k, v in fields.items()}


def request_key(record: Record, index: int) -> str:
    """The key of a record's request: its id and position (titles get edited; order rarely does).
    A request inserted above others takes the key of one already filed: whoever looks an issue up
    by key skips the issues the record's requests already hold."""
    return f"{record.id}#{index + 1}"


def doc_range_name(record: Record) -> str:
    return f"{DOC_RANGE_PREFIX}{record.id}"


@dataclass(frozen=True)
class Work:
    """What one record still needs."""

    record: Record
    new_issues: tuple[int, ...] = ()  # indexes of requests without an issue
    evidence: tuple[int, ...] = ()  # indexes of hand-set issues without this user's evidence comment
    slack: Literal["post", "update"] | None = None
    doc: Literal["add", "update"] | None = None

    @property
    def empty(self) -> bool:
        return not (self.new_issues or self.evidence or self.slack or self.doc)

    def without(self, unreachable: Collection[str]) -> Work:
        """This work less what needs a service that cannot be reached ("github", "slack", "doc")."""
        github = "github" not in unreachable
        return Work(
            self.record,
            new_issues=self.new_issues if github else (),
            evidence=self.evidence if github else (),
            slack=None if "slack" in unreachable else self.slack,
            doc=None if "doc" in unreachable else self.doc,
        )

    def describe(self) -> str:
        parts = []
        if self.new_issues:
            parts.append(f"{len(self.new_issues)} issue{'s' * (len(self.new_issues) != 1)}")
        if self.evidence:
            parts.append(f"{len(self.evidence)} evidence comment{'s' * (len(self.evidence) != 1)}")
        if self.slack:
            parts.append("Slack" if self.slack == "post" else "Slack update")
        if self.doc:
            parts.append("doc" if self.doc == "add" else "doc update")
        return ", ".join(parts)


def plan(records: Iterable[Record], settings: Settings) -> list[Work]:
    """The work for each record that has any, oldest first."""
    works = []
    for record in sorted(records, key=lambda r: (r.date, r.id)):
        if not publishable(record):
            continue
        new_issues = tuple(i for i, r in enumerate(record.requests) if not r.issue)
        # Filing an issue puts its link into the Slack message and the doc entry: they change too.
        current = record.published.digest == digest(record) and not new_issues
        work = Work(
            record,
            new_issues=new_issues,
            evidence=tuple(i for i, r in enumerate(record.requests) if r.issue and not r.evidence),
            slack=_state(bool(settings.slack_channel), record.published.slack, current, "post"),
            doc=_state(bool(settings.google_doc_id), record.published.doc, current, "add"),
        )
        if not work.empty:
            works.append(work)
    return works


def _state(enabled: bool, ledger: str | None, current: bool, new: str) -> Any:
    if not enabled:
        return None
    if not ledger:
        return new
    return None if current else "update"


def with_request(record: Record, index: int, **changes: Any) -> Record:
    """`record` with request `index` changed (the ledger links publish learns)."""
    requests = list(record.requests)
    requests[index] = dataclasses.replace(requests[index], **changes)
    return dataclasses.replace(record, requests=tuple(requests))


# -- Slack's limits --------------------------------------------------------------------------------
def cut(text: str, limit: int, more: str = "") -> str:
    """`text` within `limit` characters, ending with "…" and `more` when it had to be cut.

    The text is Slack's (escaped, with `<url|title>` links and `<@U…>` mentions): it is never cut
    inside a link or an entity such as `&amp;`, which would show as broken markup, and it ends at a
    line break when one is near, so a list loses whole items."""
    if len(text) <= limit:
        return text
    tail = f"… {more}" if more else "…"
    kept = text[: max(0, limit - len(tail))]
    if kept.rfind("<") > kept.rfind(">"):
        kept = kept[: kept.rfind("<")]
    entity = kept.rfind("&")
    if entity != -1 and ";" not in kept[entity:]:  # escaped text: every & starts an entity
        kept = kept[:entity]
    line = kept.rfind("\n")
    if line >= len(kept) // 2:
        kept = kept[:line]
    return kept.rstrip() + tail


def fit_blocks(blocks: Sequence[dict[str, Any]], more: str) -> list[dict[str, Any]]:
    """Blocks within Slack's limits: 3,000 characters a section, 150 a header, 50 blocks a message."""
    fitted = [_fit_block(block, more) for block in blocks]
    if len(fitted) > SLACK_BLOCK_LIMIT:
        rest = {"type": "context", "elements": [{"type": "mrkdwn", "verbatim": True, "text": f"… {more}"}]}
        fitted = [*fitted[: SLACK_BLOCK_LIMIT - 1], rest]
    return fitted


def _fit_block(block: dict[str, Any], more: str) -> dict[str, Any]:
    block = json.loads(json.dumps(block))  # a deep copy of plain JSON
    text = block.get("text")
    if isinstance(text, dict) and isinstance(text.get("text"), str):
        limit = SLACK_HEADER_LIMIT if block.get("type") == "header" else SLACK_SECTION_LIMIT
        text["text"] = cut(text["text"], limit, "" if block.get("type") == "header" else more)
    for field in block.get("fields") or []:
        if isinstance(field, dict) and isinstance(field.get("text"), str):
            field["text"] = cut(field["text"], 2000, more)
    return block


def slack_metadata(record: Record) -> dict[str, Any]:
    return {
        "event_type": "feedbackloop_interview",
        "event_payload": {"id": record.id, "digest": digest(record)},
    }


def request_label(request: Request, settings: Settings) -> str:
    return settings.type_labels.get(request.type, request.type)
