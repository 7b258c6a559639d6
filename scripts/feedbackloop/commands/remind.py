"""`feedbackloop remind`: flag what is overdue, keep the dashboard issue current, remind owners in Slack.

Reminders are sent at most once a day for the same set of items, even when the workflow is re-run or
killed half way: the dashboard issue carries a small ledger of who was reminded today (marked before
a message goes out, confirmed after), and a message whose confirmation was lost is looked up in Slack
by its metadata before it is sent again. The job has `contents: read` only: it never writes to files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from feedbackloop import actions
from feedbackloop.commands.connect import Services
from feedbackloop.context import Context
from feedbackloop.errors import FAILED, OK, FeedbackloopError
from feedbackloop.plan.ledger import day_start
from feedbackloop.plan.publish import cut, marker, markers
from feedbackloop.plan.remind import Closed, Flag, by_owner, flags, items_digest, news, told_pending
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


MARGIN = timedelta(hours=1)  # on GitHub's own clock: an issue closed while a listing was paged


@dataclass(frozen=True)
class Checked:
    """How far the request issues were read, kept in the dashboard issue: the latest `closed_at` seen
    (GitHub's clock, not the runner's) and the issues of `repo` seen closed as completed while a request
    still waited to be told. The next run lists only the issues updated since, so a run costs what
    changed, not the years of history; the first run (no dashboard yet) reads back to the oldest request
    still to report, once."""

    repo: str
    since: datetime | None = None
    completed: frozenset[int] = frozenset()

    @classmethod
    def read(cls, body: str, repo: str) -> Checked | None:
        found = [fields for kind, fields in markers(body) if kind == "issues"]
        if not found or found[-1].get("repo", "").casefold() != repo.casefold():
            return None
        fields = found[-1]
        try:
            since = datetime.fromisoformat(fields["since"]) if fields.get("since") else None
            completed = frozenset(int(n) for n in fields.get("completed", "").split())
        except ValueError:
            return None
        return cls(repo, since, completed)

    def marker(self) -> str:
        return marker(
            "issues",
            repo=self.repo,
            since=self.since.isoformat() if self.since else "",
            completed=" ".join(str(n) for n in sorted(self.completed)),
        )


def _issue_number(url: str | None, repo: str) -> int | None:
    found = GITHUB_ISSUE.fullmatch(url or "")
    return int(found[2]) if found and found[1].casefold() == repo.casefold() else None


def closed_issues(
    context: Context,
    github: GitHub | None,
    records: Sequence[Record],
    checked: Checked | None = None,
    err: bool = False,
) -> tuple[dict[str, Closed], Checked | None]:
    """The request issues closed as completed, by the link each request holds, and what to remember of
    them: one paged listing of the labelled issues (updated since the last one, or closed since the
    oldest request still to report), plus one read per issue set by hand elsewhere (it carries no label).
    Raises ServiceError; `known_closed` then gives what the dashboard remembered."""
    pending = told_pending(records)
    if not pending:
        return {}, checked
    if github is None:
        click.echo("shipped requests are not checked without GitHub", err=err)
        return {}, checked
    repo, label = Services(context).issues_repository, context.settings.issue_label
    completed = set(checked.completed) if checked else set()
    latest = checked.since if checked else None
    if checked is not None and checked.since is not None:
        listed = github.labeled_issues(repo, label, since=checked.since - MARGIN, state="all")
    else:
        oldest = day_start(min(r.date for r in pending))
        listed = github.labeled_issues(repo, label, since=oldest, state="closed")
    for issue in listed:
        if issue.state == "closed" and issue.state_reason in (None, "completed"):
            completed.add(issue.number)
        else:  # open, reopened, or closed as not planned
            completed.discard(issue.number)
        if issue.closed_at is not None and (latest is None or issue.closed_at > latest):
            latest = issue.closed_at
    # Remember only what a request still waits on; while a file has problems (its record is left out
    # today), forget only what a request was told about.
    told = {_issue_number(q.issue, repo) for r in records for q in r.requests if q.told_on}
    untold = {_issue_number(q.issue, repo) for r in pending for q in r.requests if not q.told_on}
    if any(p.severity == "error" for p in context.repository.problems):
        completed -= told - untold
    else:
        completed &= untold
    remembered = Checked(repo, latest, frozenset(completed))
    closed = known_closed(pending, remembered)
    for record in pending:
        for request in record.requests:
            by_hand = request.issue and request.evidence != request.issue
            if not by_hand or request.told_on or request.issue in closed:
                continue
            found = GITHUB_ISSUE.fullmatch(request.issue or "")
            if found is None:
                continue
            issue = github.get_issue(found[1], int(found[2]))
            if issue.state == "closed" and issue.state_reason in (None, "completed"):
                closed[request.issue or ""] = Closed(request.issue or "", True)
    return closed, remembered


def known_closed(records: Sequence[Record], checked: Checked | None) -> dict[str, Closed]:
    """The requests' issues the dashboard remembers as closed as completed (no request made)."""
    if checked is None:
        return {}
    return {
        q.issue: Closed(q.issue, True)
        for r in records
        for q in r.requests
        if q.issue and _issue_number(q.issue, checked.repo) in checked.completed
    }


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


