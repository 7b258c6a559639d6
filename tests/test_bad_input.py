"""The bad-input corpus: every malformed file a person could commit, through `feedbackloop validate`.

tests/corpus/bad/ is a small repository of its own (a pyproject.toml with a roster, and
interviews/<year>/ files), one mistake per file, bytes exactly as a person would have them. The
whole folder is validated in one run, as on a pull request that adds them all: every expected
problem must be there at its exact line and column, nothing else, nothing crashes, and the one good
file among them is still read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers_repo import CORPUS, TODAY, Ran, assert_no_traceback, copy_corpus, feedbackloop


@dataclass(frozen=True)
class Expected:
    path: str  # under interviews/
    line: int
    column: int
    code: str
    fragment: str  # in the message
    readable: bool  # a rule's problem: the record was read; the reader's: it was not

    @property
    def id(self) -> str:
        return f"{self.path}:{self.code}"


def unreadable(path: str, line: int, column: int, code: str, fragment: str) -> Expected:
    """A problem the reader finds: the file gives no record."""
    return Expected(path, line, column, code, fragment, readable=False)


def broken_rule(path: str, line: int, column: int, code: str, fragment: str) -> Expected:
    """A problem a rule finds in a record that was read."""
    return Expected(path, line, column, code, fragment, readable=True)


Y = "2026/2026-11-20-"  # most files are in interviews/2026/ and dated 2026-11-20

# Line and column: 1-based, in the file (the opening `---` is line 1). File-level problems are at 1:1.
EXPECTED = [
    # -- YAML that does not parse ---------------------------------------------------------------
    unreadable(Y + "yaml-unclosed-bracket.md", 6, 15, "yaml-syntax", "the `[` opened here is never closed"),
    unreadable(Y + "yaml-unclosed-quote.md", 10, 10, "yaml-syntax", "the quote opened here is never closed"),
    unreadable(Y + "yaml-bad-indent.md", 9, 12, "yaml-syntax", "mapping values are not allowed"),
    unreadable(Y + "yaml-tab.md", 8, 1, "yaml-syntax", "a tab in the indentation"),
    unreadable(Y + "control-character.md", 10, 22, "yaml-syntax", "control character U+000C"),
    unreadable(Y + "line-separator.md", 11, 1, "yaml-syntax", "could not find expected ':'"),
    unreadable(Y + "yaml-alias.md", 10, 10, "yaml-alias", "aliases (`*name`) are not allowed"),
    unreadable(Y + "yaml-merge-key.md", 15, 7, "yaml-alias", "aliases (`*name`) are not allowed"),
    unreadable(Y + "duplicate-key-top.md", 11, 1, "duplicate-key", "`topic` is set twice (first on line 3)"),
    unreadable(
        Y + "duplicate-key-nested.md", 10, 3, "duplicate-key", "`first_name` is set twice (first on line 8)"
    ),
    unreadable(
        Y + "yaml-python-tag.md", 10, 10, "yaml-tag", "`!!python/object/apply:os.system` are not allowed"
    ),
    unreadable(Y + "complex-key.md", 11, 1, "bad-key", "a key must be a plain word"),
    unreadable(Y + "deep-nesting.md", 10, 27, "too-deep", "nested too deeply"),
    # -- the file itself -------------------------------------------------------------------------
    unreadable(Y + "not-utf8.md", 16, 4, "not-utf8", "not UTF-8 (byte 0xe9)"),
    unreadable(Y + "nul-byte.md", 16, 7, "binary", "NUL character"),
    unreadable(Y + "empty.md", 1, 1, "empty-file", "the file is empty"),
    unreadable(Y + "whitespace-only.md", 1, 1, "empty-file", "the file is empty"),
    unreadable(Y + "no-frontmatter.md", 1, 1, "no-frontmatter", "does not start with a `---` line"),
    unreadable(Y + "no-closing-fence.md", 1, 1, "no-frontmatter", "no closing `---` line"),
    unreadable(Y + "empty-frontmatter.md", 1, 1, "empty-frontmatter", "the frontmatter is empty"),
    unreadable(Y + "frontmatter-list.md", 2, 1, "not-a-mapping", "not a list"),
    unreadable(Y + "frontmatter-scalar.md", 2, 1, "not-a-mapping", "not a single value"),
    unreadable(Y + "huge.md", 1, 1, "too-large", "the file is 257 KiB, over the 256 KiB limit"),
    # -- types and values ------------------------------------------------------------------------
    unreadable(Y + "list-for-text.md", 3, 8, "wrong-type", "`topic` must be text, not a list"),
    unreadable(Y + "mapping-for-list.md", 7, 3, "wrong-type", "`interviewers` must be a list"),
    unreadable(
        Y + "scalar-for-mapping.md",
        7,
        7,
        "wrong-type",
        "`user` must be a mapping of fields, not a single value",
    ),
    unreadable(Y + "quoted-boolean.md", 10, 14, "wrong-type", "must be true or false, not a quoted value"),
    unreadable(Y + "amount-in-words.md", 13, 11, "wrong-type", "not `thirty`"),
    unreadable(Y + "typo-key.md", 13, 1, "unknown-key", "`sumary` is not a field. Did you mean `summary`?"),
    unreadable(Y + "unknown-nested-key.md", 10, 3, "unknown-key", "`user.emial` is not a field"),
    unreadable(
        Y + "typo-value.md",
        5,
        9,
        "bad-value",
        "`complted` is not one of scheduled, completed, cancelled, no-show",
    ),
    unreadable(
        Y + "bad-date-month.md",
        4,
        7,
        "bad-date",
        "`date` must be a date written YYYY-MM-DD, not `2026-13-01`",
    ),
    unreadable(Y + "bad-date-slashes.md", 14, 12, "bad-date", "`reward.sent_on` must be a date"),
    unreadable(Y + "bad-date-datetime.md", 16, 12, "bad-date", "not `2026-11-20T10:00`"),
    unreadable(
        Y + "time-out-of-range.md", 14, 7, "bad-value", "`time` must be a time written HH:MM, not `25:00`"
    ),
    unreadable(Y + "profile-not-a-link.md", 9, 12, "bad-url", "`user.profile` must be an http(s) link"),
    unreadable(Y + "missing-topic.md", 2, 1, "missing-key", "`topic` is required"),
    unreadable(Y + "request-without-title.md", 15, 5, "missing-key", "`requests[0].title` is required"),
    # -- the rules -------------------------------------------------------------------------------
    broken_rule(Y + "email-frontmatter.md", 10, 12, "email-address", "an e-mail address is in the file"),
    broken_rule(Y + "email-body.md", 17, 25, "email-address", "an e-mail address is in the file"),
    # After a U+2028 and a form feed in the notes: they are not line breaks in a file.
    broken_rule(Y + "email-after-separator.md", 17, 16, "email-address", "an e-mail address is in the file"),
    broken_rule(Y + "id-mismatch.md", 2, 5, "id-mismatch", "the file is named 2026-11-20-id-mismatch.md"),
    broken_rule(Y + "id-not-a-slug.md", 2, 5, "bad-id", "is not a date and a slug"),
    broken_rule(Y + "id-date-mismatch.md", 2, 5, "date-mismatch", "`date` is 2026-11-19"),
    broken_rule(
        "2025/2026-11-20-wrong-year.md",
        2,
        5,
        "wrong-place",
        "should be at interviews/2026/2026-11-20-wrong-year.md",
    ),
    broken_rule(Y + "full-name.md", 8, 15, "first-name-only", "holds more than a first name"),
    broken_rule(Y + "recording-no-consent.md", 15, 3, "no-consent", "`recording.consent` is not true"),
    broken_rule(
        Y + "recording-title.md", 17, 10, "recording-title", "`[topic] user interview with [first name]`"
    ),
    broken_rule(Y + "sent-without-date.md", 13, 11, "missing-key", "`reward.sent_on` is required"),
    broken_rule(Y + "done-without-date.md", 15, 11, "missing-key", "`follow_up.done_on` is required"),
    broken_rule(Y + "completed-no-notes.md", 15, 1, "missing-notes", "needs notes below the frontmatter"),
    # No line after the closing `---`: the problem is on it, not on a line the file does not have.
    broken_rule(Y + "completed-no-body.md", 14, 1, "missing-notes", "needs notes below the frontmatter"),
    broken_rule("2026/2026-12-20-completed-in-future.md", 4, 7, "future-call", "the call is on 2026-12-20"),
    broken_rule(
        Y + "told-without-issue.md", 17, 14, "inconsistent", "`told_on` is set but the request has no issue"
    ),
    broken_rule(Y + "not-on-roster.md", 6, 23, "not-on-roster", "`mallory` is not on the team roster"),
    broken_rule(
        Y + "merch-again.md", 12, 9, "merch-twice", "already received merch (2026-11-02-merch-first)"
    ),
    broken_rule(
        Y + "email-escaped.md", 9, 12, "email-address", "an e-mail address is in the file, written with"
    ),
    # What becomes a one-line title: GitHub refuses an issue title over 256 characters.
    broken_rule(Y + "request-title-too-long.md", 13, 12, "too-long", "258 characters long"),
    broken_rule(Y + "request-title-line-break.md", 13, 12, "line-break", "`requests[0].title` breaks a line"),
    broken_rule(Y + "topic-line-break.md", 3, 8, "line-break", "`topic` breaks a line"),
    broken_rule(Y + "first-name-line-break.md", 8, 15, "line-break", "`user.first_name` breaks a line"),
    broken_rule(Y + "interviewers-twice.md", 6, 28, "duplicate", "`Alice` is listed twice in `interviewers`"),
    broken_rule(
        "2026/archive/2026-11-20-twin.md",
        2,
        5,
        "duplicate-id",
        "also used by interviews/2026/2026-11-20-twin.md",
    ),
    broken_rule(
        "2026/archive/2026-11-20-twin.md",
        2,
        5,
        "wrong-place",
        "should be at interviews/2026/2026-11-20-twin.md",
    ),
]

# Sound files in the same folder: they must still be read, and have no problem.
GOOD = (Y + "good-neighbour.md", "2026/2026-11-02-merch-first.md", Y + "twin.md")


def _huge_file(folder: Path) -> None:
    """A sound interview one byte over the default 256 KiB cap (kept out of git: it is generated)."""
    head = (folder / "interviews" / GOOD[0]).read_bytes().replace(b"good-neighbour", b"huge")
    padding = 256 * 1024 + 1 - len(head)
    (folder / "interviews" / (Y + "huge.md")).write_bytes(head + b"x" * (padding - 1) + b"\n")


@dataclass(frozen=True)
class Run:
    folder: Path
    json: Ran
    text: Ran
    problems: list[dict[str, Any]]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = copy_corpus("bad", tmp_path_factory.mktemp("corpus") / "bad")
    _huge_file(folder)
    as_json = feedbackloop("validate", "--root", folder, "--today", TODAY, "--format", "json", cwd=folder)
    as_text = feedbackloop("validate", "--root", folder, "--today", TODAY, cwd=folder)
    return Run(folder, as_json, as_text, json.loads(as_json.stdout))


def test_the_corpus_is_big_enough_and_every_file_has_an_expectation() -> None:
    folder = CORPUS / "bad" / "interviews"
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*.md")} | {Y + "huge.md"}
    expected = {e.path for e in EXPECTED}
    assert on_disk - set(GOOD) == expected
    assert len(expected) >= 30


def test_nothing_crashes_and_the_run_fails(run: Run) -> None:
    for ran in (run.json, run.text):
        assert ran.code == 1, ran.output
        assert ran.stderr == ""
        assert_no_traceback(ran)


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda e: e.id)
def test_each_problem_is_reported_where_it_is(run: Run, expected: Expected) -> None:
    path = f"interviews/{expected.path}"
    found = [p for p in run.problems if p["path"] == path and p["code"] == expected.code]
    assert len(found) == 1, [p for p in run.problems if p["path"] == path]
    problem = found[0]
    assert (problem["line"], problem["column"]) == (expected.line, expected.column), problem
    assert expected.fragment in problem["message"]
    assert problem["severity"] == "error"
    assert problem["fix"], f"{path}: a problem without a fix: {problem['message']}"


def test_no_problem_is_reported_that_is_not_expected(run: Run) -> None:
    reported = {(p["path"], p["code"]) for p in run.problems}
    assert reported == {(f"interviews/{e.path}", e.code) for e in EXPECTED}
    assert len(run.problems) == len(EXPECTED)


def test_one_bad_file_never_stops_the_others(run: Run) -> None:
    files = sorted((run.folder / "interviews").rglob("*.md"))
    assert f"{len(files)} files checked: {len(EXPECTED)} errors, 0 warnings" in run.text.stdout
    for good in GOOD:
        assert not [p for p in run.problems if p["path"] == f"interviews/{good}"]
    status = feedbackloop("status", "--all", "--root", run.folder, "--today", TODAY, cwd=run.folder)
    assert status.code == 0, status.output
    for good in ("2026-11-20-good-neighbour", "2026-11-02-merch-first", "2026-11-20-twin"):
        assert good in status.stdout
    readable = {e.path for e in EXPECTED if e.readable} - {e.path for e in EXPECTED if not e.readable}
    unread = len(files) - len(readable) - len(GOOD)
    assert f"{unread} files could not be read" in status.stdout
    table = status.stdout.split("\n\n")[0].splitlines()
    rows = table[2:]  # after the header and its rule
    assert len(rows) == len(readable) + len(GOOD)


def test_text_lines_name_the_file_line_column_fix_and_code(run: Run) -> None:
    lines = run.text.stdout.splitlines()[:-1]  # the last line is the tally
    assert len(lines) == len(EXPECTED)
    for expected in EXPECTED:
        prefix = f"interviews/{expected.path}:{expected.line}:{expected.column}: error: "
        matching = [line for line in lines if line.startswith(prefix) and line.endswith(f"[{expected.code}]")]
        assert len(matching) == 1, prefix
        assert " Fix: " in matching[0]


def test_the_good_corpus_passes(tmp_path: Path) -> None:
    """Files that look odd but are right: YAML 1.1 look-alikes (`NO`, `on`, `01234`, `12:30`), a BOM,
    CRLF line endings, every quoting style, flow collections, a note, merch after merch declined."""
    folder = copy_corpus("good", tmp_path / "good")
    files = len(list((folder / "interviews").rglob("*.md")))
    assert files >= 9
    ran = feedbackloop("validate", "--root", folder, "--today", TODAY, cwd=folder)
    assert (ran.code, ran.stdout, ran.stderr) == (0, f"{files} files checked: 0 errors, 0 warnings\n", "")
