"""`feedbackloop forget PROFILE_OR_ID`: an erasure request. The person's data leaves every record, and
what was published about them is edited or removed: the issues' profile lines and the evidence comments
scrubbed, the Slack summary deleted, the doc entry removed, the gift card's note cut to its key, the
calendar event cancelled. Each step is idempotent, so a run that stopped half way is simply run again.

What intake made is followed too. A record intake holds in an open pull request (a scheduled call's
stub, a note waiting for review) lives on that pull request's branch only: intake's open pull requests
are listed once, and the file each names is read on its branch. Such a record is scrubbed where it is,
on its branch (its pull request stays open: it may hold the team's notes and the person's requests,
which outlive the erasure as they do in a merged record), the pull request's title and body scrubbed,
its call taken off the calendar. The issue a form was filed with holds every answer about the person:
its body is replaced by a line saying they were removed, its title and intake's comment scrubbed. A
merged record leads there by its links (a note's "Shared with the issue form: <url>", an interview's
`published.pull_request`).

A commit cannot change history: the steps to purge the person from it are printed at the end. The log
names records by id only.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from feedbackloop import actions
from feedbackloop.commands.connect import Services
from feedbackloop.context import Context
from feedbackloop.errors import FAILED, OK, FeedbackloopError, UsageError
from feedbackloop.git import checked_out
from feedbackloop.ledger import Changes, commit_changes, write_files
from feedbackloop.plan import intake as intake_plan
from feedbackloop.plan.ledger import day_start
from feedbackloop.plan.publish import MARKER, doc_range_name, markers, request_key
from feedbackloop.records.model import Interview, Key, Person, Record, profile_key
from feedbackloop.records.parse import parse
from feedbackloop.records.rules import GITHUB_ISSUE
from feedbackloop.records.writeback import BODY, DELETE
from feedbackloop.services.retry import ServiceError

if TYPE_CHECKING:
    from feedbackloop.calendar_sync import CalendarSync
    from feedbackloop.services.github import GitHub, Issue, PullRequest
    from feedbackloop.services.shopify import Shopify

REMOVED = "[removed at the person's request]"
PERSON_FIELDS = ("first_name", "profile", "company", "role", "technical")


@dataclass(frozen=True)
class Staged:
    """A record intake holds in an open pull request: on that pull request's branch, not on main."""

    pull: PullRequest
    issue: int  # the issue the form was filed with
    path: str
    record: Record | None  # None: the file cannot be read
    text: str


@dataclass
class Erasure:
    """What forgetting one person does, decided before anything is touched."""

    records: list[Record]
    values: list[str]  # the person's data as it appears in published text, longest first
    staged: list[Staged] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # files with problems that hold one of the values
    log: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @functools.cached_property
    def pattern(self) -> re.Pattern[str] | None:
        """Every value at once, longest first, as a whole word where it starts or ends with one."""
        if not self.values:
            return None
        return re.compile(
            "|".join(
                ("(?<!\\w)" if re.match(r"\w", value) else "")
                + re.escape(value)
                + ("(?!\\w)" if re.search(r"\w\Z", value) else "")
                for value in sorted(self.values, key=len, reverse=True)
            )
        )

    def scrubbed(self, **texts: str) -> dict[str, str]:
        """Of the named texts (an issue's title and body, say), those that hold the person, scrubbed."""
        found = {name: self.scrub(text) for name, text in texts.items()}
        return {name: text for name, text in found.items() if text != texts[name]}

    def scrub(self, text: str) -> str:
        """`text` without the person's values, in one pass (a value inside the replacement stays). The
        hidden markers stay as they are: they are keys, not data, even when an id holds a first name."""
        if self.pattern is None:
            return text
        pattern, out, at = self.pattern, [], 0
        for found in MARKER.finditer(text):
            out += [pattern.sub(REMOVED, text[at : found.start()]), found.group()]
            at = found.end()
        return "".join([*out, pattern.sub(REMOVED, text[at:])])


def _unless_gone(github: GitHub, repo: str, number: int, gone: tuple[int, ...] = (404, 410)) -> Issue | None:
    """The issue (or pull request), or None when GitHub answers one of `gone`: deleted, nothing to scrub."""
    try:
        return github.get_issue(repo, number)
    except ServiceError as error:
        if error.status in gone:
            return None
        raise


