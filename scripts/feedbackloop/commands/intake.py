"""`feedbackloop intake`: an issue form becomes a draft pull request holding the interview file, or a
feedback note; run by intake.yml when a form's issue is opened or edited.

Everything comes from the event file (`--event`, else $GITHUB_EVENT_PATH), never from the workflow's
expressions, and every answer is checked: GitHub enforces nothing in a private repository's forms.
A form with problems gets one comment saying what to fix, edited in place on the next event and turned
into the good news once the form is fixed. Nothing is created twice: the branch is named after the
issue, the pull request is found by its branch, the comment by a hidden marker; each is looked for
before it is made. An edit of the issue updates the stub only while nobody changed it since intake
wrote it (the pull request's marker holds a digest of what intake wrote).

Logs and the job summary name the issue and the record id, never the person.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from feedbackloop import actions
from feedbackloop.calendar_sync import sync_one, time_zone
from feedbackloop.commands.connect import Services
from feedbackloop.commands.new import interview_stub, slugify
from feedbackloop.context import Context
from feedbackloop.errors import FAILED, OK, FeedbackloopError, UsageError
from feedbackloop.plan import intake as plan
from feedbackloop.plan.calendar import event_id
from feedbackloop.plan.intake import FEEDBACK_FIELDS, INTERVIEW_FIELDS, FormProblem
from feedbackloop.records.model import Interview, Note
from feedbackloop.records.parse import parse
from feedbackloop.records.rules import check_record
from feedbackloop.records.writeback import apply_changes
from feedbackloop.render import render
from feedbackloop.services.retry import Ambiguous, ServiceError

if TYPE_CHECKING:
    from feedbackloop.services.github import Comment, GitHub, PullRequest

ACTIONS = ("opened", "edited")
# Who may turn an issue into a branch and a pull request: people with a say in the repository. In a
# private repository that is everyone who can open an issue; in a public one, not a passer-by.
TRUSTED = ("OWNER", "MEMBER", "COLLABORATOR")
ATTEMPTS = 4
PULL_TEMPLATE = ".github/pull_request_template.md"


@dataclass(frozen=True)
class IssueEvent:
    """The parts of an `issues` event intake reads."""

    action: str
    number: int
    body: str
    labels: tuple[str, ...]
    author: str
    association: str
    state: str
    created_at: datetime
    url: str
    is_pull_request: bool

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> IssueEvent:
        issue = payload.get("issue")
        if not isinstance(issue, dict) or not isinstance(issue.get("number"), int):
            raise UsageError("the event has no issue", "intake runs on `issues` events (intake.yml)")
        created = str(issue.get("created_at") or "1970-01-01T00:00:00Z").replace("Z", "+00:00")
        return cls(
            action=str(payload.get("action") or ""),
            number=issue["number"],
            body=str(issue.get("body") or ""),
            labels=tuple(plan.labels_of(issue)),
            author=str((issue.get("user") or {}).get("login") or ""),
            association=str(issue.get("author_association") or "NONE"),
            state=str(issue.get("state") or "open"),
            created_at=datetime.fromisoformat(created),
            url=str(issue.get("html_url") or ""),
            is_pull_request="pull_request" in issue,
        )


def read_event(context: Context, event_path: Path | None) -> tuple[str, dict[str, Any]]:
    """The event's name and payload, from the file the runner wrote (or the one given)."""
    env = context.env
    path = event_path or (Path(env.get("GITHUB_EVENT_PATH")) if env.get("GITHUB_EVENT_PATH") else None)
    if path is None:
        raise UsageError(
            "no event to read", "pass --event PATH (an `issues` event payload), or run it in intake.yml"
        )
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(
            f"cannot read the event {path}: {error}", "pass the path of an event payload"
        ) from None
    if not isinstance(payload, dict):
        raise UsageError(f"the event {path} is not a JSON object", "pass the path of an event payload")
    name = env.get("GITHUB_EVENT_NAME") or ("issues" if "issue" in payload else "")
    return name, payload


