"""Issue forms, read: the body GitHub renders from a form, turned into a record's values; and what intake
writes back to GitHub (the pull request, the comment), as text. Pure: no I/O, no clock, no environment.

GitHub writes a form's answers into the issue body as markdown: `### <label>`, a blank line, the answer;
`_No response_` for an optional field left empty; one `- [X] option` (ticked) or `- [ ] option` line per
checkbox. Nothing is guaranteed about the answers: required fields are enforced only in public
repositories, an issue created through the API skips the form, and anyone can edit the body by hand.
So every answer is checked here, and the record it makes is checked again by the record rules.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from feedbackloop.config import suggest
from feedbackloop.plan.publish import marker, markers
from feedbackloop.records.model import RECEIVED_VIA, RECRUITED_VIA, REQUEST_TYPES
from feedbackloop.records.problems import Problem

# The labels the forms put on their issues; intake.yml runs only for issues that carry one.
INTERVIEW_LABEL = "new-interview"
FEEDBACK_LABEL = "shared-feedback"
LABELS = (INTERVIEW_LABEL, FEEDBACK_LABEL)

NO_RESPONSE = "_No response_"
CONSENT_OPTION = "I will ask for consent before recording"
BRANCH_PREFIX = "intake/issue-"
TITLE_MAX = 256  # GitHub refuses longer issue and pull request titles

_HEADING = re.compile(r"^###[ \t]+(.+?)[ \t]*$", re.MULTILINE)
_CHECKBOX = re.compile(r"^\s*[-*]\s+\[([ xX])\]\s+(.*?)\s*$")
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*")


@dataclass(frozen=True, slots=True)
class Field:
    """One question of a form: the id its YAML gives it and the label GitHub writes as its heading."""

    id: str
    label: str
    required: bool = False


INTERVIEW_FIELDS = (
    Field("topic", "Topic", required=True),
    Field("first_name", "User's first name", required=True),
    Field("profile", "Profile link"),
    Field("date", "Date of the call", required=True),
    Field("time", "Time of the call"),
    Field("interviewers", "Interviewers", required=True),
    Field("recruited_via", "How they were recruited"),
    Field("consent", "Recording"),
)
FEEDBACK_FIELDS = (
    Field("first_name", "From (first name)", required=True),
    Field("profile", "Profile link", required=True),
    Field("received_via", "Where it was received", required=True),
    Field("date", "When it was received"),
    Field("received_by", "Received by"),
    Field("feedback", "The feedback", required=True),
    Field("request_type", "Bug or feature request"),
    Field("request_title", "Request title"),
    Field("request_details", "Request details"),
)
FORMS: dict[str, tuple[Field, ...]] = {INTERVIEW_LABEL: INTERVIEW_FIELDS, FEEDBACK_LABEL: FEEDBACK_FIELDS}


@dataclass(frozen=True, slots=True)
class FormProblem:
    """What to fix in the form: the question as the person sees it, what is wrong, and how."""

    field: str
    message: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class InterviewForm:
    topic: str
    first_name: str
    date: date
    interviewers: tuple[str, ...]
    profile: str | None = None
    time: str | None = None
    recruited_via: str | None = None
    consent_planned: bool = False

    def stub_values(self) -> dict[str, Any]:
        """The values `feedbackloop new` renders templates/interview.md.j2 with."""
        return {
            "topic": self.topic,
            "first_name": self.first_name,
            "date": self.date,
            "time": self.time,
            "interviewers": list(self.interviewers),
            "profile": self.profile,
            "recruited_via": self.recruited_via,
            "consent_planned": self.consent_planned,
            "status": "scheduled",
        }


@dataclass(frozen=True, slots=True)
class Request:
    type: str
    title: str
    details: str | None = None


@dataclass(frozen=True, slots=True)
class FeedbackForm:
    first_name: str
    profile: str
    received_via: str
    received_by: str
    date: date
    feedback: str
    requests: tuple[Request, ...] = ()


# -- reading the body -----------------------------------------------------------------------------
def sections(body: str, fields: Sequence[Field]) -> dict[str, str | None]:
    """Each known question's answer (None: left empty, or not in the body at all).

    Only the form's own labels start a section, each once and in the form's order, so a `### ` line that
    someone writes inside an answer stays part of that answer."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    by_label = {f.label.casefold(): f for f in fields}
    starts: list[tuple[Field, int, int]] = []  # field, heading start, answer start
    seen: set[str] = set()
    for found in _HEADING.finditer(text):
        known = by_label.get(found[1].strip().casefold())
        if known is None or known.id in seen:
            continue
        seen.add(known.id)
        starts.append((known, found.start(), found.end()))
    answers: dict[str, str | None] = {f.id: None for f in fields}
    for index, (known, _, answer_start) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else len(text)
        answers[known.id] = _answer(text[answer_start:end])
    return answers


