"""`feedbackloop new`: flags, prompts on a real terminal, never overwriting, a stub that reads clean."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from feedbackloop.records.model import Interview
from feedbackloop.records.parse import parse
from helpers_repo import TODAY, Ran, assert_no_traceback, clean_env, feedbackloop, make_repo

FLAGS = [
    "--topic", "Web analytics",
    "--first-name", "Joe",
    "--interviewer", "alice",
    "--interviewer", "bob",
    "--date", "2026-12-05",
    "--time", "9:05",
    "--profile", "https://us.posthog.com/project/2/person/01HXYZ?tab=events",
    "--recruited-via", "survey",
]  # fmt: skip
CREATED = "interviews/2026/2026-12-05-web-analytics-joe.md"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "team")


def new(repo: Path, *args: str, stdin: str = "") -> Ran:
    return feedbackloop("new", "--today", TODAY, *args, cwd=repo, stdin=stdin)


def read(repo: Path, relative: str) -> Interview:
    parsed = parse((repo / relative).read_bytes(), relative)
    assert parsed.problems == [], parsed.problems
    assert isinstance(parsed.record, Interview)
    return parsed.record


def test_all_flags(repo: Path) -> None:
    ran = new(repo, *FLAGS)
    assert ran.code == 0, ran.output
    assert ran.stdout.splitlines()[0] == f"created {CREATED}"
    record = read(repo, CREATED)
    assert (record.id, record.topic, record.date, record.time) == (
        "2026-12-05-web-analytics-joe",
        "Web analytics",
        date(2026, 12, 5),
        "09:05",
    )
    assert record.status == "scheduled"  # the call is after --today
    assert record.interviewers == ("alice", "bob")
    assert record.user.first_name == "Joe"
    assert record.user.profile == "https://us.posthog.com/project/2/person/01HXYZ?tab=events"
    assert record.recruited_via == "survey"
    assert record.recording.title == "Web analytics user interview with Joe"
    assert (record.reward.kind, record.reward.status, record.follow_up.status) == (
        "merch",
        "pending",
        "pending",
    )


def test_a_scheduled_stub_passes_validation(repo: Path) -> None:
    assert new(repo, *FLAGS).code == 0
    ran = feedbackloop("validate", "--today", TODAY, cwd=repo)
    assert (ran.code, ran.stdout) == (0, "1 file checked: 0 errors, 0 warnings\n")


def test_a_call_on_or_before_today_is_completed_and_the_stub_says_what_is_missing(repo: Path) -> None:
    ran = new(repo, "--topic", "Surveys", "--first-name", "Lena", "--interviewer", "carol")
    assert ran.code == 0, ran.output
    path = f"interviews/2026/{TODAY}-surveys-lena.md"
    assert read(repo, path).status == "completed"
    problems = feedbackloop("validate", "--today", TODAY, "--format", "json", cwd=repo)
    assert problems.code == 1
    codes = sorted(p["code"] for p in json.loads(problems.stdout))
    assert codes == ["missing-key", "missing-key", "missing-notes"]  # summary, profile, notes


@pytest.mark.parametrize(
    ("topic", "first_name", "slug", "path"),
    [
        ("Web: analytics #1", "Zoë", None, "interviews/2026/2026-12-05-web-analytics-1-zoe.md"),
        ("'Quotes' & \"more\"", "O'Brien", None, "interviews/2026/2026-12-05-quotes-more-o-brien.md"),
        ("true", "NO", None, "interviews/2026/2026-12-05-true-no.md"),
        ("Feature flags", "Marco", "Second call, Marco!", "interviews/2026/2026-12-05-second-call-marco.md"),
    ],
)
def test_values_that_need_quoting_make_a_stub_that_reads_back(
    repo: Path, topic: str, first_name: str, slug: str | None, path: str
) -> None:
    args = ["--topic", topic, "--first-name", first_name, "--interviewer", "alice", "--date", "2026-12-05"]
    ran = new(repo, *args, *(["--slug", slug] if slug else []))
    assert ran.code == 0, ran.output
    record = read(repo, path)
    assert (record.topic, record.user.first_name) == (topic, first_name)
    assert record.recording.title == f"{topic} user interview with {first_name}"


def test_it_never_overwrites(repo: Path) -> None:
    assert new(repo, *FLAGS).code == 0
    target = repo / CREATED
    target.write_text(target.read_text(encoding="utf-8") + "My notes.\n", encoding="utf-8")
    before = target.read_bytes()
    ran = new(repo, *FLAGS)
    assert ran.code == 1
    assert_no_traceback(ran)
    assert f"error: {CREATED} already exists; not overwriting it" in ran.stderr
    assert "--slug" in ran.stderr
    assert target.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "missing"),
    [
        ([], "missing --topic, --first-name, --interviewer"),
        (["--topic", "Web analytics"], "missing --first-name, --interviewer"),
        (["--topic", "Web analytics", "--first-name", "Joe"], "missing --interviewer"),
    ],
)
def test_missing_flags_off_a_terminal_exit_2_and_name_them(repo: Path, args: list[str], missing: str) -> None:
    ran = new(repo, *args, stdin="Web analytics\nJoe\n")  # piped input is not a terminal: no prompts
    assert ran.code == 2
    assert_no_traceback(ran)
    assert (
        ran.stderr
        == f"error: {missing}\n  fix: give them as flags, or run `feedbackloop new` in a terminal\n"
    )
    assert not (repo / "interviews").exists()


def test_a_bad_value_is_refused_before_anything_is_written(repo: Path) -> None:
    ran = new(repo, "--topic", "Web", "--first-name", "Joe", "--interviewer", "not a login!")
    assert ran.code == 2  # a flag's value: bad usage
    assert_no_traceback(ran)
    assert "`interviewers[0]` `not a login!` is not a GitHub login" in ran.stderr
    assert not (repo / "interviews").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "20/11/2026"], "'20/11/2026' is not a date like 2026-11-28"),
        (["--status", "done"], "Invalid value for '--status'"),
        (["--recruited-via", "twitter"], "Invalid value for '--recruited-via'"),
    ],
)
def test_bad_flags_exit_2(repo: Path, args: list[str], message: str) -> None:
    ran = new(repo, "--topic", "Web", "--first-name", "Joe", "--interviewer", "alice", *args)
    assert ran.code == 2
    assert message in ran.stderr


@pytest.mark.parametrize(
    ("first_name", "topic", "interviewers", "message"),
    [
        ("Joe Smith", "Web", ["alice"], "`user.first_name` holds more than a first name"),
        ("Joe", "Web\nanalytics", ["alice"], "`topic` breaks a line"),
        ("Joe\r\nSmith", "Web", ["alice"], "`user.first_name` breaks a line"),
        ("Joe", "Web", ["alice", "Alice"], "`Alice` is listed twice in `interviewers`"),
        ("Joe", "joe@acme.com", ["alice"], "an e-mail address is in the file"),
    ],
)
def test_a_value_validate_would_reject_is_refused_with_its_message(
    repo: Path, first_name: str, topic: str, interviewers: list[str], message: str
) -> None:
    logins = [arg for login in interviewers for arg in ("--interviewer", login)]
    ran = new(repo, "--topic", topic, "--first-name", first_name, *logins, "--date", "2026-12-05")
    assert ran.code == 2, ran.output
    assert_no_traceback(ran)
    assert ran.stderr.startswith(f"error: the new interview would not be valid: {message}"), ran.stderr
    assert "\n  fix: " in ran.stderr
    assert not (repo / "interviews").exists()


def test_an_interviewer_off_the_roster_is_refused(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.feedbackloop]\nroster = [{ github = "alice" }]\n')
    ran = new(repo, "--topic", "Web", "--first-name", "Joe", "--interviewer", "mallory")
    assert ran.code == 2
    assert_no_traceback(ran)
    assert "not on the team roster: mallory" in ran.stderr
    assert not (repo / "interviews").exists()


def test_without_the_template_it_says_so(repo: Path) -> None:
    (repo / "templates" / "interview.md.j2").unlink()
    ran = new(repo, *FLAGS)
    assert ran.code == 1
    assert_no_traceback(ran)
    assert "templates/interview.md.j2 is missing" in ran.stderr


# -- prompts, on a real terminal ----------------------------------------------------------------------
def on_a_terminal(repo: Path, args: list[str], answers: list[tuple[str, str]]) -> tuple[int, str]:
    """Run `feedbackloop new ARGS` with a pseudo-terminal as its stdin, stdout and stderr, answering
    each prompt (a fragment of its text) as it appears; return the exit code and everything shown."""
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "feedbackloop", "new", "--today", TODAY, *args],
        cwd=repo,
        env=clean_env({"TERM": "dumb"}),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
    )
    os.close(terminal)
    shown = b""

    def read_until(fragment: bytes) -> None:
        nonlocal shown
        while fragment not in shown:
            ready, _, _ = select.select([controller], [], [], 20)
            assert ready, f"no {fragment!r} in {shown!r}"
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed: the program ended
                chunk = b""
            assert chunk, f"ended without {fragment!r}: {shown!r}"
            shown += chunk

    try:
        for prompt, answer in answers:
            read_until(prompt.encode())
            os.write(controller, answer.encode() + b"\n")
        code = process.wait(timeout=30)
        while True:  # what it printed after the last answer
            ready, _, _ = select.select([controller], [], [], 0)
            if not ready:
                break
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    return code, shown.decode("utf-8", "replace").replace("\r\n", "\n")


def test_it_prompts_for_everything_on_a_terminal(repo: Path) -> None:
    code, shown = on_a_terminal(
        repo,
        [],
        [
            ("Topic of the call", "Session replay"),
            ("first name", "Priya"),
            ("Day of the call (YYYY-MM-DD) [2026-11-28]", "2026-12-10"),
            ("Interviewers' GitHub logins", "bob, carol"),
            ("Link to their person profile", "https://us.posthog.com/project/2/person/priya"),
        ],
    )
    assert code == 0, shown
    assert "created interviews/2026/2026-12-10-session-replay-priya.md" in shown
    record = read(repo, "interviews/2026/2026-12-10-session-replay-priya.md")
    assert (record.topic, record.user.first_name, record.date) == (
        "Session replay",
        "Priya",
        date(2026, 12, 10),
    )
    assert record.interviewers == ("bob", "carol")
    assert record.user.profile == "https://us.posthog.com/project/2/person/priya"


def test_on_a_terminal_it_asks_only_for_what_the_flags_left_out_and_takes_the_defaults(repo: Path) -> None:
    code, shown = on_a_terminal(
        repo,
        ["--topic", "Surveys", "--interviewer", "alice"],
        [("first name", "Lena"), ("Day of the call", ""), ("Link to their person profile", "")],
    )
    assert code == 0, shown
    assert "Topic of the call" not in shown
    assert "Interviewers' GitHub logins" not in shown
    record = read(repo, f"interviews/2026/{TODAY}-surveys-lena.md")
    assert record.date == date.fromisoformat(TODAY)  # the default shown in brackets
    assert record.user.profile is None


def test_on_a_terminal_a_bad_date_is_a_usage_error(repo: Path) -> None:
    code, shown = on_a_terminal(
        repo,
        ["--topic", "Surveys", "--first-name", "Lena", "--interviewer", "alice"],
        [("Day of the call", "next tuesday")],
    )
    assert code == 2
    assert "'next tuesday' is not a date" in shown
    assert "Traceback" not in shown
