"""`feedbackloop validate`, run as a user and a workflow run it: a subprocess in a real git repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from helpers_repo import PROJECT, TODAY, Ran, assert_no_traceback, commit, feedbackloop, git, make_repo


def interview(record_id: str, *, status: str = "completed", extra: str = "") -> str:
    """A sound interview (a bug request, no reward) whose id is `record_id`."""
    return (
        "---\n"
        f"id: {record_id}\n"
        "topic: Web analytics\n"
        f"date: {record_id[:10]}\n"
        f"status: {status}\n"
        "interviewers: [alice]\n"
        "user:\n"
        "  first_name: Joe\n"
        f"  profile: https://us.posthog.com/project/2/person/{record_id}\n"
        "summary: Uses funnels daily.\n"
        "reward:\n"
        "  kind: none\n"
        "  status: not-applicable\n"
        f"{extra}"
        "---\n"
        "## Notes\n"
        "Talked about funnels.\n"
    )


def add(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


TYPO = "interviews/2026/2026-11-20-typo.md"  # `status: complted` on line 5, column 9


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "team", examples=True)


@pytest.fixture
def typo(repo: Path) -> Path:
    add(repo, TYPO, interview("2026-11-20-typo").replace("status: completed", "status: complted"))
    return repo


def validate(
    root: Path, *args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Ran:
    return feedbackloop("validate", "--today", TODAY, *args, cwd=cwd or root, env=env)


# -- the shipped examples ---------------------------------------------------------------------------
def test_the_shipped_examples_validate_clean() -> None:
    examples = len([p for p in (PROJECT / "interviews").rglob("*.md") if p.name.lower() != "readme.md"])
    ran = validate(PROJECT, "--root", PROJECT)
    assert (ran.code, ran.stdout, ran.stderr) == (0, f"{examples} files checked: 0 errors, 0 warnings\n", "")


def test_the_root_is_found_from_a_folder_inside_the_repository(repo: Path) -> None:
    ran = validate(repo, cwd=repo / "interviews" / "2026")
    assert ran.code == 0
    assert ran.stdout == "7 files checked: 0 errors, 0 warnings\n"


# -- text, github, json --------------------------------------------------------------------------------
def test_text_output_names_file_line_column_message_fix_and_code(typo: Path) -> None:
    ran = validate(typo)
    assert ran.code == 1
    assert ran.stderr == ""
    assert ran.stdout.splitlines() == [
        f"{TYPO}:5:9: error: `status` `complted` is not one of scheduled, completed, cancelled, no-show. "
        "Did you mean `completed`? Fix: write one of: scheduled, completed, cancelled, no-show [bad-value]",
        "8 files checked: 1 error, 0 warnings",
    ]


def test_github_output_is_annotations(typo: Path) -> None:
    ran = validate(typo, "--format", "github")
    assert ran.code == 1
    assert ran.stdout.splitlines() == [
        f"::error file={TYPO},line=5,col=9,title=feedbackloop bad-value::`status` `complted` is not one of "
        "scheduled, completed, cancelled, no-show. Did you mean `completed`? Fix: write one of: "
        "scheduled, completed, cancelled, no-show",
        "8 files checked: 1 error, 0 warnings",
    ]


def test_github_annotations_escape_what_github_requires(repo: Path) -> None:
    # A file name with `,`, `%` and `:` (its id cannot match it), and a key holding `%` and a newline.
    name = "interviews/2026/2026-11-20-a,b%c:d.md"
    add(repo, name, interview("2026-11-20-abcd"))
    odd = "interviews/2026/2026-11-20-odd.md"
    add(repo, odd, interview("2026-11-20-odd", extra='"100%\\nsure": 1\n'))
    ran = validate(repo, name, odd, "--format", "github")
    assert ran.code == 1
    lines = ran.stdout.splitlines()
    assert lines[0] == (
        "::error file=interviews/2026/2026-11-20-a%2Cb%25c%3Ad.md,line=2,col=5,title=feedbackloop id-mismatch"
        "::`id` is 2026-11-20-abcd but the file is named 2026-11-20-a,b%25c:d.md. Fix: rename one"
    )
    assert lines[1].startswith(
        "::error file=interviews/2026/2026-11-20-odd.md,line=14,col=1,title=feedbackloop unknown-key"
        "::`100%25%0Asure` is not a field."
    )
    assert len(lines) == 3  # and the tally


def test_json_output_is_a_list_of_problems(typo: Path) -> None:
    ran = validate(typo, "--format", "json")
    assert ran.code == 1
    assert json.loads(ran.stdout) == [
        {
            "path": TYPO,
            "line": 5,
            "column": 9,
            "code": "bad-value",
            "message": "`status` `complted` is not one of scheduled, completed, cancelled, no-show. "
            "Did you mean `completed`?",
            "fix": "write one of: scheduled, completed, cancelled, no-show",
            "severity": "error",
        }
    ]


def test_json_output_of_a_clean_repository_is_an_empty_list(repo: Path) -> None:
    ran = validate(repo, "--format", "json")
    assert (ran.code, json.loads(ran.stdout)) == (0, [])


# -- exit codes ---------------------------------------------------------------------------------------
def test_warnings_alone_exit_0(repo: Path) -> None:
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + "repository_public = true\n", encoding="utf-8"
    )
    ran = validate(repo, "--format", "github")
    assert ran.code == 0, ran.output
    warnings = [line for line in ran.stdout.splitlines() if line.startswith("::warning ")]
    assert len(warnings) == 7  # every example names a person (by first name)
    assert all("personal-data-public" in line for line in warnings)
    assert ran.stdout.endswith("7 files checked: 0 errors, 7 warnings\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "yaml"], "Invalid value for '--format'"),
        (["no/such/file.md"], "no/such/file.md: no such file or folder"),
        (["--today", "2026-13-01"], "'2026-13-01' is not a date like 2026-11-28"),
        (["--root", "no-such-folder"], "Invalid value for '--root'"),
        (["--frobnicate"], "No such option '--frobnicate'"),
    ],
)
def test_bad_usage_exits_2_with_a_message(repo: Path, args: list[str], message: str) -> None:
    ran = feedbackloop("validate", *args, cwd=repo)
    assert ran.code == 2, ran.output
    assert message in ran.stderr
    assert_no_traceback(ran)


# -- the job summary ---------------------------------------------------------------------------------------
def test_the_job_summary_lists_the_problems(typo: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("### An earlier step\n\n", encoding="utf-8")
    ran = validate(typo, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert ran.code == 1
    written = summary.read_text(encoding="utf-8")
    assert written.startswith("### An earlier step\n\n### Interview files\n\n8 files checked: 1 error")
    assert f"| `{TYPO}:5` | error | `status` `complted` is not one of" in written
    assert "| write one of: scheduled, completed, cancelled, no-show |" in written


def test_the_job_summary_of_a_clean_run(repo: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    assert validate(repo, env={"GITHUB_STEP_SUMMARY": str(summary)}).code == 0
    assert (
        summary.read_text(encoding="utf-8")
        == "### Interview files\n\n✅ 7 files checked: 0 errors, 0 warnings\n\n"
    )


def test_no_summary_is_written_without_the_variable(typo: Path) -> None:
    before = set(typo.rglob("*"))
    validate(typo)
    assert set(typo.rglob("*")) == before


# -- --changed ---------------------------------------------------------------------------------------------
@pytest.fixture
def branch(repo: Path, tmp_path: Path) -> tuple[Path, str]:
    """A clone of the team's repository (so origin/main exists) on a branch with one new bad file;
    main already holds a bad file the branch did not touch."""
    add(repo, "interviews/2026/2026-11-19-old.md", interview("2026-11-19-old").replace("Joe", "Joe Bloggs"))
    base = commit(repo, "An old mistake on main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(repo), str(clone))
    git(clone, "checkout", "--quiet", "-b", "add-interview")
    add(clone, TYPO, interview("2026-11-20-typo").replace("status: completed", "status: complted"))
    commit(clone, "Add an interview")
    return clone, base


def test_changed_checks_only_the_files_the_branch_changed(branch: tuple[Path, str]) -> None:
    clone, _ = branch
    ran = validate(clone, "--changed")
    assert ran.code == 1
    assert ran.stdout.splitlines()[0].startswith(f"{TYPO}:5:9: error:")
    assert "2026-11-19-old" not in ran.stdout
    assert ran.stdout.endswith("1 file checked: 1 error, 0 warnings\n")
    full = validate(clone)
    assert "2026-11-19-old.md:8:15: error:" in full.stdout  # main's mistake is there when asked


def test_changed_takes_the_base_from_the_pull_request_event(branch: tuple[Path, str], tmp_path: Path) -> None:
    clone, base = branch
    git(clone, "update-ref", "-d", "refs/remotes/origin/main")  # only the event can say what the base is
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"action": "synchronize", "pull_request": {"number": 7, "base": {"sha": base}}})
    )
    ran = validate(clone, "--changed", "--format", "github", env={"GITHUB_EVENT_PATH": str(event)})
    assert ran.code == 1, ran.output
    assert ran.stdout.splitlines() == [
        f"::error file={TYPO},line=5,col=9,title=feedbackloop bad-value::`status` `complted` is not one of "
        "scheduled, completed, cancelled, no-show. Did you mean `completed`? Fix: write one of: "
        "scheduled, completed, cancelled, no-show",
        "1 file checked: 1 error, 0 warnings",
    ]


def test_changed_with_a_base_that_cannot_be_found_exits_2_and_says_how_to_fix_it(
    branch: tuple[Path, str], tmp_path: Path
) -> None:
    clone, _ = branch
    git(clone, "update-ref", "-d", "refs/remotes/origin/main")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    ran = validate(clone, "--changed", env=env)
    assert ran.code == 2
    assert_no_traceback(ran)
    assert ran.stderr.startswith("error: git cannot compare with origin/main")
    assert "fetch-depth: 0" in ran.stderr
    assert ran.stdout.startswith("::error::git cannot compare with origin/main")
    written = summary.read_text(encoding="utf-8")
    assert written.startswith("### feedbackloop validate failed\n\ngit cannot compare with origin/main")
    assert "**Fix:** fetch the base branch" in written


def test_changed_with_nothing_changed(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(repo), str(clone))
    ran = validate(clone, "--changed")
    assert (ran.code, ran.stdout) == (0, "No interview files changed.\n")


def test_changed_sees_a_file_not_committed_yet_and_not_a_deleted_one(branch: tuple[Path, str]) -> None:
    clone, _ = branch
    (clone / TYPO).unlink()  # committed on the branch, deleted since
    draft = "interviews/2026/2026-11-21-draft.md"
    add(clone, draft, interview("2026-11-21-draft", extra="sumary: x\n"))
    ran = validate(clone, "--changed")
    assert ran.code == 1, ran.output
    assert ran.stdout.splitlines() == [
        f"{draft}:14:1: error: `sumary` is not a field. Did you mean `summary`? Fix: fields here are: "
        "id, kind, example, date, user, requests, published, topic, time, status, interviewers, "
        "recruited_via, recording, summary, questions, reward, follow_up [unknown-key]",
        "1 file checked: 1 error, 0 warnings",
    ]


# -- paths ---------------------------------------------------------------------------------------------------
def test_a_file_outside_interviews_is_read_and_told_where_it_belongs(repo: Path) -> None:
    draft = add(repo, "drafts/2026-11-20-draft.md", interview("2026-11-20-draft"))
    ran = validate(repo, draft)
    assert ran.code == 1
    assert ran.stdout.splitlines() == [
        "drafts/2026-11-20-draft.md:2:5: error: the file should be at interviews/2026/2026-11-20-draft.md. "
        "Fix: move it: git mv drafts/2026-11-20-draft.md interviews/2026/2026-11-20-draft.md [wrong-place]",
        "1 file checked: 1 error, 0 warnings",
    ]


def test_a_folder_stands_for_the_records_in_it_and_a_readme_is_not_one(repo: Path) -> None:
    add(repo, "interviews/README.md", "# Our interviews\n\nOne file per call.\n")
    add(repo, "interviews/2025/README.md", "Last year's.\n")
    assert validate(repo).stdout == "7 files checked: 0 errors, 0 warnings\n"
    assert validate(repo, "interviews").stdout == "7 files checked: 0 errors, 0 warnings\n"
    assert validate(repo, "interviews/README.md").stdout == "0 files checked: 0 errors, 0 warnings\n"
    only_2026 = validate(repo, repo / "interviews" / "2026")
    assert (only_2026.code, only_2026.stdout) == (0, "7 files checked: 0 errors, 0 warnings\n")


def test_problems_are_reported_for_the_files_asked_about_only(typo: Path) -> None:
    ran = validate(typo, "interviews/2026/2026-11-18-web-analytics-joe.md")
    assert (ran.code, ran.stdout) == (0, "1 file checked: 0 errors, 0 warnings\n")


# -- file names ----------------------------------------------------------------------------------------------
MISNAMED = ("interviews/2026/2026-11-20-upper.MD", "interviews/2026/2026-11-21-long.markdown")


def _misnamed_line(path: str) -> str:
    suffix = path[path.rindex(".") :]
    right = path.removesuffix(suffix) + ".md"
    return (
        f"{path}:1:1: error: the file name ends in `{suffix}`: only `.md` files are interview files, so "
        f"this one is not checked, published or reminded about. Fix: rename it: git mv {path} {right} "
        "[wrong-file-name]"
    )


def test_a_markdown_file_not_named_md_is_reported_not_skipped(repo: Path) -> None:
    for path in MISNAMED:
        add(repo, path, interview(path.split("/")[-1].split(".")[0]))
    add(repo, "interviews/README.markdown", "# Our interviews\n")  # a README is not a record
    add(repo, "interviews/2026/notes.txt", "not markdown: not ours\n")

    every = validate(repo)
    folder = validate(repo, "interviews/2026")
    one = validate(repo, MISNAMED[0])

    for ran in (every, folder):
        assert ran.code == 1, ran.output
        assert ran.stdout.splitlines() == [
            *map(_misnamed_line, MISNAMED),
            "9 files checked: 2 errors, 0 warnings",
        ]
    assert one.stdout.splitlines() == [_misnamed_line(MISNAMED[0]), "1 file checked: 1 error, 0 warnings"]
    status = feedbackloop("status", "--all", "--today", TODAY, cwd=repo)
    assert "2 files could not be read" in status.stdout


def test_changed_reports_a_misnamed_file_the_branch_added(branch: tuple[Path, str]) -> None:
    clone, _ = branch
    add(clone, MISNAMED[0], interview("2026-11-20-upper"))
    ran = validate(clone, "--changed")
    assert ran.code == 1, ran.output
    assert _misnamed_line(MISNAMED[0]) in ran.stdout.splitlines()
    assert ran.stdout.endswith("2 files checked: 2 errors, 0 warnings\n")


def test_the_pre_commit_hook_passes_every_interview_file_and_what_is_misnamed_there() -> None:
    [hook] = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    files = re.compile(hook["files"])
    for path in ("interviews/2026/2026-11-20-x.md", *MISNAMED, "interviews/2026/x.mkd"):
        assert files.search(path), path
    for path in ("README.md", "docs/interviews/x.md", "templates/interview.md.j2", "interviews/2026/x.txt"):
        assert not files.search(path), path
    # a custom interviews_dir needs the hook's `files` overridden: the README says how
    assert "(`files: ^research/interviews/`)" in (PROJECT / "README.md").read_text(encoding="utf-8")


def test_a_readme_passed_by_name_is_not_a_record(repo: Path) -> None:
    add(repo, "interviews/README.markdown", "# Our interviews\n")
    ran = validate(repo, "interviews/README.markdown")
    assert (ran.code, ran.stdout) == (0, "0 files checked: 0 errors, 0 warnings\n")