def _answer(text: str) -> str | None:
    value = text.strip()
    return None if not value or value == NO_RESPONSE else value


def ticked(answer: str | None) -> set[str]:
    """The options ticked in a checkboxes answer."""
    chosen: set[str] = set()
    for line in (answer or "").splitlines():
        found = _CHECKBOX.match(line)
        if found and found[1] in "xX":
            chosen.add(found[2].strip())
    return chosen


def one_line(answer: str | None) -> str | None:
    """An input's answer on one line: what a pasted value brought along (line breaks, tabs) is spaces."""
    if answer is None:
        return None
    return " ".join(answer.split()) or None


class _Reader:
    def __init__(self, fields: Sequence[Field], body: str) -> None:
        self.fields = {f.id: f for f in fields}
        self.answers = sections(body, fields)
        self.problems: list[FormProblem] = []

    def problem(self, field_id: str, message: str, fix: str = "") -> None:
        self.problems.append(FormProblem(self.fields[field_id].label, message, fix))

    def text(self, field_id: str, *, multiline: bool = False) -> str | None:
        answer = self.answers[field_id]
        value = answer.strip() if multiline and answer else one_line(answer)
        if value is None and self.fields[field_id].required:
            self.problem(field_id, "is empty", "answer it: it is required")
        return value

    def date(self, field_id: str) -> date | None:
        value = self.text(field_id)
        if value is None:
            return None
        if _DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(field_id, f"`{value}` is not a date written YYYY-MM-DD", "write it like 2026-12-03")
        return None

    def time(self, field_id: str) -> str | None:
        value = self.text(field_id)
        if value is None:
            return None
        found = _TIME.fullmatch(value)
        if not found:
            self.problem(field_id, f"`{value}` is not a time written HH:MM", "write it like 14:30 (24-hour)")
            return None
        return f"{int(found[1]):02d}:{found[2]}"

    def url(self, field_id: str) -> str | None:
        value = self.text(field_id)
        if value is not None and not _URL.fullmatch(value):
            self.problem(
                field_id,
                "is not a link",
                "paste the full link to their person profile, starting with https://",
            )
            return None
        return value

    def choice(self, field_id: str, allowed: Sequence[str]) -> str | None:
        value = self.text(field_id)
        if value is None:
            return None
        folded = value.casefold()
        if folded not in allowed:
            self.problem(
                field_id,
                f"`{value}` is not one of {', '.join(allowed)}.{suggest(folded, allowed)}".rstrip("."),
                f"choose one of: {', '.join(allowed)}",
            )
            return None
        return folded

    def logins(self, field_id: str) -> tuple[str, ...]:
        value = self.text(field_id)
        found: list[str] = []
        seen: set[str] = set()  # folded: a set, not a scan of `found` per login (quadratic in the answer)
        for word in re.split(r"[\s,;]+", value or ""):
            login = word.strip().removeprefix("@")
            if not login:
                continue
            if not _LOGIN.fullmatch(login):
                self.problem(
                    field_id, f"`{login}` is not a GitHub login", "write GitHub logins, like alice, bob"
                )
                continue
            if login.casefold() not in seen:
                seen.add(login.casefold())
                found.append(login)
        return tuple(found)


