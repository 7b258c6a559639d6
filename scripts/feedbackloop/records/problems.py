"""A problem found in a record: where it is, what is wrong, how to fix it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int
    column: int
    code: str  # stable, for tools: "unknown-key", "bad-value", …
    message: str
    fix: str = ""
    severity: Literal["error", "warning"] = "error"

    def text(self) -> str:
        stop = "" if self.message.endswith((".", "?", "!")) else "."
        fix = f" Fix: {self.fix}" if self.fix else ""
        return visible(
            f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}{stop}{fix} [{self.code}]"
        )

    def annotation(self) -> str:
        """A GitHub Actions workflow command that puts the problem on the pull request's diff."""
        stop = "" if self.message.endswith((".", "?", "!")) else "."
        text = f"{self.message}{stop} Fix: {self.fix}" if self.fix else self.message
        return (
            f"::{self.severity} file={_prop(self.path)},line={self.line},col={self.column},"
            f"title={_prop('feedbackloop ' + self.code)}::{_data(text)}"
        )


def visible(text: str) -> str:
    """`text` on one line, with every character that is invisible or breaks a line (a control character,
    U+2028, a zero-width space, a direction override) shown as its escape. A message quotes what the
    file holds: a line break there would start a line of its own in the log, which the runner reads as
    a workflow command when it starts with `::`."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def as_json(problems: Iterable[Problem]) -> str:
    rows = [
        {
            "path": p.path,
            "line": p.line,
            "column": p.column,
            "code": p.code,
            "message": p.message,
            "fix": p.fix,
            "severity": p.severity,
        }
        for p in problems
    ]
    return json.dumps(rows, indent=2, ensure_ascii=False)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)