def dashboard_body(content: str, ledger: Ledger, checked: Checked | None = None) -> str:
    """The issue's body: the dashboard, then what remind keeps between runs (hidden markers)."""
    kept = f"{checked.marker()}\n" if checked is not None else ""
    return f"{marker('dashboard')}\n{content}\n{kept}{ledger.marker()}\n"


def find_dashboard(github: GitHub, repo: str) -> Issue | None:
    """The dashboard issue, by its label and its marker (one request)."""
    for issue in github.labeled_issues(repo, DASHBOARD_LABEL, state="all"):
        if any(kind == "dashboard" for kind, _ in markers(issue.body)):
            return issue
    return None


def reminder_text(owner: str, items: Sequence[Flag], mention: str, limit: int = 2900) -> str:
    """The reminder: whole items only, within a section's 3,000 characters (the rest are counted)."""
    headline = f"feedbackloop: {len(items)} thing{'s' * (len(items) != 1)} to do from user interviews"
    lines = [f"{mention} {headline}" if mention else headline]
    size = len(lines[0])
    for index, flag in enumerate(items):
        line = f"• {slack_escape(flag.private)}"
        if size + 1 + len(line) > limit - 80:
            lines.append(f"… and {len(items) - index} more: see the dashboard issue")
            break
        lines.append(line)
        size += 1 + len(line)
    return "\n".join(lines)