def staged_records(services: Services) -> list[Staged]:
    """The records in intake's open pull requests: one listing of the open pull requests, and one read
    of the file each of intake's names (on its branch). None without GitHub."""
    github = services.github()
    if github is None:
        return []
    repo = services.repository
    found = []
    for pull in github.open_pulls(repo):
        named = intake_plan.pull_file(pull.body)
        if named is None or not pull.head.startswith(intake_plan.BRANCH_PREFIX):
            continue
        issue, path = named
        text = github.file_text(repo, path, pull.head)
        if text is None:
            continue
        record = parse(text, path).record
        found.append(Staged(pull, issue, path, record, text))
    return found


def find_person(context: Context, who: str, pending: list[Staged] | None = None) -> Erasure:
    """Every record of the person `who` names: the record of that id and every other with its profile
    link, or every record with that profile link; on main, and in intake's open pull requests."""
    repository = context.repository
    records = repository.records
    readable = [s for s in pending or () if s.record is not None]
    by_id = next((r for r in [*records, *(s.record for s in readable)] if r and r.id == who), None)
    profile = by_id.user.profile if by_id else who
    key = profile_key(profile) if profile else ""

    def theirs(record: Record) -> bool:
        """The person's record: the one named by id, or one whose profile link is theirs however
        it is written (a trailing slash, a query, capitals in the host)."""
        return record is by_id or bool(
            key and record.user.profile and profile_key(record.user.profile) == key
        )

    chosen = [r for r in records if theirs(r)]
    staged = [s for s in readable if s.record is not None and theirs(s.record)]
    if not chosen and not staged:
        forgotten = sum(1 for r in records if r.forgotten)
        already = (
            f" ({forgotten} record{'s' * (forgotten != 1)} were forgotten already: they hold no profile link)"
            if forgotten
            else ""
        )
        raise UsageError(
            f"no record has this id or profile link{already}",
            "pass an interview id, or the person's profile link as the records hold it",
        )
    values: set[str] = set()
    for record in [*chosen, *(s.record for s in staged if s.record is not None)]:
        user = record.user
        values.update(v for v in (user.first_name, user.profile, user.company, user.role) if v)
    erasure = Erasure(chosen, sorted(values, key=len, reverse=True), staged)
    # A file that cannot be read is no record, but may hold the person all the same.
    for path, text in repository.unreadable_texts().items():
        if erasure.pattern is not None and erasure.pattern.search(text):
            erasure.unreadable.append(path)
    for broken in pending or ():
        if broken.record is None and erasure.pattern is not None and erasure.pattern.search(broken.text):
            erasure.unreadable.append(f"{broken.path} (on {broken.pull.head})")
    return erasure


def free_text(record: Record) -> list[tuple[Key, str | None]]:
    """The record's free text fields, where a teammate may have written the person's name or company."""
    found: list[tuple[Key, str | None]] = []
    if isinstance(record, Interview):
        found += [(("topic",), record.topic), (("summary",), record.summary)]
        for index, question in enumerate(record.questions):
            found += [(("questions", index, "question"), question.question)]
            found += [(("questions", index, "answer"), question.answer)]
    else:
        found.append((("feedback",), record.feedback))
    for index, request in enumerate(record.requests):
        found += [
            (("requests", index, "title"), request.title),
            (("requests", index, "details"), request.details),
        ]
    return found


def record_changes(record: Record, context: Context, changes: Changes, erasure: Erasure) -> None:
    """The file's part: the person's fields, the recording, the person's values wherever the free text
    holds them, the notes (unless settings say they hold no personal data), and the ledger of what was
    published about them."""
    path = record.path
    for name in PERSON_FIELDS:
        if getattr(record.user, name) is not None:
            changes.set(path, ("user", name), DELETE)
    for key, value in free_text(record):
        scrubbed = erasure.scrub(value or "")
        if value and scrubbed != value:
            changes.set(path, key, scrubbed)
    if record.user.forgotten_on is None:
        changes.set(path, ("user", "forgotten_on"), context.today)
    if isinstance(record, Interview):
        for name in ("url", "title"):
            if getattr(record.recording, name):
                changes.set(path, ("recording", name), DELETE)
    if context.settings.body_has_personal_data and record.notes.strip() != _removed_notes(context).strip():
        changes.set(path, BODY, _removed_notes(context))
    ledger = ("slack", "doc", "digest", "calendar")
    if any(getattr(record.published, name) for name in ledger):
        if record.published.pull_request:  # the intake pull request's link stays: it names no one
            for name in ledger:
                if getattr(record.published, name):
                    changes.set(path, ("published", name), DELETE)
        else:
            changes.set(path, ("published",), DELETE)  # not an empty `published:` left behind


