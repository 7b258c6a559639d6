"""The rules a sound record must also follow: by status, by convention, and across the repository.

The parser checked shapes and types; these check meaning. Pure functions of records and settings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import fields, is_dataclass
from datetime import date
from pathlib import PurePosixPath

from feedbackloop.config import Settings, suggest
from feedbackloop.records.model import Interview, Key, Positions, Record, Where, dotted, profile_key
from feedbackloop.records.problems import Problem

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
ID = re.compile(r"\d{4}-\d{2}-\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*")
POSTHOG_PERSON = re.compile(r"https://[^/\s]+/project/\d+/person/[^/?#\s]+/?")
GITHUB_ISSUE = re.compile(r"https://[^/\s]+/([^/\s]+/[^/\s]+)/(?:issues|pull)/(\d+)")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
ISSUE_TITLE_MAX = 256  # GitHub refuses a longer issue title


class _Rules:
    def __init__(self, record: Record, positions: Positions) -> None:
        self.record = record
        self.positions = positions
        self.problems: list[Problem] = []

    def error(self, key: Key, code: str, message: str, fix: str = "", *, warning: bool = False) -> None:
        line, column = self.positions.of(key)
        self.problems.append(
            Problem(self.record.path, line, column, code, message, fix, "warning" if warning else "error")
        )


def has_notes(body: str) -> bool:
    """True when the body holds more than headings, comments and blank lines."""
    for line in _COMMENT.sub("", body).splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and stripped not in ("-", "*", "TODO"):
            return True
    return False


def expected_path(record: Record, settings: Settings) -> str:
    return f"{settings.interviews_dir}/{record.date.year}/{record.id}.md"


def check_record(
    record: Record, positions: Positions, text: str, settings: Settings, today: date
) -> list[Problem]:
    """The rules of one record; `positions` and `text` come from reading it."""
    rules = _Rules(record, positions)
    _identity(rules, settings)
    _people(rules, settings)
    _requests(rules, today)
    if isinstance(record, Interview):
        _interview(rules, record, today)
    _emails(rules, text, settings)
    user = record.user
    if settings.repository_public and (user.first_name or user.profile or user.company or user.role):
        rules.error(
            ("user",),
            "personal-data-public",
            "this repository is public (the `repository_public` setting, or GitHub's event, says so) and "
            "the record holds personal data: the person's name, profile link, company or role",
            "make the repository private (Settings → General → Change visibility) or move the interviews "
            "to a private one; then set repository_public = false",
            warning=True,
        )
    return rules.problems


def _identity(rules: _Rules, settings: Settings) -> None:
    record = rules.record
    if not ID.fullmatch(record.id):
        rules.error(
            ("id",),
            "bad-id",
            f"`id` {record.id!r} is not a date and a slug",
            "write it as YYYY-MM-DD-words-in-lowercase, like 2026-11-20-web-analytics-joe",
        )
        return
    if not record.id.startswith(record.date.isoformat()):
        rules.error(
            ("id",),
            "date-mismatch",
            f"`id` starts with {record.id[:10]} but `date` is {record.date.isoformat()}",
            "make the id, the file name and the date agree",
        )
    stem = PurePosixPath(record.path).stem
    if stem != record.id:
        rules.error(
            ("id",), "id-mismatch", f"`id` is {record.id} but the file is named {stem}.md", "rename one"
        )
    wanted = expected_path(record, settings)
    if stem == record.id and record.path != wanted:
        rules.error(
            ("id",),
            "wrong-place",
            f"the file should be at {wanted}",
            f"move it: git mv {record.path} {wanted}",
        )


def _people(rules: _Rules, settings: Settings) -> None:
    record, user = rules.record, rules.record.user
    if user.forgotten_on:
        if user.first_name or user.profile or user.company or user.role:
            rules.error(
                ("user", "forgotten_on"),
                "inconsistent",
                "the person was forgotten but the record still holds their data",
                "run `feedbackloop forget` again, or remove the user's fields",
            )
    elif not user.first_name:
        rules.error(("user",), "missing-key", "`user.first_name` is required", "add the person's first name")
    elif user.first_name.splitlines() != [user.first_name]:
        _one_line(rules, ("user", "first_name"), user.first_name, "part of one-line titles")
    elif " " in user.first_name.strip():
        rules.error(
            ("user", "first_name"),
            "first-name-only",
            "`user.first_name` holds more than a first name",
            "keep only the first name: the profile link identifies the person",
        )
    needs_profile = (
        not isinstance(record, Interview) or record.status == "completed"
    ) and not user.forgotten_on
    if needs_profile and not user.profile:
        rules.error(
            ("user",),
            "missing-key",
            "`user.profile` is required",
            "add the link to their person profile (PostHog person page or CRM record)",
        )
    if user.profile and settings.posthog_profiles and not POSTHOG_PERSON.fullmatch(user.profile):
        rules.error(
            ("user", "profile"),
            "bad-url",
            "`user.profile` is not a PostHog person link",
            "copy the link of their person page: https://us.posthog.com/project/<id>/person/<distinct id>",
        )
    if isinstance(record, Interview):
        seen: set[str] = set()
        for index, login in enumerate(record.interviewers):
            if login.casefold() in seen:
                rules.error(
                    ("interviewers", index),
                    "duplicate",
                    f"`{login}` is listed twice in `interviewers`",
                    "list each interviewer once",
                )
            seen.add(login.casefold())
    if settings.roster:
        logins = record.interviewers if isinstance(record, Interview) else (record.received_by,)
        for index, login in enumerate(logins):
            if settings.teammate(login) is None:
                known = [t.github for t in settings.team]
                key: Key = ("interviewers", index) if isinstance(record, Interview) else ("received_by",)
                rules.error(
                    key,
                    "not-on-roster",
                    f"`{login}` is not on the team roster.{suggest(login, known)}".rstrip("."),
                    "use a GitHub login from `roster` in pyproject.toml, or add them there",
                )


def _one_line(rules: _Rules, key: Key, value: str | None, becomes: str) -> None:
    """A value that becomes a one-line title must not break a line (a `|` block, a quoted `\n`)."""
    if value and value.splitlines() != [value]:
        rules.error(
            key,
            "line-break",
            f"`{dotted(key)}` breaks a line, and it becomes {becomes}",
            "write it on one line (a `>-` block folds its lines into one)",
        )


def _requests(rules: _Rules, today: date) -> None:
    record = rules.record
    for index, request in enumerate(record.requests):
        _one_line(rules, ("requests", index, "title"), request.title, "a GitHub issue's title")
        if len(request.title) > ISSUE_TITLE_MAX:
            rules.error(
                ("requests", index, "title"),
                "too-long",
                f"the request's title is {len(request.title)} characters long: GitHub refuses an "
                f"issue title over {ISSUE_TITLE_MAX}",
                f"shorten it to {ISSUE_TITLE_MAX} characters or fewer; put the rest in `details`",
            )
        if request.issue and not GITHUB_ISSUE.fullmatch(request.issue):
            rules.error(
                ("requests", index, "issue"),
                "bad-url",
                "`issue` is not a link to a GitHub issue",
                "paste the issue's link, like https://github.com/acme/product/issues/123",
            )
        if request.told_on and not request.issue:
            rules.error(
                ("requests", index, "told_on"),
                "inconsistent",
                "`told_on` is set but the request has no issue",
                "the user is told when the request's issue ships: set `issue` first",
            )
        if request.told_on and not record.date <= request.told_on <= today:
            rules.error(
                ("requests", index, "told_on"),
                "bad-date",
                f"`told_on` {request.told_on} is before the interview or in the future",
                f"write the day the user was told, between {record.date} and {today}",
            )


def _interview(rules: _Rules, interview: Interview, today: date) -> None:
    _one_line(rules, ("topic",), interview.topic, "part of one-line titles")
    if interview.status == "completed":
        if interview.date > today:
            rules.error(
                ("date",),
                "future-call",
                f"the call is on {interview.date} but `status` is completed",
                "set `status: scheduled` until the call has happened",
            )
        if not interview.summary:
            rules.error(
                ("status",),
                "missing-key",
                "a completed interview needs a `summary`",
                "add `summary:` with two or three sentences (check the AI summary first)",
            )
        if not has_notes(interview.notes):
            rules.error(
                (),
                "missing-notes",
                "a completed interview needs notes below the frontmatter",
                "write the interview notes after the closing `---`",
            )
            rules.problems[-1] = _at_body(rules.problems[-1], rules.positions, interview.notes)
        if not interview.interviewers:
            rules.error(
                ("status",), "missing-key", "a completed interview needs `interviewers`", "list their logins"
            )
        if ("reward",) not in rules.positions.values:
            rules.error(
                ("status",),
                "missing-key",
                "a completed interview needs a `reward`",
                "add `reward:` with `kind: merch` and `status: pending`"
                " (or `kind: none` and `status: not-applicable`)",
            )
    recording = interview.recording
    if recording.url and recording.consent is not True:
        rules.error(
            ("recording", "consent"),
            "no-consent",
            "the call has a recording but `recording.consent` is not true",
            "ask before recording and write `consent: true`, or remove the recording and its link",
        )
    wanted = f"{interview.topic} user interview with {interview.user.first_name}"
    # The fix names the first name's place, not the name: problems go to logs and job summaries.
    shown = f"{interview.topic} user interview with <their first name>"
    if interview.user.forgotten_on:
        pass  # no name to check the title against
    elif recording.url and not recording.title:
        rules.error(("recording",), "missing-key", "a recording needs its `title`", f'add `title: "{shown}"`')
    elif recording.title and recording.title != wanted:
        rules.error(
            ("recording", "title"),
            "recording-title",
            "the recording title does not follow the convention `[topic] user interview with [first name]`",
            f'rename the recording and write `title: "{shown}"` (with `user.first_name`)',
        )
    _reward(rules, interview, today)


def _reward(rules: _Rules, interview: Interview, today: date) -> None:
    reward, follow_up = interview.reward, interview.follow_up
    if reward.kind == "none" and reward.status not in ("not-applicable", "declined"):
        rules.error(
            ("reward", "status"),
            "inconsistent",
            f"`reward.kind` is none but `reward.status` is {reward.status}",
            "write `status: not-applicable`, or choose a kind",
        )
    if reward.kind != "none" and reward.status == "not-applicable":
        rules.error(
            ("reward", "status"),
            "inconsistent",
            f"a {reward.kind} reward cannot be not-applicable",
            "write `status: pending` (or `declined` if the person said no), or `kind: none`",
        )
    if reward.amount is not None and reward.amount <= 0:
        rules.error(
            ("reward", "amount"),
            "bad-value",
            f"`reward.amount` is {reward.amount}: a reward is worth more than nothing",
            "write the amount given, like `amount: 30` (or remove it for the settings' amount), or "
            "`kind: none` with `status: not-applicable` for no reward",
        )
    checks = (
        ("reward", "sent_on", reward.status == "sent", reward.sent_on, "sent"),
        ("follow_up", "done_on", follow_up.status == "done", follow_up.done_on, "done"),
    )
    for section, field, needs, when, state in checks:
        if needs and when is None:
            rules.error(
                (section, "status"),
                "missing-key",
                f"`{section}.status` is {state}, so `{section}.{field}` is required",
                f"add `{field}: {today.isoformat()}` (the day it was {state})",
            )
        if when is not None and not needs:
            rules.error(
                (section, field),
                "inconsistent",
                f"`{section}.{field}` is set but the status is not {state}",
                f"write `status: {state}`, or remove `{field}`",
            )
    for section, field, when in (
        ("reward", "sent_on", reward.sent_on),
        ("reward", "issued_on", reward.issued_on),
        ("follow_up", "done_on", follow_up.done_on),
    ):
        if when and not interview.date <= when <= today:
            rules.error(
                (section, field),
                "bad-date",
                f"`{section}.{field}` {when} is before the call or in the future",
                f"write the day it happened, between {interview.date} and {today}",
            )


def _at_body(problem: Problem, positions: Positions, body: str) -> Problem:
    # The body's first line, or the closing `---` when the file ends there (no line after it exists).
    line = positions.frontmatter_end + 1 if body else positions.frontmatter_end
    return Problem(problem.path, line, 1, problem.code, problem.message, problem.fix, problem.severity)


def _string_values(value: object, key: Key) -> Iterator[tuple[Key, str]]:
    """Every text a record holds, with its key: the frontmatter as read, escapes undone."""
    if isinstance(value, str):
        yield key, value
    elif is_dataclass(value) and not isinstance(value, type):
        for field in fields(value):
            if field.name not in ("path", "notes"):  # not frontmatter: the body is read as written
                yield from _string_values(getattr(value, field.name), (*key, field.name))
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            yield from _string_values(item, (*key, index))


def _emails(rules: _Rules, text: str, settings: Settings) -> None:
    if settings.allow_emails:
        return
    if "\\" in text:
        # A double-quoted YAML value can spell an address with escapes (`joe\x40acme.com`), which the
        # scan of the file's text below cannot see: the values as read are searched too.
        for key, value in _string_values(rules.record, ()):
            if any(found.group() not in text for found in EMAIL.finditer(value)):
                rules.error(
                    key,
                    "email-address",
                    "an e-mail address is in the file, written with escapes",
                    "remove it and keep the person's profile link instead (or set allow_emails = true)",
                )
    if "@" not in text:
        return
    # split("\n"), not splitlines(): that also breaks at form feeds, U+2028 and others, and the line
    # numbers would no longer be the file's.
    for number, line in enumerate(text.split("\n"), start=1):
        for found in EMAIL.finditer(line):
            rules.problems.append(
                Problem(
                    rules.record.path,
                    number,
                    found.start() + 1,
                    "email-address",
                    "an e-mail address is in the file",
                    "remove it and keep the person's profile link instead (or set allow_emails = true)",
                )
            )


Locate = Callable[[Record, Key], Where]


def check_across(records: Sequence[Record], locate: Locate) -> Iterator[Problem]:
    """Rules that need every record: unique ids; one merch reward per person.

    `locate` finds a key's line again (by re-reading that one file): problems here are rare."""
    first: dict[str, Record] = {}
    for record in records:
        if record.id in first:
            line, column = locate(record, ("id",))
            yield Problem(
                record.path,
                line,
                column,
                "duplicate-id",
                f"`id` {record.id} is also used by {first[record.id].path}",
                "give this interview its own id (and file name)",
            )
        else:
            first[record.id] = record
    yield from _merch_twice((r for r in records if isinstance(r, Interview)), locate)


