"""`feedbackloop status`: what is still to do for each interview, as a terminal table and as markdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers_repo import TODAY, Ran, feedbackloop, make_repo

SETTINGS = """\
[tool.feedbackloop]
slack_channel = "C0FEEDBACK"
google_doc_id = "1ExampleFeedbackDoc"
roster = [{ github = "alice" }, { github = "bob" }, { github = "carol" }]
"""

HEADERS = ["interview", "call", "status", "to publish", "reward", "follow-up"]

# The shipped examples on 2026-11-28, with Slack and the doc configured: what each still needs.
PENDING = [
    ["2026-06-18-onboarding-marco (example)", "2026-06-18 (163d ago)", "completed", "slack, doc", "", ""],
    [
        "2026-11-03-session-replay-priya (example)",
        "2026-11-03 (25d ago)",
        "completed",
        "2 issues, slack, doc",
        "",
        "",
    ],
    [
        "2026-11-12-feature-flags-marco (example)",
        "2026-11-12 (16d ago)",
        "completed",
        "1 issue, slack, doc",
        "open-collective pending",
        "pending",
    ],
    [
        "2026-11-18-web-analytics-joe (example)",
        "2026-11-18 (10d ago)",
        "completed",
        "2 issues, slack, doc",
        "merch pending",
        "pending",
    ],
    ["2026-11-24-slack-feedback-ana (example)", "2026-11-24 (4d ago)", "note", "1 issue, slack, doc", "", ""],
]
NOTHING_PENDING = [
    ["2026-11-21-data-warehouse-sam (example)", "2026-11-21 (7d ago)", "cancelled", "", "", ""],
    ["2026-12-03-surveys-lena (example)", "2026-12-03 (in 5d)", "scheduled", "", "", ""],
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "team", examples=True, pyproject=SETTINGS)


def status(repo: Path, *args: str) -> Ran:
    ran = feedbackloop("status", "--today", TODAY, *args, cwd=repo)
    assert ran.code == 0, ran.output
    assert ran.stderr == ""
    return ran


def text_rows(output: str) -> list[list[str]]:
    """The cells of a text table, cut where its rule line (`----  ----`) says the columns are."""
    lines = output.split("\n\n")[0].splitlines()
    spans, at = [], 0
    for dashes in lines[1].split("  "):
        spans.append((at, at + len(dashes)))
        at += len(dashes) + 2
    return [[line[start:end].strip() for start, end in spans] for line in lines]


def markdown_rows(output: str) -> list[list[str]]:
    lines = output.split("\n\n")[0].splitlines()
    assert lines[1] == "|---|---|---|---|---|---|"
    for line in [lines[0], *lines[2:]]:
        assert line.startswith("| ")
        assert line.endswith(" |")
    return [[cell.strip() for cell in line[2:-2].split(" | ")] for line in [lines[0], *lines[2:]]]


def test_text_lists_what_is_pending(repo: Path) -> None:
    rows = text_rows(status(repo).stdout)
    assert rows[0] == HEADERS
    assert rows[1][0].startswith("-----")
    assert rows[2:] == PENDING


def test_all_lists_every_record_by_date(repo: Path) -> None:
    rows = text_rows(status(repo, "--all").stdout)[2:]
    expected = sorted(PENDING + NOTHING_PENDING, key=lambda row: row[1][:10])
    assert rows == expected


def test_markdown(repo: Path) -> None:
    ran = status(repo, "--format", "markdown")
    rows = markdown_rows(ran.stdout)
    assert rows[0] == HEADERS
    assert rows[1:] == [[cell or "·" for cell in row] for row in PENDING]


def test_markdown_with_all(repo: Path) -> None:
    rows = markdown_rows(status(repo, "--format", "markdown", "--all").stdout)
    assert len(rows) == 1 + len(PENDING) + len(NOTHING_PENDING)


def test_without_slack_and_the_doc_only_issues_are_left_to_publish(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "team", examples=True, pyproject="[tool.feedbackloop]\n")
    rows = text_rows(status(repo).stdout)[2:]
    assert [row[3] for row in rows] == ["2 issues", "1 issue", "2 issues", "1 issue"]
    assert "2026-06-18-onboarding-marco (example)" not in [row[0] for row in rows]


def test_a_broken_file_is_counted_and_the_others_are_still_listed(repo: Path) -> None:
    (repo / "interviews" / "2026" / "2026-11-25-broken.md").write_text("---\nid: [\n---\n", encoding="utf-8")
    ran = status(repo)
    assert text_rows(ran.stdout)[2:] == PENDING
    assert ran.stdout.endswith("\n\n1 file could not be read: run `feedbackloop validate`.\n")
    (repo / "interviews" / "2026" / "2026-11-26-empty.md").write_bytes(b"")
    assert status(repo).stdout.endswith("\n\n2 files could not be read: run `feedbackloop validate`.\n")


def test_a_record_with_a_rule_broken_is_still_listed(repo: Path) -> None:
    # A rule's problem (the call is in the future but marked completed) leaves the record readable.
    path = repo / "interviews" / "2026" / "2026-12-03-surveys-lena.md"
    path.write_text(path.read_text(encoding="utf-8").replace("status: scheduled", "status: completed"))
    rows = text_rows(status(repo).stdout)[2:]
    assert rows[-1][:3] == ["2026-12-03-surveys-lena (example)", "2026-12-03 (in 5d)", "completed"]


def test_a_cell_holding_a_pipe_does_not_break_the_markdown_table(repo: Path) -> None:
    odd = repo / "interviews" / "2026" / "2026-11-27-a.md"
    odd.write_text(
        "---\nid: 2026-11-27-a|b\ntopic: Web\ndate: 2026-11-27\nstatus: scheduled\n"
        "interviewers: [alice]\nuser: {first_name: Jo}\n---\n",
        encoding="utf-8",
    )
    lines = status(repo, "--format", "markdown", "--all").stdout.splitlines()
    row = next(line for line in lines if "2026-11-27" in line)
    assert row.startswith("| 2026-11-27-a\\|b | 2026-11-27 (1d ago) | scheduled |")
    assert row.replace("\\|", "").count("|") == 7


def test_nothing_pending_and_nothing_at_all(tmp_path: Path) -> None:
    empty = make_repo(tmp_path / "empty", pyproject=SETTINGS)
    assert status(empty).stdout == "Nothing pending.\n"
    assert status(empty, "--all").stdout == "No interviews yet.\n"
