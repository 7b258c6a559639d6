"""Google Docs through httpx: read a document's named ranges, and append or rewrite an entry.

An entry is held by a named range, so it is found again (one `documents.get` per run) and rewritten in
place. Every batch names the revision it was computed from: if someone edits the doc meanwhile, Docs
refuses the batch, nothing is applied (a batch is atomic), and the caller reads the doc again.
Indexes are UTF-16 code units, as Docs counts them.

The range holds an entry's text but not its final newline. Docs says only that content inserted
inside a named range "generally expands" it; what text inserted exactly at a range's end does is not
said. So nothing of ours is ever inserted at the edge of a range: the next entry goes in after that
newline, and a rewritten entry starts after the newline of the one before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from feedbackloop.services.http import JsonService
from feedbackloop.services.retry import Budget, Policy, ServiceError

MAX_CHARACTERS = 1_020_000  # a Google Doc holds up to 1.02 million characters (Drive's file limits)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class DocFull(ServiceError):
    """The entries would take the document past what a Google Doc can hold."""


@dataclass
class Document:
    doc_id: str
    revision: str
    end: int  # the body's end index (after its final newline)
    ranges: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    runs: list[tuple[int, str]] = field(default_factory=list)  # (start index, text) of every text run

    def text(self, start: int, end: int) -> str:
        """The body text between two indexes."""
        out = []
        for run_start, content in self.runs:
            encoded = content.encode("utf-16-le")
            run_end = run_start + len(encoded) // 2
            if run_end <= start or run_start >= end:
                continue
            a, b = max(start, run_start) - run_start, min(end, run_end) - run_start
            out.append(encoded[a * 2 : b * 2].decode("utf-16-le", "replace"))
        return "".join(out)

    def span(self, name: str) -> tuple[int, int] | None:
        """Where the entry held by `name` is, with the newline that ends it (never the body's last
        one, which cannot be deleted)."""
        found = self.ranges.get(name)
        if not found:
            return None
        start, end = min(s for s, _ in found), max(e for _, e in found)
        if end < self.end - 1 and self.text(end, end + 1) == "\n":
            end += 1
        return start, end

    @property
    def last_paragraph_empty(self) -> bool:
        return self.text(self.end - 2, self.end - 1) in ("", "\n") if self.end > 2 else True


def parse_document(doc_id: str, raw: dict[str, Any]) -> Document:
    content = raw.get("body", {}).get("content", [])
    end = max((int(e.get("endIndex", 1)) for e in content), default=2)
    runs = []
    for element in content:
        for part in (element.get("paragraph") or {}).get("elements", []):
            run = part.get("textRun")
            if run is not None:
                runs.append((int(part.get("startIndex", 0)), str(run.get("content", ""))))
    ranges: dict[str, list[tuple[int, int]]] = {}
    for name, group in (raw.get("namedRanges") or {}).items():
        for named in group.get("namedRanges", []):
            for span in named.get("ranges", []):
                ranges.setdefault(name, []).append((int(span.get("startIndex", 0)), int(span["endIndex"])))
    return Document(doc_id, str(raw.get("revisionId", "")), end, ranges, runs)


def _hold(name: str, start: int, text: str) -> dict[str, Any]:
    """The named range over an entry's text at `start`, its final newline left out."""
    held = utf16_len(text.removesuffix("\n"))
    return {"createNamedRange": {"name": name, "range": {"startIndex": start, "endIndex": start + held}}}


def append_requests(at: int, lead: str, name: str, text: str) -> list[dict[str, Any]]:
    """Insert `lead + text` at `at` and hold `text` with the named range `name`."""
    return [
        {"insertText": {"location": {"index": at}, "text": lead + text}},
        _hold(name, at + utf16_len(lead), text),
    ]


def replace_requests(start: int, end: int, name: str, text: str) -> list[dict[str, Any]]:
    """Rewrite an entry's span (from Document.span) with `text`, held again by the same name."""
    return [
        {"deleteNamedRange": {"name": name}},
        {"deleteContentRange": {"range": {"startIndex": start, "endIndex": end}}},
        {"insertText": {"location": {"index": start}, "text": text}},
        _hold(name, start, text),
    ]


def entry_batch(document: Document, entries: list[tuple[str, str]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The one batch that makes each (named range, text) entry current, and what it does to each:
    "added", "updated" or "current".

    New entries are appended first (each at the end, before the body's final newline, which cannot
    move); rewrites follow from the last to the first, so no request shifts the index of one after it.
    """
    appends: list[dict[str, Any]] = []
    rewrites: list[tuple[int, list[dict[str, Any]]]] = []
    verdicts: list[str] = []
    end = document.end  # where the next entry is appended: appends go first in the batch
    grown = 0  # what the rewrites, which follow, add to the document
    lead = "" if document.last_paragraph_empty else "\n"  # never glue an entry to someone's last line
    for name, text in entries:
        span = document.span(name)
        if span is None:
            appends += append_requests(end - 1, lead, name, text)
            end += utf16_len(lead + text)
            lead = ""  # an entry ends with a newline: the next one starts on a line of its own
            verdicts.append("added")
        elif document.text(*span) != text:
            rewrites.append((span[0], replace_requests(span[0], span[1], name, text)))
            grown += utf16_len(text) - (span[1] - span[0])
            verdicts.append("updated")
        else:
            verdicts.append("current")
    size = end + grown  # the body's end index after the batch
    if size - 1 > MAX_CHARACTERS and size > document.end:
        raise DocFull(
            "google-docs",
            f"document {document.doc_id} is full: these entries would take it to {size - 1:,} characters, "
            f"and a Google Doc holds {MAX_CHARACTERS:,}",
            "start a new document and set `google_doc_id` to it: the entries of this one stay where "
            "they are, and an interview edited later gets its entry in the new one",
        )
    ordered = [request for _, group in sorted(rewrites, key=lambda item: -item[0]) for request in group]
    return appends + ordered, verdicts


def delete_requests(start: int, end: int, name: str) -> list[dict[str, Any]]:
    return [
        {"deleteNamedRange": {"name": name}},
        {"deleteContentRange": {"range": {"startIndex": start, "endIndex": end}}},
    ]


class StaleRevision(ServiceError):
    """Someone changed the document since it was read: read it again."""


class GoogleDocs(JsonService):
    name = "google-docs"

    def __init__(self, token: str, api_url: str, policy: Policy, budget: Budget) -> None:
        base = api_url if api_url.endswith("/") else api_url + "/"
        super().__init__(base, {"Authorization": f"Bearer {token}"}, policy, budget)

    def document(self, doc_id: str) -> Document:
        response = self.request("GET", f"v1/documents/{doc_id}", what="read the Google Doc")
        return parse_document(doc_id, response.json())

    def batch_update(self, document: Document, requests: list[dict[str, Any]]) -> str:
        """Apply `requests` atomically, if the doc is still at the revision read; the new revision."""
        body = {"requests": requests, "writeControl": {"requiredRevisionId": document.revision}}
        # Idempotent by the revision check: a batch that went through cannot apply twice.
        try:
            response = self.request(
                "POST",
                f"v1/documents/{document.doc_id}:batchUpdate",
                what="update the Google Doc",
                json=body,
                idempotent=True,
            )
        except ServiceError as error:
            if error.status == 400 and "revision" in error.message.lower():
                raise StaleRevision(
                    self.name, "the doc changed while it was being updated", "", 400
                ) from None
            raise
        write_control = response.json().get("writeControl") or {}
        return str(write_control.get("requiredRevisionId", ""))
