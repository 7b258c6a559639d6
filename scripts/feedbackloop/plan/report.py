"""The feedback dashboard as markdown: the flags as checkboxes, this month's calls per person, and
charts GitHub renders (mermaid). Pure. `feedbackloop report` prints it; `remind` keeps it in an issue.

It names interviews by id and teammates by login, never a user by name: it lands in job summaries.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Sequence
from datetime import date

from feedbackloop.config import Settings
from feedbackloop.plan.remind import KINDS, TITLES, Flag, calls_this_month
from feedbackloop.records.model import Interview, Record

TITLE = "User feedback dashboard"
# The most overdue items shown per kind: GitHub refuses an issue body over 65,536 characters, and a
# team that adopts feedbackloop with a backlog would otherwise get no dashboard at all.
SECTION_LIMIT = 20


def _months(today: date, count: int = 12) -> list[tuple[int, int]]:
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _label(year: int, month: int) -> str:
    return f"{calendar.month_abbr[month]} {year % 100:02d}"


def _bar_chart(title: str, axis: str, months: list[tuple[int, int]], values: list[int]) -> str:
    labels = ", ".join(f'"{_label(y, m)}"' for y, m in months)
    top = max([*values, 1])
    return (
        "```mermaid\nxychart-beta\n"
        f'    title "{title}"\n'
        f"    x-axis [{labels}]\n"
        f'    y-axis "{axis}" 0 --> {top}\n'
        f"    bar [{', '.join(str(v) for v in values)}]\n```"
    )


def charts(records: Sequence[Record], today: date) -> str:
    months = _months(today)
    window = set(months)
    interviews = Counter(
        (r.date.year, r.date.month) for r in records if isinstance(r, Interview) and r.status == "completed"
    )
    requests = Counter((r.date.year, r.date.month) for r in records for q in r.requests if q.issue)
    recruited = Counter(
        r.recruited_via or "other"
        for r in records
        if isinstance(r, Interview) and r.status == "completed" and (r.date.year, r.date.month) in window
    )
    parts = [
        "### Interviews per month",
        _bar_chart("Interviews per month", "interviews", months, [interviews[m] for m in months]),
        "### Requests filed per month",
        _bar_chart("Requests filed per month", "requests", months, [requests[m] for m in months]),
        "### How users were recruited (last 12 months)",
    ]
    if recruited:
        slices = "\n".join(f'    "{way}" : {count}' for way, count in recruited.most_common())
        parts.append(f"```mermaid\npie title How users were recruited\n{slices}\n```")
    else:
        parts.append("No completed interviews in the last 12 months.")
    return "\n\n".join(parts)


def calls_table(records: Sequence[Record], settings: Settings, today: date) -> str:
    counts = calls_this_month(records, today)
    people = {t.github.casefold(): t.github for t in settings.team}
    for login in counts:
        people.setdefault(login, login)
    rows = sorted(people.items(), key=lambda item: (-counts[item[0]], item[1].casefold()))
    if not rows:
        return "Nobody has joined a call this month yet."
    most = max(counts.values(), default=0)
    lines = ["| teammate | calls |", "|---|---|"]
    for folded, login in rows:
        star = " 🏆" if most and counts[folded] == most else ""
        lines.append(f"| @{login} | {counts[folded]}{star} |")
    return "\n".join(lines)


def _with_file(flag: Flag, files: str | None) -> str:
    """The flag's text naming its file: the id linked to it on GitHub (`files` is the blob URL of the
    branch, never of a commit, or the dashboard would change with every push), else the file's path."""
    named = f"`{flag.record_id}`"  # plan.remind starts the text of a record's flag with it
    if flag.path is None or not flag.text.startswith(named):
        return flag.text
    rest = flag.text[len(named) :]
    return (f"[{named}]({files}{flag.path})" if files else f"`{flag.path}`") + rest


def flag_sections(found: Sequence[Flag], files: str | None = None) -> str:
    sections = []
    for kind in KINDS:
        items = [f for f in found if f.kind == kind]
        if not items:
            continue
        lines = [f"### {TITLES[kind]} ({len(items)})"]
        for flag in items[:SECTION_LIMIT]:
            owners = " ".join(f"@{o}" for o in flag.owners) or "no owner"
            lines.append(f"- [ ] {_with_file(flag, files)} — {owners}")
        if len(items) > SECTION_LIMIT:
            more = len(items) - SECTION_LIMIT
            lines.append(f"- … and {more} more: `feedbackloop remind --dry-run` lists them all")
        sections.append("\n".join(lines))
    return "\n\n".join(sections) if sections else "Nothing is overdue. 🎉"


def dashboard(
    records: Sequence[Record],
    settings: Settings,
    today: date,
    found: Sequence[Flag],
    files: str | None = None,
) -> str:
    """The whole dashboard; `files` is where a record's file is shown on GitHub (its path is appended)."""
    month = f"{calendar.month_name[today.month]} {today.year}"
    return (
        "\n\n".join(
            [
                f"## To do ({len(found)})",
                flag_sections(found, files),
                f"## Calls in {month}",
                calls_table(records, settings, today),
                "## Trends",
                charts(records, today),
            ]
        ).rstrip()
        + "\n"
    )