def _removed_notes(context: Context) -> str:
    return f"Notes removed on {context.today.isoformat()} at the person's request.\n"


class Forgetter:
    def __init__(self, context: Context, erasure: Erasure, services: Services | None = None) -> None:
        self.context = context
        self.erasure = erasure
        self.services = services or Services(context)

    def step(self, what: str, action: Callable[[], str | None]) -> None:
        """Run one erasure step; a failure is noted and the others still run."""
        try:
            done = action()
        except (ServiceError, FeedbackloopError) as error:
            self.erasure.failures.append(f"{what}: {str(error).splitlines()[0]}")
            return
        if done:
            self.erasure.log.append(done)

    # -- GitHub: issue bodies and evidence comments -----------------------------------------------
    def issues(self) -> None:
        records = self.erasure.records
        linked = [(r, i, q) for r in records for i, q in enumerate(r.requests) if q.issue]
        unlinked = {request_key(r, i): r for r in records for i, q in enumerate(r.requests) if not q.issue}
        if not linked and not unlinked:
            return
        github = self.services.github()
        if github is None:
            self.erasure.failures.append("issues and comments were not edited: GitHub is not configured")
            return
        if unlinked:  # a publish run may have filed them and stopped before writing their links back
            self.step(
                "the issues filed without a link back", functools.partial(self.unlinked, github, unlinked)
            )
        for record, index, request in linked:
            found = GITHUB_ISSUE.fullmatch(request.issue or "")
            if found is None:
                continue
            repo, number = found[1], int(found[2])
            # An issue publish filed is its own evidence; any other (set by hand, whether the link of
            # our comment on it was written back or not) holds the person in our comment.
            if request.evidence == request.issue:
                action = functools.partial(self.scrub_issue, github, record, repo, number)
            else:
                action = functools.partial(self.scrub_comment, github, record, index, repo, number)
            self.step(f"{record.id}: {repo}#{number}", action)

    def unlinked(self, github: GitHub, unlinked: dict[str, Record]) -> str | None:
        """Issues filed for requests whose records hold no link: found by their marker (one listing)."""
        since = day_start(min(r.date for r in unlinked.values()))
        label = self.context.settings.issue_label
        done = []
        for issue in github.labeled_issues(self.services.issues_repository, label, since=since):
            keys = [fields.get("key") for kind, fields in markers(issue.body) if kind == "request"]
            if any(key in unlinked for key in keys) and self.scrubbed(github, issue):
                done.append(f"{issue.repo}#{issue.number}")
        return (
            f"scrubbed {', '.join(done)}, filed by a run that did not write its links back" if done else None
        )

    def scrub_comment(self, github: GitHub, record: Record, index: int, repo: str, number: int) -> str | None:
        key = request_key(record, index)
        for comment in github.comments(repo, number, since=day_start(record.date)):
            if any(kind == "evidence" and fields.get("key") == key for kind, fields in markers(comment.body)):
                scrubbed = self.erasure.scrub(comment.body)
                if scrubbed != comment.body:
                    github.edit_comment(repo, comment.id, scrubbed)
                    return f"{record.id}: scrubbed the evidence comment on {repo}#{number}"
        return None

    def scrub_issue(self, github: GitHub, record: Record, repo: str, number: int) -> str | None:
        issue = _unless_gone(github, repo, number, gone=(410,))  # a 404 here is no access: say so
        if issue is None:
            return None
        return f"{record.id}: scrubbed {repo}#{number}" if self.scrubbed(github, issue) else None

    def scrubbed(self, github: GitHub, issue: Issue) -> bool:
        """Edit the issue's body and title where they hold the person's values; False: nothing to do."""
        fields = self.erasure.scrubbed(body=issue.body, title=issue.title)
        if fields:
            github.edit_issue(issue.repo, issue.number, **fields)
        return bool(fields)

    # -- what intake made: the forms' issues, intake's pull requests --------------------------------
    def intake(self) -> None:
        """The issues the person's forms were filed with, and intake's pull requests: found in the open
        ones listed (records on their branches) and by the links merged records carry."""
        erasure = self.erasure
        notes = [
            (r, intake_plan.form_issue_url(r.notes)) for r in erasure.records if not isinstance(r, Interview)
        ]
        linked_notes = [(r, found) for r, url in notes if url and (found := GITHUB_ISSUE.fullmatch(url))]
        pulls = [
            (r, found)
            for r in erasure.records
            if isinstance(r, Interview) and (found := GITHUB_ISSUE.fullmatch(r.published.pull_request or ""))
        ]
        if not erasure.staged and not linked_notes and not pulls:
            return
        github = self.services.github()
        if github is None:
            erasure.failures.append("the issue forms were not edited: GitHub is not configured")
            return
        repo = self.services.repository
        for staged in erasure.staged:
            what = staged.record.id if staged.record else staged.path
            self.step(
                f"{what}: pull request #{staged.pull.number}",
                functools.partial(self.scrub_pull, github, repo, staged.pull, what),
            )
            self.step(
                f"{what}: {repo}#{staged.issue}",
                functools.partial(self.scrub_form, github, repo, staged.issue, what),
            )
        for note, found in linked_notes:
            where, number = found[1], int(found[2])
            self.step(
                f"{note.id}: {where}#{number}",
                functools.partial(self.scrub_form, github, where, number, note.id),
            )
            if where == repo:  # the pull request it was recorded by, when notes go by pull request
                self.step(
                    f"{note.id}: the pull request of {where}#{number}",
                    functools.partial(self.scrub_note_pull, github, repo, number, note.id),
                )
        for interview, found in pulls:
            where, number = found[1], int(found[2])
            self.step(
                f"{interview.id}: pull request {where}#{number}",
                functools.partial(self.scrub_merged_pull, github, where, number, interview),
            )

    def scrub_pull(self, github: GitHub, repo: str, pull: PullRequest, what: str) -> str | None:
        fields = self.erasure.scrubbed(title=pull.title, body=pull.body)
        if not fields:
            return None
        github.edit_pull(repo, pull.number, **fields)
        return f"{what}: scrubbed pull request #{pull.number}"

    def scrub_note_pull(self, github: GitHub, repo: str, issue: int, what: str) -> str | None:
        pull = github.find_pull(repo, repo.split("/")[0], intake_plan.branch_name(issue))
        return self.scrub_pull(github, repo, pull, what) if pull is not None else None

    def scrub_merged_pull(self, github: GitHub, repo: str, number: int, interview: Interview) -> str | None:
        """The pull request that added the interview: its text scrubbed; and, only when it is intake's
        pull request for this very file (its marker says so), the form it came from. A teammate's
        "Closes #42" names an issue about something else."""
        what = interview.id
        pull = _unless_gone(github, repo, number)  # a pull request is an issue: its title and body
        if pull is None:
            return None
        done = [f"{what}: scrubbed pull request {repo}#{number}"] if self.scrubbed(github, pull) else []
        found = intake_plan.pull_file(pull.body)
        if found is not None and found[1] == interview.path:
            done += [line for line in [self.scrub_form(github, repo, found[0], what)] if line]
        return "; ".join(done) or None

    def scrub_form(self, github: GitHub, repo: str, number: int, what: str) -> str | None:
        """The issue a form was filed with: every answer is about the person, so the body becomes a line
        saying they were removed; the title is scrubbed, and intake's comment (which quotes answers
        that were wrong)."""
        issue = _unless_gone(github, repo, number)
        if issue is None:
            return None
        fields = self.erasure.scrubbed(title=issue.title)
        if not intake_plan.is_forgotten_form(issue.body):
            kept = "".join(f"\n\n{found.group()}" for found in MARKER.finditer(issue.body))
            fields["body"] = intake_plan.forgotten_form(self.context.today) + kept
        if fields:
            github.edit_issue(repo, number, **fields)
        comments = 0
        for comment in github.comments(repo, number):
            if intake_plan.find_marker(comment.body, "intake", number) is None:
                continue
            scrubbed = self.erasure.scrub(comment.body)
            if scrubbed != comment.body:
                github.edit_comment(repo, comment.id, scrubbed)
                comments += 1
        if not fields and not comments:
            return None
        return f"{what}: removed the form's answers from {repo}#{number}"

    def write_staged(self) -> None:
        """The records in intake's open pull requests, scrubbed on their branches (one commit each)."""
        github = self.services.github()
        if not self.erasure.staged or github is None:
            return
        for staged in self.erasure.staged:
            if staged.record is None:
                continue
            changes = Changes()
            record_changes(staged.record, self.context, changes, self.erasure)
            message = f"feedbackloop forget: erase a person from {staged.record.id}\n"
            branch = staged.pull.head
            try:
                written = commit_changes(
                    github, self.services.repository, branch, self.context.root, changes, message, None
                )
            except (ServiceError, FeedbackloopError) as error:
                self.erasure.failures.append(f"{branch}: {str(error).splitlines()[0]}")
                continue
            if written.paths:
                self.erasure.log.append(f"{staged.record.id}: scrubbed on {branch} ({written.where})")
            if written.skipped:
                self.erasure.failures.append(f"could not write back {', '.join(written.skipped)} on {branch}")

    # -- Slack -------------------------------------------------------------------------------------
    def slack(self) -> None:
        channel = self.context.settings.slack_channel
        if not channel:
            return
        slack = self.services.slack()
        if slack is None:
            self.erasure.failures.append("the Slack summaries were not deleted: SLACK_BOT_TOKEN is not set")
            return
        from feedbackloop.services.slack import EVENT_TYPE, ts_from_permalink

        ids = {r.id for r in self.erasure.records}
        if not ids:  # only on intake's branches: nothing of theirs was published yet
            return
        oldest = day_start(min(r.date for r in self.erasure.records))

        def delete() -> str | None:
            # The summaries the ledger links to, and any a stopped run posted without writing its link
            # back (found by metadata); only those still there, so a re-run deletes nothing.
            linked = {ts_from_permalink(r.published.slack or "") for r in self.erasure.records}
            present = set()
            targets: set[tuple[str, str]] = set()
            for message in slack.history(channel, oldest.timestamp()):
                present.add(message.ts)
                payload = message.metadata.get("event_payload") or {}
                if message.metadata.get("event_type") == EVENT_TYPE and payload.get("id") in ids:
                    targets.add((channel, message.ts))
            for target in linked:
                if target is not None and (target[0] != channel or target[1] in present):
                    targets.add(target)  # (in another channel: the setting changed since; not listed)
            for target in sorted(targets):
                slack.delete(*target)
            count = len(targets)
            return f"deleted {count} Slack summar{'ies' if count != 1 else 'y'}" if count else None

        self.step("the Slack summaries", delete)

    # -- the Google Doc ----------------------------------------------------------------------------
    def doc(self) -> None:
        if not self.context.settings.google_doc_id:
            return

        def remove() -> str | None:
            docs = self.services.docs()
            if docs is None:
                raise FeedbackloopError("the doc entries were not removed: no Google credentials")
            from feedbackloop.services.gdocs import StaleRevision, delete_requests

            for _ in range(3):  # a person editing the doc meanwhile makes the batch stale: read it again
                document = docs.document(self.context.settings.google_doc_id)
                entries: list[tuple[int, int, str]] = []
                for record in self.erasure.records:
                    span = document.span(doc_range_name(record))
                    if span is not None:
                        entries.append((*span, doc_range_name(record)))
                # From the last entry to the first: no deletion moves the index of one still to delete.
                batch = [
                    request for entry in sorted(entries, reverse=True) for request in delete_requests(*entry)
                ]
                if not batch:
                    return None
                try:
                    docs.batch_update(document, batch)
                except StaleRevision:
                    continue
                return f"removed {len(entries)} doc entr{'ies' if len(entries) != 1 else 'y'}"
            raise FeedbackloopError("the Google Doc kept changing while its entries were removed")

        self.step("the Google Doc entries", remove)

    # -- Shopify and the calendar --------------------------------------------------------------------
    def gift_cards(self) -> None:
        """Cut each card's note to its key. The store's cards since the first call are listed once: a
        card a run created without writing it back is found by its note, and a note already cut is
        left alone (a re-run writes nothing)."""
        from feedbackloop.commands.reward import shopify_configured

        interviews = [r for r in self.erasure.records if isinstance(r, Interview)]
        rewarded = [r for r in interviews if r.reward.card or r.reward.kind == "merch"]
        if not rewarded:
            return
        env = self.context.env
        if not shopify_configured(env):
            if any(r.reward.card for r in rewarded):
                self.erasure.failures.append("the gift cards' notes were not cut: Shopify is not configured")
            return
        from feedbackloop.services.shopify import Shopify as Client

        shopify = Client(
            env.get("SHOPIFY_ADMIN_TOKEN"),
            env.shopify_api_url(self.context.settings.shopify_api_version),
            self.context.policy,
            self.context.budget,
        )
        self.step("the gift cards' notes", functools.partial(self.cut_notes, shopify, rewarded))

    @staticmethod
    def cut_notes(shopify: Shopify, rewarded: list[Interview]) -> str | None:
        from feedbackloop.plan.reward import card_note, lookup_since, note_id

        keys = {r.id: card_note(dataclasses.replace(r, user=Person())) for r in rewarded}  # the key alone
        notes = {card.id: card.note for card in shopify.gift_cards_since(lookup_since(rewarded)).cards}
        wanted = {card: keys[r.id] for r in rewarded if (card := r.reward.card)}
        for card, note in notes.items():
            found = note_id(note)
            if found in keys:
                wanted.setdefault(card, keys[found])
        cut = [card for card, key in wanted.items() if notes.get(card, "") != key]
        for card in cut:
            shopify.set_note(card, wanted[card])  # False: the card is gone, and its note with it
        return f"cut {len(cut)} gift card note{'s' * (len(cut) != 1)} to the key" if cut else None

    def calendar(self) -> None:
        if not self.context.settings.google_calendar_id:
            return
        from feedbackloop.calendar_sync import CalendarSync as Sync
        from feedbackloop.plan.calendar import event_id

        sync = Sync(self.context, self.services)
        staged = [s.record for s in self.erasure.staged if s.record is not None]
        for record in [*self.erasure.records, *staged]:
            if isinstance(record, Interview):
                event = record.published.calendar or event_id(record.id)
                self.step(
                    f"{record.id}: the calendar event", functools.partial(self.cancel, sync, record.id, event)
                )

    def cancel(self, sync: CalendarSync, record_id: str, event: str) -> str | None:
        client = sync.client()
        if client is None:
            raise FeedbackloopError("the calendar event was not removed: no Google credentials")
        calendar = self.context.settings.google_calendar_id
        existing = client.get(calendar, event)
        if existing is None:
            return None
        # Google keeps a deleted event, cancelled, with its title: clear what names the person first,
        # and the guests who are not the team (the person, added by hand).
        team = {t.email.casefold() for t in self.context.settings.team if t.email}
        guests = [a for a in existing.get("attendees") or () if isinstance(a, dict)]
        kept = [a for a in guests if str(a.get("email", "")).casefold() in team]
        patch: dict[str, Any] = {
            k: v
            for k, v in {"summary": "User interview", "description": ""}.items()
            if (existing.get(k) or "") != v
        }
        if len(kept) != len(guests):
            patch["attendees"] = kept
        ours = dict((existing.get("extendedProperties") or {}).get("private") or {})
        if ours.get("title", "User interview") != "User interview":  # the title we gave it, kept to compare
            patch["extendedProperties"] = {"private": {**ours, "title": "User interview"}}
        if patch:
            client.patch(calendar, event, {**patch, "status": existing.get("status", "confirmed")})
        if existing.get("status") != "cancelled":
            client.delete(calendar, event)
        elif not patch:
            return None
        return f"{record_id}: removed from the calendar"

    # -- the files -----------------------------------------------------------------------------------
    def write_back(self, changes: Changes) -> None:
        if not changes:
            return
        ids = ", ".join(sorted(r.id for r in self.erasure.records))
        message = f"feedbackloop forget: erase a person from {ids}\n"
        github = self.services.github()
        try:
            if github is None:
                written = write_files(self.context.root, changes)
            else:
                local = checked_out(self.context.root, self.context.env)
                written = commit_changes(
                    github,
                    self.services.repository,
                    self.context.settings.branch,
                    self.context.root,
                    changes,
                    message,
                    local,
                )
        except (ServiceError, FeedbackloopError) as error:
            self.erasure.failures.append(f"write-back: {str(error).splitlines()[0]}")
            return
        self.erasure.log.append(f"wrote back {len(written.paths)} file(s) ({written.where})")
        if written.skipped:
            self.erasure.failures.append(f"could not write back {', '.join(written.skipped)}: run again")


