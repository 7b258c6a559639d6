"""`feedbackloop status`: every interview and what is still pending for it."""

from __future__ import annotations

from collections.abc import Sequence

import click

from feedbackloop.context import Context
from feedbackloop.errors import OK
from feedbackloop.plan.ledger import unpublished
from feedbackloop.records.model import Interview, Record

HEADERS = ("interview", "call", "status", "to publish", "reward", "follow-up")


def reward_state(record: Record) -> str:
    if not isinstance(record, Interview) or record.status != "completed" or record.forgotten:
        return ""
    reward = record.reward
    if reward.status in ("pending", "issued"):
        return f"{reward.kind} {reward.status}"
    return ""


def follow_up_state(record: Record) -> str:
    if (
        isinstance(record, Interview)
        and record.status == "completed"
        and record.follow_up.status == "pending"
    ):
        return "pending"
    return ""


def rows(context: Context, show_all: bool) -> list[tuple[str, ...]]:
    """One row per record, by date; names no person (logs and job summaries may show it)."""
    table: list[tuple[str, ...]] = []
    for record in sorted(context.repository.records, key=lambda r: (r.date, r.id)):
        status = record.status if isinstance(record, Interview) else "note"
        days = (context.today - record.date).days
        row = (
            record.id + (" (example)" if record.example else ""),
            f"{record.date} ({days}d ago)" if days >= 0 else f"{record.date} (in {-days}d)",
            status,
            ", ".join(unpublished(record, context.settings)),
            reward_state(record),
            follow_up_state(record),
        )
        if show_all or any(row[3:]):
            table.append(row)
    return table


def text_table(table: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(HEADERS, *table, strict=False)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (HEADERS, *table)
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(table: Sequence[tuple[str, ...]]) -> str:
    out = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    # A `|` in a cell (an id is free text until validated) would end the cell early.
    out += ["| " + " | ".join(cell.replace("|", "\\|") or "·" for cell in row) + " |" for row in table]
    return "\n".join(out)


def run(context: Context, output: str, show_all: bool) -> int:
    table = rows(context, show_all)
    broken = sum(1 for parsed in context.repository.parsed if parsed.record is None)
    if not table:
        click.echo("Nothing pending." if not show_all else "No interviews yet.")
    else:
        click.echo(markdown_table(table) if output == "markdown" else text_table(table))
    if broken:
        click.echo(f"\n{broken} file{'s' * (broken != 1)} could not be read: run `feedbackloop validate`.")
    return OK