def _merch_twice(interviews: Iterable[Interview], locate: Locate) -> Iterator[Problem]:
    """One merch reward per person, as `reward` gives it: a pending merch reward for a person whose
    merch was issued or sent is an error (use Open Collective); two pending ones are a warning, since
    nothing was given yet and `reward` gives merch to the first issued and turns the other into Open
    Collective."""
    people: dict[str, list[Interview]] = {}
    counted = ("pending", "issued", "sent")
    for interview in sorted(interviews, key=lambda i: (i.date, i.id)):
        profile = interview.user.profile
        if profile and interview.reward.kind == "merch" and interview.reward.status in counted:
            people.setdefault(profile_key(profile), []).append(interview)
    for group in people.values():
        given = [i for i in group if i.reward.status in ("issued", "sent")]
        for interview in group:
            earlier = next((i for i in given if i is not interview), None)
            if interview in given and given[0] is interview:
                continue  # the person's merch
            line, column = locate(interview, ("reward", "kind"))
            if earlier is not None:
                yield Problem(
                    interview.path,
                    line,
                    column,
                    "merch-twice",
                    f"this person already received merch ({earlier.id})",
                    "use `kind: open-collective` for the reward, as the handbook asks",
                )
            elif interview is not group[0]:
                yield Problem(
                    interview.path,
                    line,
                    column,
                    "merch-twice",
                    f"another interview of this person ({group[0].id}) also has a pending merch reward: "
                    "only one of them gets merch, the one issued first",
                    "write `kind: open-collective` for one of them (`feedbackloop reward` does so for the "
                    "other once one is issued)",
                    "warning",
                )
