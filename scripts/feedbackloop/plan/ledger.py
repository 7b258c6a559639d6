"""What a record's ledger says is still to do. Pure: no I/O, no clock, no environment."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta

from feedbackloop.config import Settings
from feedbackloop.records.model import Interview, Record


def day_start(day: date) -> datetime:
    """The first moment `day` is the date somewhere (UTC+14): where a lookup for what was made on or
    after a record's day must begin. A call on the 20th in Auckland may be published on the 19th, UTC."""
    return datetime.combine(day, time.min, tzinfo=UTC) - timedelta(hours=14)


def digest(record: Record) -> str:
    """A short fingerprint of what is published about a record (Slack, the doc): a change republishes.

    Built from the record's data, not from rendered templates, so editing a template does not
    rewrite every message ever posted.
    """
    content = {
        "headline": record.headline,
        "date": record.date.isoformat(),
        "user": [record.user.first_name, record.user.profile, record.user.company, record.user.role],
        "owners": list(record.owners),
        "summary": record.summary,
        "notes": record.notes,
        "requests": [[r.type, r.title, r.details, r.issue] for r in record.requests],
    }
    if isinstance(record, Interview):
        content["questions"] = [[q.question, q.answer] for q in record.questions]
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()[:12]


def publishable(record: Record) -> bool:
    """Completed interviews and feedback notes are published; scheduled calls are not (yet), and
    nothing about a person who asked to be forgotten is."""
    return not record.forgotten and (not isinstance(record, Interview) or record.status == "completed")


def unpublished(record: Record, settings: Settings) -> list[str]:
    """What publishing still has to do for `record`, in words, by its ledger alone."""
    if not publishable(record):
        return []
    todo: list[str] = []
    new_issues = sum(1 for r in record.requests if not r.issue)
    if new_issues:
        todo.append(f"{new_issues} issue{'s' * (new_issues != 1)}")
    # An issue publish filed holds the evidence in its body (`evidence` is the issue's own link);
    # an issue set by hand gets a comment adding this user as evidence.
    evidence = sum(1 for r in record.requests if r.issue and not r.evidence)
    if evidence:
        todo.append(f"{evidence} evidence comment{'s' * (evidence != 1)}")
    current = record.published.digest == digest(record) and not new_issues
    if settings.slack_channel and not (record.published.slack and current):
        todo.append("slack" if not record.published.slack else "slack update")
    if settings.google_doc_id and not (record.published.doc and current):
        todo.append("doc" if not record.published.doc else "doc update")
    return todo
