"""`feedbackloop remind`: flag what is overdue, keep the dashboard issue current, remind owners in Slack.

Reminders are sent at most once a day for the same set of items, even when the workflow is re-run or
killed half way: the dashboard issue carries a small ledger of who was reminded today (marked before
a message goes out, confirmed after), and a message whose confirmation was lost is looked up in Slack
by its metadata before it is sent again. The job has `contents: read` only: it never writes to files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

import click

from feedbackloop import actions
from feedbackloop.commands.connect import Services
from feedbackloop.context import Context
from feedbackloop.errors import FAILED, OK
from feedbackloop.plan.publish import marker, markers
from feedbackloop.plan.remind import Closed, Flag, by_owner, flags, items_digest, told_pending
from feedbackloop.plan.report import TITLE, dashboard
from feedbackloop.records.model import Record
from feedbackloop.records.rules import GITHUB_ISSUE
from feedbackloop.render import slack_escape
from feedbackloop.services.retry import Ambiguous, ServiceError

if TYPE_CHECKING:
    from feedbackloop.services.github import GitHub, Issue
    from feedbackloop.services.slack import Slack

DASHBOARD_LABEL = "feedbackloop-dashboard"
REMINDER_EVENT = "feedbackloop_reminder"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def active_records(context: Context, include_examples: bool, err: bool = False) -> list[Record]:
    """The records to remind about; one line (on stderr when `err`) for each that has problems."""
    broken = {p.path for p in context.repository.problems if p.severity == "error"}
    for path in sorted(broken):
        click.echo(f"skipped {path}: it has problems (run `feedbackloop validate {path}`)", err=err)
    return [r for r in context.repository.active(include_examples or None) if r.path not in broken]


def files_url(context: Context) -> str | None:
    """Where the dashboard links each record's file: its branch on GitHub (None off GitHub)."""
    name = context.env.get("GITHUB_REPOSITORY")
    if not name:
        return None
    server = context.env.get("GITHUB_SERVER_URL", "https://github.com")
    return f"{server}/{name}/blob/{context.settings.branch}/"


def closed_issues(
    context: Context, github: GitHub | None, records: Sequence[Record], err: bool = False
) -> dict[str, Closed]:
    """The request issues closed since the oldest request still to report: one paged listing of the
    labelled issues, plus one read per issue that was set by hand (it may carry no label)."""
    pending = told_pending(records)
    if not pending:
        return {}
    if github is None:
        click.echo("shipped requests are not checked without GitHub", err=err)
        return {}
    services = Services(context)
    repo, label = services.issues_repository, context.settings.issue_label
    since = _midnight(min(r.date for r in pending))
    closed = {
        issue.url: Closed(issue.url, issue.state_reason in (None, "completed"))
        for issue in github.labeled_issues(repo, label, since=since, state="closed")
    }
    for record in pending:
        for request in record.requests:
            by_hand = request.issue and request.evidence != request.issue
            if not by_hand or request.told_on or request.issue in closed:
                continue
            found = GITHUB_ISSUE.fullmatch(request.issue or "")
            if found is None:
                continue
            issue = github.get_issue(found[1], int(found[2]))
            if issue.state == "closed":
                closed[issue.url] = Closed(issue.url, issue.state_reason in (None, "completed"))
    return closed


@dataclass
class Ledger:
    """Who was reminded today, and of which set of items (`pending:` until the message is confirmed)."""

    day: str
    sent: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, body: str, today: date) -> Ledger:
        """Today's ledger: the last `reminded` marker (the one this command appends after the
        content), so nothing inside the content can stand in for it."""
        found = [fields for kind, fields in markers(body) if kind == "reminded"]
        if found and found[-1].get("day") == today.isoformat():
            return cls(today.isoformat(), {k: v for k, v in found[-1].items() if k != "day"})
        return cls(today.isoformat())

    def marker(self) -> str:
        return marker("reminded", day=self.day, **self.sent)


def dashboard_body(content: str, ledger: Ledger) -> str:
    return f"{marker('dashboard')}\n{content}\n{ledger.marker()}\n"


def reminder_text(owner: str, items: Sequence[Flag], mention: str) -> str:
    headline = f"feedbackloop: {len(items)} thing{'s' * (len(items) != 1)} to do from user interviews"
    lines = [f"{mention} {headline}" if mention else headline]
    lines += [f"• {slack_escape(flag.private)}" for flag in items]
    return "\n".join(lines)