class NoteTaken(Exception):
    """Another issue's note is at the path this one was to take."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class Intake:
    def __init__(self, context: Context, event: IssueEvent) -> None:
        self.context = context
        self.settings = context.settings
        self.event = event
        self.number = event.number
        self.services = Services(context)
        self._github: GitHub | None = None
        self._comment: Comment | None = None
        self._comment_read = False
        self.heads: dict[str, str] = {}  # branch heads read for the note's path, once a run
        self.lines: list[str] = []

    # -- plumbing ----------------------------------------------------------------------------------
    def say(self, line: str) -> None:
        """A line for the log and the job summary: the issue number and the record id, never the person."""
        text = f"issue #{self.number}: {line}"
        click.echo(text)
        self.lines.append(text)

    @property
    def github(self) -> GitHub:
        if self._github is None:
            found = self.services.github()
            if found is None:
                raise UsageError(
                    "intake needs GitHub: GITHUB_TOKEN and GITHUB_REPOSITORY are not both set",
                    "run it in intake.yml, or set both (and pass --dry-run to only see what it would do)",
                )
            self._github = found
        return self._github

    @property
    def repo(self) -> str:
        return self.services.repository

    @property
    def branch(self) -> str:
        return plan.branch_name(self.number)

    def comment(self) -> Comment | None:
        """Our comment on the issue, found by its marker (listed once per run)."""
        if not self._comment_read:
            self._comment = next(
                (
                    c
                    for c in self.github.comments(self.repo, self.number)
                    if plan.find_marker(c.body, "intake", self.number) is not None
                ),
                None,
            )
            self._comment_read = True
        return self._comment

    def post(self, body: str) -> str:
        """Write our one comment: edit it when it exists (and differs), create it otherwise."""
        existing = self.comment()
        if existing is not None:
            if existing.body != body:
                self.github.edit_comment(self.repo, existing.id, body)
            return existing.url
        try:
            made = self.github.create_comment(self.repo, self.number, body)
        except Ambiguous:
            self._comment_read = False  # it may have been posted: look before posting again
            again = self.comment()
            made = again or self.github.create_comment(self.repo, self.number, body)
        self._comment, self._comment_read = made, True
        return made.url

    def report_problems(self, problems: list[FormProblem]) -> int:
        url = self.post(plan.problems_comment(self.number, problems))
        self.say(f"{len(problems)} problem{'s' * (len(problems) != 1)} in the form; said what to fix: {url}")
        return FAILED

    def template(self) -> str | None:
        try:
            return (self.context.root / PULL_TEMPLATE).read_text(encoding="utf-8")
        except OSError:
            return None

    def head_of(self, branch: str) -> str:
        head = self.github.branch_head(self.repo, branch)
        if head is None:
            raise ServiceError(
                "github", f"{self.repo} has no branch {branch}", "set `branch` in [tool.feedbackloop]"
            )
        return head

    def write(
        self, branch: str, files: dict[str, str | None], message: str, note_of: str | None = None
    ) -> str:
        """Commit `files` (None: remove) on `branch`, made from the main branch if it does not exist;
        nothing when the branch already holds them. Retried when someone pushes meanwhile.

        With `note_of` (an issue's link), the files are that issue's note: a path where the branch
        holds something else (another issue's note, committed by a run overlapping this one) raises
        NoteTaken instead of being overwritten."""
        head = self.github.branch_head(self.repo, branch)
        if head is None:
            base = self.head_of(self.settings.branch)
            if note_of is not None:
                for path in files:
                    self.check_free(path, self.github.file_text(self.repo, path, base), note_of)
            commit = self.github.create_commit(
                self.repo, self.github.commit_tree(self.repo, base), base, files, message
            )
            if self.github.create_branch(self.repo, branch, commit):
                return commit
            head = self.head_of(branch)  # made meanwhile (a run that stopped half way): add to it
        for _ in range(ATTEMPTS):
            held = {p: self.github.file_text(self.repo, p, head) for p in files}
            if all(held[p] == text for p, text in files.items()):
                return head
            if note_of is not None:
                for path, there in held.items():
                    self.check_free(path, there, note_of)
            commit = self.github.create_commit(
                self.repo, self.github.commit_tree(self.repo, head), head, files, message
            )
            if self.github.move_branch(self.repo, branch, commit):
                return commit
            head = self.head_of(branch)
        raise ServiceError("github", f"could not commit to {branch}: it kept moving", "run again")

    @staticmethod
    def check_free(path: str, there: str | None, issue_url: str) -> None:
        if there is not None and not plan.note_of(there, issue_url):
            raise NoteTaken(path)

    def pull_request(self, title: str, body: str, draft: bool) -> tuple[PullRequest, str]:
        """Open the pull request of our branch (a draft when the plan allows); the pull request and a
        note for the comment (empty, or why it is not a draft)."""
        owner = self.repo.split("/")[0]
        try:
            made = self.github.create_pull(self.repo, title, body, self.branch, self.settings.branch, draft)
        except Ambiguous:
            found = self.github.find_pull(self.repo, owner, self.branch)
            made = found or self.github.create_pull(
                self.repo, title, body, self.branch, self.settings.branch, draft
            )
        except ServiceError as error:
            message = str(error).lower()
            if error.status == 422 and draft and "draft" in message:
                # Draft pull requests need a paid plan in private repositories (GitHub Free: public only).
                made, _ = self.pull_request(title, body, draft=False)
                return made, "It is not a draft: this repository's plan has no draft pull requests."
            if error.status == 422 and "already exists" in message:
                found = self.github.find_pull(self.repo, owner, self.branch)
                if found is None:
                    raise
                return found, ""
            if error.status == 403:
                raise FeedbackloopError(
                    "GitHub refused to let the workflow open a pull request",
                    "in the repository's Settings → Actions → General, allow GitHub Actions to create "
                    "pull requests; or set the FEEDBACKLOOP_GITHUB_TOKEN secret to a token that can",
                ) from None
            raise
        return made, ""

    # -- a new interview ---------------------------------------------------------------------------
    def stub(
        self, form: plan.InterviewForm, calendar: str | None
    ) -> tuple[str, str, Interview | None, list[FormProblem]]:
        """The stub's path, text and record, and the record rules' problems with it."""
        try:
            path, text = interview_stub(self.context, form.stub_values())
        except FeedbackloopError as error:
            return "", "", None, [FormProblem("The form", error.message, error.fix)]
        if calendar:
            text = apply_changes(text, {("published", "calendar"): calendar})
        parsed = parse(text, path)
        problems = list(parsed.problems)
        if parsed.record is not None and parsed.positions is not None:
            problems += check_record(parsed.record, parsed.positions, text, self.settings, self.context.today)
        found = plan.form_problems(problems, INTERVIEW_FIELDS)
        record = parsed.record if isinstance(parsed.record, Interview) else None
        return path, text, record, found

    def interview(self) -> int:
        form, problems = plan.read_interview_form(self.event.body)
        if form is None:
            return self.report_problems(problems)
        path, text, record, problems = self.stub(form, None)
        if record is not None and (self.context.root / path).exists():
            problems.append(
                FormProblem(
                    "Topic",
                    f"an interview with the id {record.id} is already in the repository",
                    "if this is another call, make the topic more specific; if it is the same call, "
                    "close this issue",
                )
            )
        if problems or record is None:
            return self.report_problems(problems)
        with_calendar = bool(self.settings.google_calendar_id)
        owner = self.repo.split("/")[0]
        pull = self.github.find_pull(self.repo, owner, self.branch)
        previous: Interview | None = None
        if pull is not None and pull.state != "open":
            self.say(f"pull request #{pull.number} is closed: the issue's changes go in the file on main")
            return OK
        if pull is not None:
            previous, untouched = self.current_stub(pull)
            if not untouched:
                ready = plan.Ready(pull.url, self.stub_path(pull) or path, untouched=False)
                self.post(plan.ready_comment(self.number, ready))
                self.say(f"the stub was changed in #{pull.number} since intake wrote it: left as it is")
                return OK
        calendar = None
        if with_calendar:
            calendar = (previous.published.calendar if previous else None) or event_id(record.id)
            path, text, record, problems = self.stub(form, calendar)
            if problems or record is None:
                return self.report_problems(problems)
        title = plan.pull_title(form)
        notes: list[str] = []
        if pull is None:
            self.write(self.branch, {path: text}, f"intake: {record.id} (scheduled, from #{self.number})")
            pull, note = self.pull_request(
                title, plan.pull_body(self.number, path, text, self.template()), draft=True
            )
            notes += [note] if note else []
            self.github.assign(self.repo, pull.number, list(form.interviewers))
            self.say(f"draft pull request #{pull.number} holds {record.id} ({path})")
        else:
            old_path = self.stub_path(pull) or path
            files: dict[str, str | None] = {path: text}
            if old_path != path:
                files[old_path] = None
            if self.holds(pull, path, text):
                self.say(f"pull request #{pull.number} already holds {record.id}: nothing to change")
            else:
                self.write(self.branch, files, f"intake: {record.id} (the issue was edited, #{self.number})")
                self.github.edit_pull(
                    self.repo,
                    pull.number,
                    title=title,
                    body=plan.pull_body(self.number, path, text, self.template()),
                )
                self.say(f"pull request #{pull.number}: the stub now says what the issue says ({record.id})")
            # Also when nobody is assigned: the run that opened it may have stopped before assigning.
            if previous is None or set(form.interviewers) - set(previous.interviewers) or not pull.assignees:
                self.github.assign(self.repo, pull.number, list(form.interviewers))
        calendar_line, failed = self.calendar(record, pull.url)
        self.post(plan.ready_comment(self.number, plan.Ready(pull.url, path, calendar_line, notes=notes)))
        return FAILED if failed else OK

    def holds(self, pull: PullRequest, path: str, text: str) -> bool:
        """Is `text` at `path` what intake last wrote on the pull request's branch? (Its marker says.)"""
        fields = plan.find_marker(pull.body, "intake-stub", self.number)
        if fields is None:
            return False
        return fields.get("path") == path and fields.get("digest") == plan.digest(text)

    def stub_path(self, pull: PullRequest) -> str | None:
        fields = plan.find_marker(pull.body, "intake-stub", self.number)
        return fields.get("path") if fields else None

    def current_stub(self, pull: PullRequest) -> tuple[Interview | None, bool]:
        """The stub the pull request holds now, and whether it is still what intake wrote."""
        fields = plan.find_marker(pull.body, "intake-stub", self.number)
        if not fields or not fields.get("path"):
            return None, False
        head = self.github.branch_head(self.repo, self.branch)
        text = self.github.file_text(self.repo, fields["path"], head) if head else None
        if text is None or plan.digest(text) != fields.get("digest"):
            return None, False
        record = parse(text, fields["path"]).record
        return (record if isinstance(record, Interview) else None), True

    def calendar(self, record: Interview, pull_url: str) -> tuple[str, bool]:
        """Put the call on the shared calendar; a line for the comment, and whether it failed."""
        try:
            result = sync_one(self.context, self.services, record, f"Interview notes: {pull_url}")
        except FeedbackloopError as error:
            self.say(f"calendar: {error.message}")
            return f"The call could not be put on the calendar: {error.message}", True
        if result is None:
            return "", False
        self.say(f"calendar: {result.line()} ({record.id})")
        if result.failed:
            return (
                f"The call could not be put on the shared calendar ({result.failed}); editing this issue "
                "or publishing tries again.",
                True,
            )
        link = f" ({result.link})" if result.link else ""
        note = f"\n\nNote: {result.note}." if result.note else ""
        return f"The call is on the shared calendar{link}.{note}", False

    # -- feedback received anywhere ----------------------------------------------------------------
    def feedback(self) -> int:
        existing = self.comment()
        fields = plan.find_marker(existing.body, "intake", self.number) if existing else None
        if fields and fields.get("state") == "recorded":
            issue = self.github.get_issue(self.repo, self.number)
            if issue.state == "open" and issue.state_reason != "reopened":
                # The run that recorded it stopped before closing it. (One a person reopened stays open.)
                self.github.edit_issue(self.repo, self.number, state="closed", state_reason="completed")
                self.say("already recorded: closed the issue, which the run that recorded it had not")
                return OK
            self.say("already recorded: nothing to do")
            return OK
        zone = ZoneInfo(time_zone(self.context))
        opened_on = self.event.created_at.astimezone(zone).date()
        form, problems = plan.read_feedback_form(self.event.body, self.event.author, opened_on)
        if form is None:
            return self.report_problems(problems)
        to_main = self.settings.intake_notes == "main"
        target = self.settings.branch if to_main else self.branch
        # By pull request, another issue's note may wait in its own open pull request for the same
        # path: both would merge into one file (an add/add conflict). One listing finds them.
        taken = set() if to_main else self.paths_in_other_pulls()
        while True:
            path, text, note, problems = self.note(form, functools.partial(self.held, target), taken)
            if problems or note is None:
                return self.report_problems(problems)
            message = f"intake: {note.id} (feedback shared in #{self.number})"
            try:
                commit = self.write(target, {path: text}, message, note_of=self.event.url)
            except NoteTaken as found:  # a run for another issue took the path meanwhile: the next one
                taken.add(found.path)
                self.heads.clear()
                continue
            break
        if to_main:
            server = self.context.env.get("GITHUB_SERVER_URL", "https://github.com")
            where = f"committed to {self.settings.branch} in {server}/{self.repo}/commit/{commit}"
            self.say(f"recorded {note.id} on {self.settings.branch} ({path})")
        else:
            owner = self.repo.split("/")[0]
            pull = self.github.find_pull(self.repo, owner, self.branch)
            if pull is None:
                pull, _ = self.pull_request(
                    plan.quiet(note.headline), plan.note_pull_body(self.number, path), draft=False
                )
            where = f"in pull request {pull.url}: it is published once merged"
            self.say(f"recorded {note.id} in pull request #{pull.number} ({path})")
        self.post(plan.recorded_comment(self.number, where, path))
        self.github.edit_issue(self.repo, self.number, state="closed", state_reason="completed")
        return OK

    def paths_in_other_pulls(self) -> set[str]:
        """The files other issues' open intake pull requests add, as their markers say."""
        paths = set()
        for pull in self.github.open_pulls(self.repo):
            found = plan.pull_file(pull.body)
            if found is not None and found[0] != self.number:
                paths.add(found[1])
        return paths

    def held(self, branch: str, path: str) -> list[str] | None:
        """What GitHub holds at `path`: on `branch` (None when that is this issue's note) and on the main
        branch, whose files a pull request's branch is merged with."""
        found: list[str] = []
        for name in dict.fromkeys((branch, self.settings.branch)):
            head = self.heads.get(name) or self.github.branch_head(self.repo, name)
            if head is None:
                continue
            self.heads[name] = head
            text = self.github.file_text(self.repo, path, head)
            if text is not None and name == branch and plan.note_of(text, self.event.url):
                return None  # ours already (a run that stopped before closing the issue): the same path
            found += [text] if text is not None else []
        return found

    def held_here(self, path: str) -> list[str] | None:
        """What the checkout holds at `path` (the dry run reads nothing from GitHub)."""
        try:
            text = (self.context.root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return None if plan.note_of(text, self.event.url) else [text]

    def note(
        self,
        form: plan.FeedbackForm,
        held: Callable[[str], list[str] | None] | None = None,
        taken: Collection[str] = (),
    ) -> tuple[str, str, Note | None, list[FormProblem]]:
        """The note's path and text: a path of its own, since another issue's note may hold the first
        choice (`held` says what is at a path: None when it is this issue's note already)."""
        slug = slugify(plan.note_slug(form))
        issue_url = self.event.url
        folder = f"{self.settings.interviews_dir}/{form.date.year}"
        for record_id in (f"{form.date.isoformat()}-{slug}", f"{form.date.isoformat()}-{slug}-{self.number}"):
            path = f"{folder}/{record_id}.md"
            if path in taken:
                continue
            there = (held or self.held_here)(path)
            if there is not None and any(not plan.note_of(text, issue_url) for text in there):
                continue
            text = render(
                self.context.root / self.settings.templates_dir,
                "note.md.j2",
                **plan.note_values(form, record_id, issue_url),
            )
            parsed = parse(text, path)
            problems = list(parsed.problems)
            if parsed.record is not None and parsed.positions is not None:
                problems += check_record(
                    parsed.record, parsed.positions, text, self.settings, self.context.today
                )
            note = parsed.record if isinstance(parsed.record, Note) else None
            return path, text, note, plan.form_problems(problems, FEEDBACK_FIELDS)
        return (
            "",
            "",
            None,
            [FormProblem("From (first name)", "two notes like this one are already recorded")],
        )

    # -- the run -----------------------------------------------------------------------------------
    def run(self) -> int:
        try:
            return self.handle()
        except FeedbackloopError as error:
            # Tell the person who filed the form, if GitHub lets us: the failed run alone tells no one.
            with contextlib.suppress(FeedbackloopError):
                self.post(plan.failed_comment(self.number, error.message, error.fix))
            raise

    def handle(self) -> int:
        kind = plan.form_kind(self.event.labels)
        if kind == "both":
            return self.report_problems(
                [
                    FormProblem(
                        "Labels",
                        f"the issue has both {plan.INTERVIEW_LABEL} and {plan.FEEDBACK_LABEL}",
                        "remove the label of the form it did not come from",
                    )
                ]
            )
        return self.interview() if kind == plan.INTERVIEW_LABEL else self.feedback()


def dry_run_plan(context: Context, event: IssueEvent) -> int:
    """What intake would write, from the event alone: nothing is read from or sent to GitHub."""
    intake = Intake(context, event)
    if plan.form_kind(event.labels) == plan.INTERVIEW_LABEL:
        form, problems = plan.read_interview_form(event.body)
        path, text = "", ""
        if form is not None:
            path, text, _, problems = intake.stub(form, None)
        if form is None or problems:
            click.echo(f"Would comment on issue #{event.number} (dry run: nothing is sent):\n")
            click.echo(plan.problems_comment(event.number, problems))
            return FAILED
        click.echo(f"Would commit {path} on {intake.branch} (dry run: nothing is sent):\n")
        click.echo(text)
        click.echo(
            f"--- draft pull request: {plan.pull_title(form)}  [assigned: {', '.join(form.interviewers)}]"
        )
        click.echo(plan.pull_body(event.number, path, text, intake.template()))
        return OK
    zone = ZoneInfo(time_zone(context))
    feedback, problems = plan.read_feedback_form(
        event.body, event.author, event.created_at.astimezone(zone).date()
    )
    note_path, note_text = "", ""
    if feedback is not None:
        note_path, note_text, _, problems = intake.note(feedback)
    if feedback is None or problems:
        click.echo(f"Would comment on issue #{event.number} (dry run: nothing is sent):\n")
        click.echo(plan.problems_comment(event.number, problems))
        return FAILED
    where = context.settings.branch if context.settings.intake_notes == "main" else "a pull request"
    click.echo(f"Would commit {note_path} to {where} and close the issue (dry run: nothing is sent):\n")
    click.echo(note_text)
    return OK


def run(context: Context, event_path: Path | None, dry_run: bool) -> int:
    name, payload = read_event(context, event_path)
    if name != "issues":
        click.echo(f"intake: nothing to do for a `{name}` event (it reads `issues` events)")
        return OK
    event = IssueEvent.from_payload(payload)
    where = f"issue #{event.number}"
    if event.is_pull_request or event.action not in ACTIONS:
        click.echo(f"{where}: nothing to do when an issue is {event.action or 'touched'}")
        return OK
    if plan.form_kind(event.labels) is None:
        click.echo(f"{where}: not from an intake form (no {' or '.join(plan.LABELS)} label): nothing to do")
        return OK
    if event.state != "open":
        click.echo(f"{where}: closed: nothing to do")
        return OK
    if event.association not in TRUSTED:
        click.echo(f"{where}: opened by someone outside the team ({event.association}): nothing done")
        return OK
    # `forget` emptied it: asking for the answers again would undo that.
    if plan.is_forgotten_form(event.body):
        click.echo(f"{where}: its answers were removed at the person's request: nothing to do")
        return OK
    if dry_run:
        return dry_run_plan(context, event)
    intake = Intake(context, event)
    try:
        code = intake.run()
    finally:
        if intake.lines:
            actions.summary(context.env, "### Intake\n\n" + "\n".join(f"- {line}" for line in intake.lines))
    click.echo(context.budget.line())
    return code