def read_interview_form(body: str) -> tuple[InterviewForm | None, list[FormProblem]]:
    """The "New user interview" form's answers, or what to fix in them."""
    reader = _Reader(INTERVIEW_FIELDS, body)
    topic = reader.text("topic")
    first_name = reader.text("first_name")
    profile = reader.url("profile")
    day = reader.date("date")
    time = reader.time("time")
    interviewers = reader.logins("interviewers")
    recruited_via = reader.choice("recruited_via", RECRUITED_VIA)
    consent = CONSENT_OPTION.casefold() in {o.casefold() for o in ticked(reader.answers["consent"])}
    if reader.problems or topic is None or first_name is None or day is None or not interviewers:
        return None, reader.problems
    form = InterviewForm(topic, first_name, day, interviewers, profile, time, recruited_via, consent)
    return form, []


def read_feedback_form(
    body: str, author: str, opened_on: date
) -> tuple[FeedbackForm | None, list[FormProblem]]:
    """The "Share user feedback" form's answers, or what to fix in them. Who received the feedback is
    the issue's author unless the form names someone; when is the day the issue was opened unless it
    says otherwise."""
    reader = _Reader(FEEDBACK_FIELDS, body)
    first_name = reader.text("first_name")
    profile = reader.url("profile")
    received_via = reader.choice("received_via", RECEIVED_VIA)
    day = reader.date("date")
    received_by = reader.logins("received_by")
    feedback = reader.text("feedback", multiline=True)
    kind = reader.choice("request_type", REQUEST_TYPES)
    title = reader.text("request_title")
    details = reader.text("request_details", multiline=True)
    if len(received_by) > 1:
        reader.problem("received_by", "names more than one person", "write one GitHub login (or none: you)")
    if kind and not title:
        reader.problem("request_title", "is empty, but a request type is chosen", "give the request a title")
    if title and not kind:
        reader.problem("request_type", "is not chosen, but there is a request title", "choose bug or feature")
    if reader.problems or first_name is None or profile is None or received_via is None or feedback is None:
        return None, reader.problems
    requests = (Request(kind, title, details),) if kind and title else ()
    who = received_by[0] if received_by else author
    return FeedbackForm(first_name, profile, received_via, who, day or opened_on, feedback, requests), []


# -- record problems, in the form's words -----------------------------------------------------------
_KEY_TO_FIELD = {
    "topic": "topic",
    "user.first_name": "first_name",
    "user.profile": "profile",
    "user": "first_name",
    "date": "date",
    "id": "date",
    "time": "time",
    "interviewers": "interviewers",
    "recruited_via": "recruited_via",
    "received_by": "received_by",
    "received_via": "received_via",
    "feedback": "feedback",
    "requests": "request_title",
}
_CODE_TO_FIELD = {"not-on-roster": "interviewers", "first-name-only": "first_name"}
_BACKTICKED = re.compile(r"`([a-z_.]+)(?:\[\d+\])?(?:\.[a-z_]+)?`")


def form_problems(problems: Iterable[Problem], fields: Sequence[Field]) -> list[FormProblem]:
    """The record rules' errors about the record a form made, put to the form's questions."""
    by_id = {f.id: f for f in fields}
    out: list[FormProblem] = []
    for problem in problems:
        if problem.severity != "error":
            continue
        field_id = _CODE_TO_FIELD.get(problem.code)
        if field_id == "interviewers" and "interviewers" not in by_id:
            field_id = "received_by"
        if field_id is None:
            for found in _BACKTICKED.finditer(problem.message):
                field_id = _KEY_TO_FIELD.get(found[1]) or _KEY_TO_FIELD.get(found[1].split(".")[0])
                if field_id:
                    break
        label = by_id[field_id].label if field_id in by_id else "The form"
        out.append(FormProblem(label, problem.message, problem.fix))
    return out