class Reminder:
    def __init__(
        self,
        context: Context,
        services: Services,
        github: GitHub,
        records: list[Record],
        found: list[Flag],
        content: str,
    ) -> None:
        self.context = context
        self.settings = context.settings
        self.services = services
        self.github = github
        self.repo = services.repository
        self.records = records
        self.found = found
        self.content = content
        self.failures: list[str] = []
        self.body = ""  # the dashboard's body as GitHub holds it now
        self.open = True
        self.written = False

    # -- the dashboard issue ---------------------------------------------------------------------
    def find_dashboard(self) -> Issue | None:
        for issue in self.github.labeled_issues(self.repo, DASHBOARD_LABEL, state="all"):
            if any(kind == "dashboard" for kind, _ in markers(issue.body)):
                return issue
        return None

    def ensure_dashboard(self, body: str) -> Issue:
        existing = self.find_dashboard()
        if existing is not None:
            return existing
        try:
            return self.github.create_issue(self.repo, TITLE, body, [DASHBOARD_LABEL])
        except Ambiguous:
            return self.find_dashboard() or self.github.create_issue(
                self.repo, TITLE, body, [DASHBOARD_LABEL]
            )

    def write(self, number: int, body: str) -> None:
        """Rewrite the dashboard (and reopen it, when someone closed it by hand)."""
        self.github.edit_issue(self.repo, number, body=body, state="open")
        self.body, self.open, self.written = body, True, True

    # -- Slack -----------------------------------------------------------------------------------
    def reachable(self, owners: dict[str, list[Flag]]) -> dict[str, str]:
        """Each owner's Slack member id; an owner without one is skipped with a line, every run, and
        never enters the ledger (or each re-run would mark and unmark them)."""
        members = {}
        for owner in owners:
            teammate = self.settings.teammate(owner)
            if teammate is None or not teammate.slack:
                click.echo(f"no Slack reminder for @{owner}: add their Slack member id to `roster`")
            else:
                members[owner] = teammate.slack
        return members

    def destination(self, slack: Slack, member: str) -> tuple[str, str]:
        """(channel, mention) for a reminder to the teammate with this Slack member id."""
        if self.settings.slack_reminders == "channel":
            return self.settings.slack_channel, f"<@{member}>"
        return slack.open_dm(member), ""

    def already_sent(self, slack: Slack, channel: str, owner: str, digest: str) -> bool:
        """After a run stopped between a message and its confirmation: was it sent?"""
        for message in slack.history(channel, _midnight(self.context.today).timestamp()):
            payload = message.metadata.get("event_payload") or {}
            if (
                message.metadata.get("event_type") == REMINDER_EVENT
                and payload.get("owner") == owner
                and payload.get("digest") == digest
            ):
                return True
        return False

    def remind(self, number: int, ledger: Ledger) -> Ledger:
        owners = by_owner(self.found)
        if not owners:
            return ledger
        if self.settings.slack_reminders == "channel" and not self.settings.slack_channel:
            click.echo("no Slack reminders: `slack_reminders` is channel but `slack_channel` is not set")
            return ledger
        members = self.reachable(owners)
        due = {o: items_digest(owners[o]) for o in members}
        todo = {o: d for o, d in due.items() if ledger.sent.get(o) != d}
        if not todo:
            return ledger
        slack = self.services.slack(channel_needed=False)
        if slack is None:
            return ledger
        was_pending = {o for o, d in todo.items() if ledger.sent.get(o) == f"pending:{d}"}
        ledger.sent.update({o: f"pending:{d}" for o, d in todo.items()})
        self.write(number, dashboard_body(self.content, ledger))
        for owner, digest in todo.items():
            try:
                channel, mention = self.destination(slack, members[owner])
                if owner in was_pending and self.already_sent(slack, channel, owner, digest):
                    ledger.sent[owner] = digest
                    continue
                text = reminder_text(owner, owners[owner], mention)
                metadata = {
                    "event_type": REMINDER_EVENT,
                    "event_payload": {"owner": owner, "digest": digest, "day": ledger.day},
                }
                blocks = [
                    {"type": "section", "text": {"type": "mrkdwn", "verbatim": True, "text": text[:2990]}}
                ]
                slack.post(channel, text[:3900], blocks, metadata)
                ledger.sent[owner] = digest
                click.echo(f"reminded @{owner} of {len(owners[owner])} item{'s' * (len(owners[owner]) != 1)}")
            except ServiceError as error:
                self.failures.append(f"Slack reminder for @{owner}: {str(error).splitlines()[0]}")
        return ledger

    def run(self) -> int:
        try:
            fresh = dashboard_body(self.content, Ledger(self.context.today.isoformat()))
            issue = self.ensure_dashboard(fresh)
            self.body, self.open = issue.body, issue.state == "open"
            ledger = self.remind(issue.number, Ledger.read(issue.body, self.context.today))
            body = dashboard_body(self.content, ledger)
            if body != self.body or not self.open:
                self.write(issue.number, body)
            click.echo(f"dashboard {'updated' if self.written else 'unchanged'}: {issue.url}")
        except ServiceError as error:
            self.failures.append(str(error).splitlines()[0])
        for failure in self.failures:
            click.echo(f"to retry: {failure}")
        click.echo(self.context.budget.line())
        return FAILED if self.failures else OK


def print_flags(found: Sequence[Flag]) -> None:
    if not found:
        click.echo("Nothing is overdue.")
    for flag in found:
        click.echo(f"{flag.kind}: {flag.text.replace('`', '')} [{', '.join(flag.owners)}]")


def run(context: Context, dry_run: bool, include_examples: bool) -> int:
    records = active_records(context, include_examples)
    services = Services(context)
    github = services.github()
    try:
        closed = closed_issues(context, github, records)
    except ServiceError as error:
        click.echo(f"shipped requests not checked: {str(error).splitlines()[0]}")
        closed = {}
    found = flags(records, context.settings, context.today, closed)
    content = dashboard(records, context.settings, context.today, found, files_url(context))
    print_flags(found)
    actions.summary(context.env, f"## {TITLE}\n\n{content}")
    if dry_run:
        click.echo("\nDry run: the dashboard issue would read:\n")
        click.echo(content)
        for owner, items in by_owner(found).items():  # the log names no user: ids, not the private text
            click.echo(
                f"\nSlack reminder for @{owner} ({context.settings.slack_reminders}), {len(items)} items:"
            )
            for flag in items:
                click.echo(f"  - {flag.text.replace('`', '')}")
        return OK
    if github is None:
        click.echo("the dashboard issue and reminders need GitHub: printed only")
        click.echo(content)
        return OK
    return Reminder(context, services, github, records, found, content).run()
