"""`feedbackloop publish`: every completed interview and feedback note reaches GitHub issues, Slack
and the Google Doc exactly once, and the links are written back in one commit.

Order matters: issues first (their links go into the Slack message and the doc entry), then Slack,
then the doc, then the write-back. A service that fails stops only itself; what succeeded is written
back, and the next run finishes the job (every effect is found again by its key before it is made).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import click

from feedbackloop import actions
from feedbackloop.calendar_sync import calendar_calls
from feedbackloop.commands.connect import Services
from feedbackloop.commands.reward import shopify_configured
from feedbackloop.context import Context
from feedbackloop.errors import FAILED, OK, FeedbackloopError
from feedbackloop.git import adding_commit, checked_out
from feedbackloop.ledger import Changes, commit_changes, write_files
from feedbackloop.lock import LEASE, Held, Lock, free, take
from feedbackloop.plan.ledger import day_start, digest
from feedbackloop.plan.publish import (
    Work,
    doc_range_name,
    marker,
    markers,
    plan,
    request_key,
    request_label,
    slack_metadata,
    with_request,
)
from feedbackloop.plan.reward import pending_merch
from feedbackloop.records.model import Record
from feedbackloop.records.rules import GITHUB_ISSUE
from feedbackloop.render import doc_entry, evidence_body, github_inline, issue_body, slack_message
from feedbackloop.services.retry import Ambiguous, ServiceError

if TYPE_CHECKING:
    from feedbackloop.services.github import GitHub

# A refusal about one record's content does not mean the service is down.
RECORD_SPECIFIC = (404, 410, 422)


@dataclass
class Outcome:
    """What happened to one record, for the log, the job summary and the pull request comment."""

    record_id: str
    done: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Publisher:
    def __init__(self, context: Context, works: list[Work], records: Sequence[Record] = ()) -> None:
        self.context = context
        self.all_records = list(records)  # rewards and the calendar look beyond the records with work
        self.settings = context.settings
        self.templates = context.root / context.settings.templates_dir
        self.services = Services(context)
        # A service without credentials is skipped; what only it could do waits for a run that has them.
        self.unreachable = self.services.unreachable()
        self.planned = {w.record.id: w for w in works}
        self.works = [w for w in (w.without(self.unreachable) for w in works) if not w.empty]
        self.records: dict[str, Record] = {w.record.id: w.record for w in self.works}
        self.outcomes: dict[str, Outcome] = {w.record.id: Outcome(w.record.id) for w in self.works}
        self.changes = Changes()
        self.published: dict[str, set[str]] = {w.record.id: set() for w in self.works}  # services done
        self.stopped: str | None = None
        self.unlocked = False  # went on without the publish lock: GitHub failed while taking it
        self.lock_left = ""  # why the run leaves a lock behind, when it does

    # -- bookkeeping -----------------------------------------------------------------------------
    def known(self) -> dict[str, Record]:
        """Every record by id, as this run has it now: a calendar event or a gift card may be a record's
        only news, and such a record has no publishing work of its own."""
        return {r.id: r for r in self.all_records} | self.records

    def paths(self) -> dict[str, str]:
        return {record_id: record.path for record_id, record in self.known().items()}

    def note(self, record: Record, text: str, link: tuple[str, str] | None = None) -> None:
        outcome = self.outcomes[record.id]
        outcome.done.append(text)
        if link:
            outcome.links.append(link)

    def fail(self, record: Record, error: Exception) -> None:
        self.outcomes[record.id].failed.append(str(error).splitlines()[0])

    def budget_left(self) -> bool:
        if self.context.budget.spent and not self.stopped:
            self.stopped = (
                f"the API budget ({self.settings.api_budget} requests) is spent: stopped between records; "
                "the next run continues (raise `api_budget` to do more per run)"
            )
        return not self.stopped

    def stop(self, service: str, error: ServiceError, records: Sequence[Record]) -> None:
        """A service failed for every record (down, refusing the token): it is done for this run."""
        click.echo(f"{service}: stopped for this run: {error}")  # with its fix, when it has one
        for record in records:
            self.fail(record, error)

    def each(self, works: list[Work], service: str, step: Callable[[Work], None]) -> None:
        """Run `step` for each record: a refusal about one record skips it; any other failure, the service."""
        for work in works:
            if not self.budget_left():
                return
            try:
                step(work)
            except ServiceError as error:
                self.fail(work.record, error)
                if error.status not in RECORD_SPECIFIC:
                    click.echo(f"{service}: stopped for this run: {error}")
                    return
            except FeedbackloopError as error:
                self.fail(work.record, error)

    # -- GitHub issues ---------------------------------------------------------------------------
    def issues(self) -> None:
        works = [w for w in self.works if w.new_issues or w.evidence]
        if not works:
            return
        github = self.services.github()
        if github is None:
            return
        repo = self.services.issues_repository
        label = self.settings.issue_label
        found: dict[str, list[str]] = {}  # request key -> issues whose marker holds it, oldest first

        def look(since: datetime) -> None:
            for issue in github.labeled_issues(repo, label, since=since):
                for kind, fields in markers(issue.body):
                    if kind == "request" and "key" in fields:
                        urls = found.setdefault(fields["key"], [])
                        if issue.url not in urls:
                            urls.append(issue.url)

        def filed(record: Record, index: int) -> str | None:
            """An issue a killed run filed for this request: one with its key that no other request of
            the record holds (a request inserted above the others takes an earlier one's key)."""
            held = {request.issue for request in record.requests}
            return next((url for url in found.get(request_key(record, index), ()) if url not in held), None)

        new = [w for w in works if w.new_issues]
        if new:
            try:
                look(day_start(min(w.record.date for w in new)))
            except ServiceError as error:
                self.stop("GitHub", error, [w.record for w in works])
                return
        labels = [label, *self.settings.extra_labels]

        def file(work: Work) -> None:
            for index in work.new_issues:
                record = self.records[work.record.id]
                key = request_key(record, index)
                request = record.requests[index]
                url = filed(record, index)
                adopted = url is not None
                if url is None:
                    body = issue_body(
                        self.templates,
                        record,
                        request,
                        self.services.file_url(record.path),
                        marker("request", id=record.id, key=key),
                    )
                    try:
                        url = github.create_issue(
                            repo, request.title, body, [*labels, request_label(request, self.settings)]
                        ).url
                    except Ambiguous:
                        look(day_start(record.date))  # it may have been filed: look before filing again
                        url = (
                            filed(record, index)
                            or github.create_issue(
                                repo, request.title, body, [*labels, request_label(request, self.settings)]
                            ).url
                        )
                self.records[record.id] = with_request(record, index, issue=url, evidence=url)
                self.changes.set(record.path, ("requests", index, "issue"), url)
                self.changes.set(record.path, ("requests", index, "evidence"), url)
                self.note(record, f"{'found' if adopted else 'filed'} {url}", (request.title, url))
            for index in work.evidence:
                self.evidence(github, work.record.id, index)

        self.each(works, "GitHub", file)

    def evidence(self, github: GitHub, record_id: str, index: int) -> None:
        record = self.records[record_id]
        request = record.requests[index]
        target = GITHUB_ISSUE.fullmatch(request.issue or "")
        if target is None:
            raise FeedbackloopError(
                f"{record.id}: request {index + 1} has an issue link that is not an issue"
            )
        repo, number = target[1], int(target[2])
        key = request_key(record, index)

        held = {other.evidence for other in record.requests}

        def existing() -> str | None:
            # Ours was made after the call: an issue with years of comments is read from that day on.
            for comment in github.comments(repo, number, since=day_start(record.date)):
                for kind, fields in markers(comment.body):
                    if kind == "evidence" and fields.get("key") == key and comment.url not in held:
                        return comment.url
            return None

        url = existing()
        if url is None:
            body = evidence_body(
                self.templates,
                record,
                request,
                self.services.file_url(record.path),
                marker("evidence", key=key),
            )
            try:
                url = github.create_comment(repo, number, body).url
            except Ambiguous:
                url = existing() or github.create_comment(repo, number, body).url
        self.records[record.id] = with_request(record, index, evidence=url)
        self.changes.set(record.path, ("requests", index, "evidence"), url)
        self.note(record, f"added this user as evidence on {request.issue}", (request.title, url))

    # -- Slack -----------------------------------------------------------------------------------
    def slack(self) -> None:
        works = [w for w in self.works if w.slack]
        if not works:
            return
        slack = self.services.slack()
        if slack is None:
            return
        from feedbackloop.services.slack import EVENT_TYPE, ts_from_permalink

        channel = self.settings.slack_channel
        found: dict[str, tuple[str, str]] = {}  # interview id -> (ts, digest) of a summary already posted

        def look(since: datetime) -> None:
            for message in slack.history(channel, since.timestamp()):
                if message.metadata.get("event_type") == EVENT_TYPE:
                    payload = message.metadata.get("event_payload") or {}
                    found.setdefault(str(payload.get("id")), (message.ts, str(payload.get("digest"))))

        posts = [w for w in works if w.slack == "post"]
        if posts:
            try:
                look(day_start(min(w.record.date for w in posts)))
            except ServiceError as error:
                self.stop("Slack", error, [w.record for w in works])
                return

        def publish(work: Work) -> None:
            record = self.records[work.record.id]
            text, blocks = slack_message(
                self.templates, record, self.settings, self.services.file_url(record.path)
            )
            metadata = slack_metadata(record)
            if work.slack == "update":
                target = ts_from_permalink(record.published.slack or "")
                if target is not None and slack.update(target[0], target[1], text, blocks, metadata):
                    self.published[record.id].add("slack")
                    self.note(record, "updated the Slack summary")
                    return
                # The ledger's link names no message (edited by hand, cut short) or one that is
                # gone: find the summary by its metadata before posting one.
                look(day_start(record.date))
            earlier = found.get(record.id)
            if earlier is not None:  # posted by a run that stopped before writing back
                ts = earlier[0]
                if earlier[1] != digest(record):
                    slack.update(channel, ts, text, blocks, metadata)
            else:
                try:
                    ts = slack.post(channel, text, blocks, metadata)
                except Ambiguous:
                    look(day_start(record.date))  # it may have been posted: look before posting again
                    ts = (
                        found[record.id][0]
                        if record.id in found
                        else slack.post(channel, text, blocks, metadata)
                    )
            link = slack.permalink(channel, ts)
            self.changes.set(record.path, ("published", "slack"), link)
            self.published[record.id].add("slack")
            verb = "found the summary in Slack" if earlier is not None else "posted the summary to Slack"
            self.note(record, verb, ("Slack summary", link))

        self.each(works, "Slack", publish)

    # -- the Google Doc --------------------------------------------------------------------------
    def doc(self) -> None:
        works = [w for w in self.works if w.doc]
        if not works or not self.budget_left():
            return
        try:
            docs = self.services.docs()
        except FeedbackloopError as error:
            click.echo(f"Google Docs: skipped: {str(error).splitlines()[0]}")
            for work in works:
                self.fail(work.record, error)
            return
        if docs is None:
            return
        from feedbackloop.services.gdocs import StaleRevision, entry_batch

        doc_id = self.settings.google_doc_id
        records = [self.records[w.record.id] for w in works]
        entries = [
            (doc_range_name(r), doc_entry(self.templates, r, self.services.file_url(r.path))) for r in records
        ]
        for _ in range(3):  # a person editing the doc meanwhile makes the batch stale: read it again
            try:
                document = docs.document(doc_id)
                batch, verdicts = entry_batch(document, entries)
                if batch:
                    docs.batch_update(document, batch)
            except StaleRevision:
                continue
            except ServiceError as error:
                self.stop("Google Docs", error, records)
                return
            words = {
                "added": "added the notes to",
                "updated": "updated the notes in",
                "current": "found the notes in",
            }
            for record, verdict in zip(records, verdicts, strict=True):
                self.changes.set(record.path, ("published", "doc"), doc_range_name(record))
                self.published[record.id].add("doc")
                self.note(record, f"{words[verdict]} the Google Doc")
            return
        for record in records:
            self.fail(record, FeedbackloopError("the Google Doc kept changing while it was updated"))

    # -- write-back ------------------------------------------------------------------------------
    def digests(self) -> None:
        """A record whose every service is current gets the digest of what was published.

        A service without credentials may be left out when it has no entry yet: it posts or adds the
        entry whatever the digest says. One that has an entry to rewrite may not: the digest is the
        only thing that would tell a later run to rewrite it."""
        for work in self.works:
            record = self.records[work.record.id]
            planned = self.planned[record.id]
            wanted = {s for s, on in (("slack", planned.slack), ("doc", planned.doc)) if on}
            deferred = {
                s for s, on in (("slack", planned.slack), ("doc", planned.doc)) if on in ("post", "add")
            } & self.unreachable
            needed = wanted - deferred
            if needed and needed <= self.published[record.id] and not self.outcomes[record.id].failed:
                self.changes.set(record.path, ("published", "digest"), digest(record))

    def write_back(self) -> str:
        self.digests()
        if not self.changes:
            return "nothing to write back"
        paths = self.paths()
        touched = [o for o in self.outcomes.values() if paths[o.record_id] in self.changes.paths]
        summary = "; ".join(f"{o.record_id} ({', '.join(_short(d) for d in o.done)})" for o in touched)
        message = f"feedbackloop publish: {len(touched)} record{'s' * (len(touched) != 1)}\n\n{summary}\n"
        github = self.services.github()
        if github is None:
            written = write_files(self.context.root, self.changes)
        else:
            local = checked_out(self.context.root, self.context.env)
            written = commit_changes(
                github,
                self.services.repository,
                self.settings.branch,
                self.context.root,
                self.changes,
                message,
                local,
            )
        if written.skipped:
            click.echo(
                f"could not write back to {', '.join(written.skipped)}: they changed; the next run retries"
            )
        return f"wrote back {len(written.paths)} file{'s' * (len(written.paths) != 1)} ({written.where})"

    # -- the pull requests that added the interviews ----------------------------------------------
    def comment_on_pull_requests(self) -> None:
        """Each merged pull request that added a record published here gets one comment with the links.

        The pull request is found from the commit that added the record's file, not from the commit
        this run checked out: when pushes come fast, one run publishes several pull requests' records
        (the concurrency group keeps only the newest pending run). Made before the write-back, so a
        run killed in between finds its comment, and one killed before it makes it."""
        env = self.context.env
        if env.get("GITHUB_EVENT_NAME") != "push":
            return
        done = [o for o in self.outcomes.values() if o.links]
        github = self.services.github()
        if not done or github is None:
            return
        repo = self.services.repository
        head = checked_out(self.context.root, env)
        paths = self.paths()
        commits: dict[str, list[Outcome]] = {}
        added: set[str] = set()  # the commits known to have added a record's file (not the fallback)
        for outcome in done:
            found = adding_commit(self.context.root, paths[outcome.record_id])
            commit = found or head
            if commit:
                commits.setdefault(commit, []).append(outcome)
                added |= {commit} if found else set()
        pulls: dict[int, list[Outcome]] = {}
        records = self.known()
        linked: set[str] = set()
        for commit, outcomes in commits.items():
            for pull in github.pulls_for_commit(repo, commit):
                if not pull.merged:
                    continue
                pulls.setdefault(pull.number, []).extend(outcomes)
                for outcome in outcomes if commit in added else ():
                    # The record keeps the pull request that added it: forget scrubs its text.
                    record = records.get(outcome.record_id)
                    if record is not None and not record.published.pull_request and record.id not in linked:
                        self.changes.set(record.path, ("published", "pull_request"), pull.url)
                        linked.add(record.id)
        for number, outcomes in sorted(pulls.items()):

            def commented(number: int = number) -> bool:
                return any(
                    kind == "pull-request"
                    for c in github.comments(repo, number)
                    for kind, _ in markers(c.body)
                )

            if commented():
                continue
            lines = [
                f"- `{o.record_id}`: " + ", ".join(f"[{github_inline(t)}]({u})" for t, u in o.links)
                for o in outcomes
            ]
            body = (
                "**Published by feedbackloop**\n\n"
                + "\n".join(lines)
                + "\n\n"
                + marker("pull-request", key=f"publish#{number}")
            )
            try:
                github.create_comment(repo, number, body)
            except Ambiguous:
                if not commented():  # it may have been made: look before making it again
                    github.create_comment(repo, number, body)

    # -- one run at a time ----------------------------------------------------------------------
    def lock(self) -> Lock | None:
        """The publish lock (see feedbackloop.lock); None without GitHub, or when GitHub fails (the
        workflow's concurrency group still keeps its runs apart). Raises Held when another run has it."""
        github = self.services.github()
        if github is None:
            return None
        context, repo = self.context, self.services.repository
        try:
            return take(github, repo, self.settings.branch, context.root, context.env, context.now())
        except ServiceError as error:
            click.echo(f"GitHub: could not take the publish lock, going on without it: {_first(error)}")
            self.unlocked = True
            return None

    # -- rewards and the calendar ------------------------------------------------------------------
    def outcome(self, record_id: str) -> Outcome:
        return self.outcomes.setdefault(record_id, Outcome(record_id))

    def rewards(self) -> None:
        """Pending merch rewards, when `rewards_on_publish` is set (see `feedbackloop reward`)."""
        if not self.exclusive or not self.rewards_due:
            return
        from feedbackloop.commands.reward import issue_rewards

        for result in issue_rewards(self.context, self.services, self.all_records, self.changes):
            outcome = self.outcome(result.record_id)
            if result.done:
                outcome.done.append(result.done)
            if result.failed:
                outcome.failed.append(result.failed)
                # Now, not only in the report after the write-back: once the card is recorded, no run
                # says again that its code was lost, so a run that dies writing it back must have.
                click.echo(f"{result.record_id}: reward: {result.failed}")
            if result.next_step:
                click.echo(f"{result.record_id}: next: {result.next_step}")

    def calendar(self) -> None:
        """Scheduled calls on the shared calendar, moved when their date or time changed."""
        from feedbackloop.calendar_sync import sync_calendar

        for result in sync_calendar(self.context, self.services, self.all_records, self.changes):
            outcome = self.outcome(result.record_id)
            if result.failed:
                outcome.failed.append(f"calendar: {result.line()}")
            elif result.done:
                outcome.done.append(f"calendar: {result.line()}")
                if result.link:
                    outcome.links.append(("calendar event", result.link))

    # -- the whole run ---------------------------------------------------------------------------
    @property
    def rewards_due(self) -> bool:
        """Rewards this run issues: not without Shopify (publish.yml's rewards job has its token)."""
        return (
            self.settings.rewards_on_publish
            and shopify_configured(self.context.env)
            and bool(pending_merch(self.all_records))
        )

    @property
    def exclusive(self) -> bool:
        """Is there work two runs at once could double? Calendar events carry their own ids; issues,
        messages, doc entries and gift cards do not."""
        return bool(self.works) or self.rewards_due

    def run(self) -> int:
        try:
            lock = self.lock() if self.exclusive else None
        except Held as held:
            line = (
                f"another publish is running ({held.theirs.describe()}): this run stopped before doing "
                f"anything; run it again once that one is done (a lock older than "
                f"{LEASE.seconds // 60} minutes is taken over)"
            )
            click.echo(line)
            actions.summary(self.context.env, f"### Not published\n\n{line}")
            return FAILED
        try:
            written = self.publish()
        finally:
            try:
                if (lock is not None or self.unlocked) and (github := self.services.github()) is not None:
                    free(github, self.services.repository, self.context.env, lock, self.context.now())
            except ServiceError as error:
                click.echo(f"GitHub: could not release the publish lock: {_first(error)}")
                # Left in place, it stops every other publish until its lease runs out: say so, and
                # fail, so the job is re-run (a later attempt of this run takes it over and frees it).
                self.lock_left = (
                    "the publish lock is left behind: re-run this job to free it (other runs wait for it "
                    f"up to {LEASE.seconds // 60} minutes)"
                )
        return self.report(written)

    def publish(self) -> str:
        """Every effect, then the write-back; what was written back, in words."""
        self.issues()
        self.slack()
        self.doc()
        self.rewards()
        self.calendar()
        try:
            self.comment_on_pull_requests()
        except ServiceError as error:
            failure = f"the pull request comment: {_first(error)} (a re-run of this job makes it)"
            for outcome in self.outcomes.values():
                if outcome.links:
                    outcome.failed.append(failure)
        try:
            written = self.write_back()
        except ServiceError as error:
            written = f"write-back failed: {_first(error)}"
            for outcome in self.outcomes.values():
                outcome.failed.append(written)
        return written

    def report(self, written: str) -> int:
        for outcome in self.outcomes.values():
            state = "FAILED " if outcome.failed else ""
            done = "; ".join(outcome.done) or "nothing done"
            click.echo(f"{state}{outcome.record_id}: {done}")
            for failure in outcome.failed:
                click.echo(f"  to retry: {failure}")
        for line in (self.stopped, self.lock_left):
            if line:
                click.echo(line)
        click.echo(written)
        click.echo(self.context.budget.line())
        actions.summary(self.context.env, self.job_summary(written))
        failed = any(o.failed for o in self.outcomes.values()) or bool(self.stopped or self.lock_left)
        return FAILED if failed else OK

    def job_summary(self, written: str) -> str:
        rows = []
        for outcome in self.outcomes.values():
            links = ", ".join(f"[{github_inline(t)}]({u})" for t, u in outcome.links) or "·"
            state = "❌ " + _cell("; ".join(outcome.failed)) if outcome.failed else "✅"
            rows.append(
                f"| `{outcome.record_id}` | {_cell('; '.join(outcome.done)) or '·'} | {links} | {state} |"
            )
        table = "| interview | done | links | |\n|---|---|---|---|\n" + "\n".join(rows)
        left = f"\n\n❌ {self.lock_left}" if self.lock_left else ""
        return f"### Published\n\n{table}\n\n{written}. {self.context.budget.line()}{left}"


def _first(error: Exception) -> str:
    return str(error).splitlines()[0]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _short(done: str) -> str:
    return done.split(" http")[0]


def print_plan(context: Context, works: list[Work]) -> None:
    """Everything publish would send, without sending it (no request is made)."""
    services = Services(context)
    templates = context.root / context.settings.templates_dir
    settings = context.settings
    for work in works:
        record = work.record
        click.echo(f"\n=== {record.id}: {work.describe()}")
        url = services.file_url(record.path)
        for index in work.new_issues:
            request = record.requests[index]
            labels = [settings.issue_label, *settings.extra_labels, request_label(request, settings)]
            body = issue_body(
                templates,
                record,
                request,
                url,
                marker("request", id=record.id, key=request_key(record, index)),
            )
            click.echo(f"--- issue: {request.title}  [labels: {', '.join(labels)}]\n{body}")
        for index in work.evidence:
            request = record.requests[index]
            click.echo(f"--- evidence comment on {request.issue}")
        if work.slack:
            _, blocks = slack_message(templates, record, settings, url)
            verb = "post to" if work.slack == "post" else "update in"
            click.echo(f"--- Slack: {verb} {settings.slack_channel}")
            click.echo(json.dumps(blocks, indent=2, ensure_ascii=False))
        if work.doc:
            verb = "append to" if work.doc == "add" else "rewrite in"
            click.echo(f"--- Google Doc: {verb} {settings.google_doc_id} as {doc_range_name(record)}")
            click.echo(doc_entry(templates, record, url))


def run(context: Context, dry_run: bool, only: str | None, include_examples: bool) -> int:
    repository = context.repository
    broken = {p.path for p in repository.problems if p.severity == "error"}
    records = [r for r in repository.active(include_examples or None) if r.path not in broken]
    if only is not None:
        records = [repository.record(only)]
        if records[0].path in broken:
            raise FeedbackloopError(f"{only} has problems", f"run `feedbackloop validate {records[0].path}`")
    for path in sorted(broken):
        click.echo(f"skipped {path}: it has problems (run `feedbackloop validate {path}`)")
    works = plan(records, context.settings)
    calls = calendar_calls(context, records)
    rewards = [r.id for r in pending_merch(records)]
    if not context.settings.rewards_on_publish:
        rewards = []
    if rewards and not shopify_configured(context.env) and not dry_run:
        # publish.yml issues them in a job of its own, the one whose environment holds the Shopify token:
        # this output starts it (and asks for its approval, when the team requires one) only when due.
        click.echo(
            f"{len(rewards)} pending merch reward{'s' * (len(rewards) != 1)} wait for Shopify: "
            "`feedbackloop reward --pending` where its token is (publish.yml's rewards job)"
        )
        actions.output(context.env, "rewards", "true")
        rewards = []
    if not works and not calls and not rewards:
        click.echo("Nothing to publish.")
        return OK
    if dry_run:
        click.echo(f"Would publish {len(works)} record{'s' * (len(works) != 1)} (dry run: nothing is sent):")
        print_plan(context, works)
        if rewards:
            click.echo(f"\n--- rewards: would issue merch gift cards for {', '.join(rewards)}")
        if calls:
            calendar = context.settings.google_calendar_id
            click.echo(f"\n--- calendar: would check {len(calls)} scheduled call(s) on {calendar}")
        return OK
    publisher = Publisher(context, works, records)
    if not publisher.works and not calls and not publisher.rewards_due:
        click.echo(
            f"Nothing to publish: {len(works)} record{'s' * (len(works) != 1)} wait for the skipped services."
        )
        return OK
    return publisher.run()