# -- what intake writes to GitHub --------------------------------------------------------------------
def quiet(text: str) -> str:
    """Text from an issue, made safe to echo on GitHub: no @mention pings, no hidden marker of ours.

    A zero-width space after `@` keeps the text readable and the mention inert, in code spans too."""
    return text.replace("@", "@\u200b").replace("<!--", "<!\u200b--")


def branch_name(issue: int) -> str:
    return f"{BRANCH_PREFIX}{issue}"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def comment_marker(issue: int, state: str) -> str:
    return marker("intake", issue=str(issue), state=state)


def find_marker(text: str, kind: str, issue: int) -> dict[str, str] | None:
    """The fields of our marker of `kind` for `issue` in `text`, if it holds one."""
    for found_kind, fields in markers(text):
        if found_kind == kind and fields.get("issue") == str(issue):
            return fields
    return None


def pull_title(form: InterviewForm) -> str:
    title = f"User interview: {form.topic} with {form.first_name}"
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1].rstrip() + "…"
    return quiet(title)


def checklist(pull_request_template: str | None) -> str:
    """The after-call checklist of .github/pull_request_template.md (its HTML comments left out)."""
    text = re.sub(r"<!--.*?-->\s*", "", pull_request_template or "", flags=re.DOTALL).strip()
    return text or (
        "## After the call\n\n- [ ] The notes, the summary, the requests and questions are written\n"
        "- [ ] The reward and the follow-up are planned"
    )


def pull_body(issue: int, path: str, text: str, template: str | None, closes: bool = True) -> str:
    """The draft pull request's body: what it is for, the checklist, and a marker of the stub it holds
    (so an edit of the issue can tell whether anyone changed the file since)."""
    link = f"Closes #{issue}" if closes else f"From #{issue}"
    return (
        f"{link}: the call was scheduled with the issue form; this pull request holds its interview file, "
        f"`{path}`. After the call, write the notes in it, tick the checklist and mark it ready for "
        "review.\n\n"
        f"{checklist(template)}\n\n" + marker("intake-stub", issue=str(issue), path=path, digest=digest(text))
    )


def note_pull_body(issue: int, path: str) -> str:
    return (
        f"From #{issue}: feedback shared with the form, recorded as `{path}`. Merging it publishes the "
        "feedback (Slack, the Google Doc, an issue per request) like any interview.\n\n"
        + marker("intake-note", issue=str(issue), path=path)
    )


COMMENT_LIMIT = 60_000  # GitHub refuses a comment over 65,536 characters: room for the marker
PROBLEM_LIMIT = 1_000  # a problem quotes the answer, which may be a 200,000-character paste


def problems_comment(issue: int, problems: Sequence[FormProblem]) -> str:
    """What to fix, one line a problem; within GitHub's size for a comment, whatever the issue holds."""
    lines = [
        "**feedbackloop cannot use this form yet.** Edit the issue to fix what is listed below: "
        "it is read again, and this comment updates itself.",
        "",
    ]
    size = sum(len(line) + 1 for line in lines)
    for index, problem in enumerate(problems):
        stop = "" if problem.message.endswith((".", "?", "!")) else "."
        fix = f" Fix: {problem.fix}" if problem.fix else ""
        line = quiet(" ".join(f"- **{problem.field}**: {problem.message}{stop}{fix}".split()))
        if len(line) > PROBLEM_LIMIT:
            line = line[: PROBLEM_LIMIT - 1] + "…"
        if size + len(line) + 1 > COMMENT_LIMIT:
            lines.append(f"- … and {len(problems) - index} more problems like these")
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n\n" + comment_marker(issue, "problems")


@dataclass(frozen=True)
class Ready:
    """What a valid interview form became, for the issue's comment."""

    pull_url: str
    path: str
    calendar: str = ""  # a line about the calendar event, or nothing
    untouched: bool = (
        True  # False: the stub was edited since intake wrote it; the issue's edit is not applied
    )
    notes: list[str] = field(default_factory=list)