HISTORY_STEPS = """\
A commit cannot remove what earlier commits hold. To purge the person from the repository's history:
  1. Write each value to remove (their first name, profile link, company, role) into a file outside
     the repository, one per line as `value==>[removed]` (not on the command line: it would stay in
     your shell history).
  2. In a fresh clone: `pip install git-filter-repo`, then
     `git filter-repo --replace-text ../values.txt --replace-message ../values.txt`.
  3. Force-push every branch (`git push --force --all`), ask everyone to clone again, and ask GitHub
     Support to remove cached views and pull request refs that still hold the old commits.
  4. The records' ids (and file names) keep the first name they were created with: rename them in the
     same rewrite if the name must go too (`git filter-repo --path-rename old:new`).
  5. Branches that are not main hold the person in their commits too, intake's (intake/issue-N) most
     of all: fetch every branch into the fresh clone before the rewrite
     (`git fetch origin '+refs/heads/*:refs/heads/*'`), or delete each branch once its pull request
     is merged or closed.
Edits keep what they replaced elsewhere too:
  - GitHub keeps an issue's or a comment's earlier versions: on each one scrubbed above, open
    "edited" and delete the older revisions (it needs write access to that repository).
  - The Google Doc's version history still holds the removed entries: if it must not, make a copy of
    the doc (a copy has no history) and set `google_doc_id` to it.
  - The recording in your recording tool, the person in PostHog, and the interviewers' direct messages
    are not feedbackloop's: delete them there."""