class Reminder:
    def __init__(
        self,
        context: Context,
        services: Services,
        github: GitHub,
        found: list[Flag],
        content: str,
        checked: Checked | None,
    ) -> None:
        self.context = context
        self.settings = context.settings
        self.services = services
        self.github = github
        self.repo = services.repository
        self.found = found
        self.content = content
        self.checked = checked
        self.failures: list[str] = []
        self.body = ""  # the dashboard's body as GitHub holds it now
        self.open = True
        self.written = False

    # -- the dashboard issue ---------------------------------------------------------------------
    def ensure_dashboard(self, existing: Issue | None) -> Issue:
        if existing is not None:
            return existing
        body = dashboard_body(self.content, Ledger(self.context.today.isoformat()), self.checked)
        try:
            return self.github.create_issue(self.repo, TITLE, body, [DASHBOARD_LABEL])
        except Ambiguous:
            return find_dashboard(self.github, self.repo) or self.github.create_issue(
                self.repo, TITLE, body, [DASHBOARD_LABEL]
            )

    def write(self, number: int, ledger: Ledger) -> None:
        """Rewrite the dashboard (and reopen it, when someone closed it by hand)."""
        body = dashboard_body(self.content, ledger, self.checked)
        self.github.edit_issue(self.repo, number, body=body, state="open")
        self.body, self.open, self.written = body, True, True

    def changed(self, ledger: Ledger) -> bool:
        """Whether the body needs writing: not for a listing that only moved how far issues were read
        (that alone would rewrite the issue every run)."""
        if not self.open:
            return True
        old = Checked.read(self.body, self.checked.repo) if self.checked is not None else None
        kept = self.checked
        if kept is not None and old is not None:
            kept = Checked(kept.repo, old.since, kept.completed)
        return dashboard_body(self.content, ledger, kept) != self.body

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

    def destination(self, member: str) -> tuple[str, str]:
        """(channel, mention) for a reminder to the teammate with this Slack member id. A direct
        message is posted to the member id itself: Slack delivers it to the app's conversation with
        them, without a conversations.open first."""
        if self.settings.slack_reminders == "channel":
            return self.settings.slack_channel, f"<@{member}>"
        return member, ""

    def already_sent(self, slack: Slack, channel: str, owner: str, digest: str) -> bool:
        """After a run stopped between a message and its confirmation: was it sent?"""
        for message in slack.history(channel, day_start(self.context.today).timestamp()):
            payload = message.metadata.get("event_payload") or {}
            if (
                message.metadata.get("event_type") == REMINDER_EVENT
                and payload.get("owner") == owner
                and payload.get("digest") == digest
            ):
                return True
        return False

    def drafts(self, items: Sequence[Flag], most: int = 5) -> list[dict[str, Any]]:
        """The follow-up e-mails due, drafted, for the interviewer to send (`feedbackloop follow-up`)."""
        from feedbackloop.commands.follow_up import draft

        blocks: list[dict[str, Any]] = []
        for flag in [f for f in items if f.kind == "follow-up" and f.record_id][:most]:
            try:
                text = draft(self.context, self.context.repository.record(flag.record_id or "")).text
            except FeedbackloopError:
                continue  # the item itself says to run the command, which explains what is wrong
            body = cut(slack_escape(text), 2800, "(see `feedbackloop follow-up`)")
            blocks.append(
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "verbatim": True,
                        "text": f"*Follow-up draft, {flag.record_id}*\n```{body}```",
                    },
                }
            )
        return blocks

    def remind(self, number: int, ledger: Ledger) -> Ledger:
        owners = by_owner(self.found)
        if not owners:
            return ledger
        if self.settings.slack_reminders == "channel" and not self.settings.slack_channel:
            click.echo("no Slack reminders: `slack_reminders` is channel but `slack_channel` is not set")
            return ledger
        members = self.reachable(owners)
        due = {o: items_digest(owners[o]) for o in members}
        todo = {
            o: d
            for o, d in due.items()
            if news(d, ledger.sent.get(o)) or ledger.sent.get(o) == f"pending:{d}"  # pending: was it sent?
        }
        if not todo:
            return ledger
        slack = self.services.slack(channel_needed=False)
        if slack is None:
            return ledger
        was_pending = {o for o, d in todo.items() if ledger.sent.get(o) == f"pending:{d}"}
        ledger.sent.update({o: f"pending:{d}" for o, d in todo.items()})
        self.write(number, ledger)
        for owner, digest in todo.items():
            if self.context.budget.spent:  # between owners, never half-way through one
                self.failures.append(
                    f"the API budget ({self.settings.api_budget} requests) is spent: the other reminders "
                    "wait for the next run (raise `api_budget` to do more per run)"
                )
                break
            try:
                channel, mention = self.destination(members[owner])
                if owner in was_pending:  # history is read by conversation id, not member id
                    conversation = channel if mention else slack.open_dm(members[owner])
                    if self.already_sent(slack, conversation, owner, digest):
                        ledger.sent[owner] = digest
                        continue
                text = reminder_text(owner, owners[owner], mention)
                metadata = {
                    "event_type": REMINDER_EVENT,
                    "event_payload": {"owner": owner, "digest": digest, "day": ledger.day},
                }
                blocks = [{"type": "section", "text": {"type": "mrkdwn", "verbatim": True, "text": text}}]
                if not mention:  # a direct message: private, so it may carry the follow-up drafts
                    blocks += self.drafts(owners[owner])
                slack.post(channel, text, blocks, metadata)
                ledger.sent[owner] = digest
                click.echo(f"reminded @{owner} of {len(owners[owner])} item{'s' * (len(owners[owner]) != 1)}")
            except ServiceError as error:
                self.failures.append(f"Slack reminder for @{owner}: {str(error).splitlines()[0]}")
        return ledger

    def run(self, existing: Issue | None) -> int:
        try:
            issue = self.ensure_dashboard(existing)
            self.body, self.open = issue.body, issue.state == "open"
            ledger = self.remind(issue.number, Ledger.read(issue.body, self.context.today))
            if self.changed(ledger):
                self.write(issue.number, ledger)
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


def read_issues(
    context: Context, github: GitHub | None, records: Sequence[Record], err: bool = False
) -> tuple[Issue | None, dict[str, Closed], Checked | None, str | None]:
    """The dashboard issue (when there is GitHub), the requests' closed issues and what to remember of
    them, and the failure that stopped reading, if one did (then the dashboard's memory stands in)."""
    if github is None:
        return None, closed_issues(context, None, records, err=err)[0], None, None
    services = Services(context)
    issue, checked = None, None
    try:
        issue = find_dashboard(github, services.repository)
        checked = Checked.read(issue.body, services.issues_repository) if issue else None
        closed, checked = closed_issues(context, github, records, checked, err=err)
    except ServiceError as error:
        return issue, known_closed(records, checked), checked, str(error).splitlines()[0]
    return issue, closed, checked, None


def run(context: Context, dry_run: bool, include_examples: bool) -> int:
    records = active_records(context, include_examples)
    services = Services(context)
    github = services.github()
    issue, closed, checked, failure = read_issues(context, github, records)
    if failure:
        click.echo(f"shipped requests not checked: {failure}")
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
        return FAILED if failure else OK
    if github is None:
        click.echo("the dashboard issue and reminders need GitHub: printed only")
        click.echo(content)
        return OK
    if failure and issue is None:
        # Without the dashboard found, creating one could make a second: stop, the next run continues.
        click.echo(f"to retry: {failure}")
        click.echo(context.budget.line())
        return FAILED
    reminder = Reminder(context, services, github, found, content, checked)
    if failure:
        reminder.failures.append(failure)
    return reminder.run(issue)