def ready_comment(issue: int, ready: Ready) -> str:
    lines = [
        f"**Ready for the call.** The draft pull request {ready.pull_url} holds the interview file "
        f"`{ready.path}`. After the call, write the notes there, tick its checklist and mark it ready for "
        "review; merging it closes this issue.",
    ]
    if not ready.untouched:
        lines.append(
            "\nThe interview file was changed in the pull request since it was made, so the last edit of "
            "this issue was not copied into it: make further changes in the pull request."
        )
    if ready.calendar:
        lines.append(f"\n{ready.calendar}")
    lines.extend(f"\n{note}" for note in ready.notes)
    return "\n".join(lines) + "\n\n" + comment_marker(issue, "ready")


def failed_comment(issue: int, message: str, fix: str) -> str:
    fix_line = f"\n\nTo fix: {fix}." if fix else ""
    return (
        f"**feedbackloop could not finish with this issue:** {quiet(message)}.{fix_line}\n\n"
        "Editing the issue (or re-running the workflow) tries again; nothing is made twice.\n\n"
        + comment_marker(issue, "failed")
    )


def recorded_comment(issue: int, where: str, path: str) -> str:
    return (
        f"**Recorded.** This feedback is now `{path}` ({where}). Publishing takes it to Slack and the Google "
        "Doc, and files an issue for any request. Later changes go in the file, not in this issue."
        "\n\n" + comment_marker(issue, "recorded")
    )


# What a note intake recorded says of the issue it came from: the last line of templates/note.md.j2.
NOTE_LINK = "Shared with the issue form: "


def note_of(text: str, issue_url: str) -> bool:
    """Is `text` the note recorded from the issue `issue_url`? The whole line, not a part of it: issue
    #1's link is the start of #12's."""
    wanted = f"{NOTE_LINK}{issue_url}"
    return any(line.strip() == wanted for line in text.splitlines())


def form_issue_url(notes: str) -> str | None:
    """The link of the issue a note was recorded from, as its body says (None: not from a form)."""
    for line in notes.splitlines():
        if line.strip().startswith(NOTE_LINK):
            return line.strip().removeprefix(NOTE_LINK).strip() or None
    return None


def pull_file(body: str) -> tuple[int, str] | None:
    """The issue and the path of the file an intake pull request holds, as its marker says."""
    for kind, fields in markers(body):
        if (
            kind in ("intake-stub", "intake-note")
            and fields.get("issue", "").isdigit()
            and fields.get("path")
        ):
            return int(fields["issue"]), fields["path"]
    return None


_FORGOTTEN_FORM = "at the person's request (`feedbackloop forget`)."


def forgotten_form(on: date) -> str:
    """An issue form's body once the person asked to be forgotten: every answer was about them."""
    return f"The answers to this form were removed on {on.isoformat()} {_FORGOTTEN_FORM}"


def is_forgotten_form(body: str) -> bool:
    return body.lstrip().startswith("The answers to this form were removed on ") and _FORGOTTEN_FORM in body


def note_slug(form: FeedbackForm) -> str:
    return f"{form.received_via}-feedback-{form.first_name}"


def note_values(form: FeedbackForm, record_id: str, issue_url: str) -> dict[str, Any]:
    """The values templates/note.md.j2 renders a feedback note with."""
    return {
        "id": record_id,
        "date": form.date.isoformat(),
        "received_by": form.received_by,
        "received_via": form.received_via,
        "first_name": form.first_name,
        "profile": form.profile,
        "feedback": form.feedback,
        "requests": [{"type": r.type, "title": r.title, "details": r.details} for r in form.requests],
        "issue_url": issue_url,
    }


def form_kind(labels: Iterable[str]) -> str | None:
    """Which form an issue came from, by its labels: INTERVIEW_LABEL, FEEDBACK_LABEL, "both" or None."""
    names = {label.casefold() for label in labels}
    found = [label for label in LABELS if label in names]
    if len(found) > 1:
        return "both"
    return found[0] if found else None


def labels_of(issue: Mapping[str, Any]) -> list[str]:
    """The label names of an issue as an event payload gives them."""
    return [str(label.get("name", "")) for label in issue.get("labels") or () if isinstance(label, dict)]