def run(context: Context, who: str, dry_run: bool) -> int:
    failures = []
    services = Services(context)  # one, so that a service skipped is said once
    try:
        pending = staged_records(services)
    except ServiceError as error:  # the records on main are still forgotten; a re-run does the rest
        pending = []
        failures.append(f"intake's open pull requests were not looked at: {str(error).splitlines()[0]}")
    erasure = find_person(context, who, pending)
    erasure.failures += failures
    changes = Changes()
    for record in erasure.records:
        record_changes(record, context, changes, erasure)
    ids = ", ".join(r.id for r in erasure.records)
    click.echo(f"forgetting the person of {len(erasure.records)} record(s): {ids}")
    if erasure.staged:
        staged = ", ".join(
            f"{s.record.id if s.record else s.path} (#{s.pull.number}, {s.pull.head})" for s in erasure.staged
        )
        click.echo(f"and of {len(erasure.staged)} in intake's open pull request(s): {staged}")
    if dry_run:
        for path in changes.paths:
            keys = [".".join(map(str, k)) or "the notes" for k in changes.by_path[path]]
            click.echo(f"  {path}: remove or reset {', '.join(keys)}")
        for staged_record in erasure.staged:
            click.echo(
                f"  {staged_record.path} on {staged_record.pull.head}: the same, and pull request "
                f"#{staged_record.pull.number}'s title and body"
            )
        click.echo("  and edit or remove what was published: issue bodies, evidence comments, the Slack")
        click.echo(
            "  summaries, the doc entries, gift card notes, calendar events, the forms' issues"
            " (dry run: nothing changed)"
        )
        click.echo("\n" + HISTORY_STEPS)
        return OK
    forgetter = Forgetter(context, erasure, services)
    for path in erasure.unreadable:
        erasure.failures.append(
            f"{path} cannot be read and holds the person's data: fix it (`feedbackloop validate {path}`)"
        )
    forgetter.issues()
    forgetter.slack()
    forgetter.doc()
    forgetter.gift_cards()
    forgetter.calendar()
    forgetter.intake()
    if erasure.failures:
        # The files are how a re-run finds the person and what to scrub (their values, the links):
        # they are erased last, once everything published about the person is.
        erasure.log.append(
            "the files are left as they are until what is listed below is done: they hold what finishing "
            "needs; run this command again once it is fixed"
        )
    else:
        forgetter.write_back(changes)
        forgetter.write_staged()
    for line in erasure.log:
        click.echo(line)
    for failure in erasure.failures:
        click.echo(f"to retry: {failure}")
    click.echo("\n" + HISTORY_STEPS)
    summary = "\n".join(f"- {line}" for line in erasure.log + [f"to retry: {f}" for f in erasure.failures])
    actions.summary(context.env, f"### feedbackloop forget\n\n{summary}")
    return FAILED if erasure.failures else OK
