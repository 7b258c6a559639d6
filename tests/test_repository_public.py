"""Validation warns when the repository is public and records hold personal data: by the
`repository_public` setting, or by what GitHub's event file says of the repository (no request)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from feedbackloop.actions import repository_public
from feedbackloop.config import Environment
from helpers_repo import commit, feedbackloop, make_repo

PATH = "interviews/2026/2026-11-20-web-analytics-p1.md"
FORGOTTEN = "interviews/2026/2026-11-21-surveys-p2.md"
ANONYMOUS = "interviews/2026/2026-11-22-replay-p3.md"


def record(record_id: str, user: str) -> str:
    return (
        f"---\nid: {record_id}\ntopic: Web analytics\ndate: {record_id[:10]}\nstatus: scheduled\n"
        f"interviewers: [alice]\nuser:\n{user}---\n"
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo", pyproject="[tool.feedbackloop]\n")
    files = {
        PATH: record("2026-11-20-web-analytics-p1", "  first_name: Joe\n  company: Acme\n"),
        FORGOTTEN: record("2026-11-21-surveys-p2", "  forgotten_on: 2026-11-25\n"),
        # a profile link alone is personal data too
        ANONYMOUS: record(
            "2026-11-22-replay-p3",
            "  first_name: Ana\n  profile: https://us.posthog.com/project/2/person/x\n",
        ),
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    commit(root, "Interviews")
    return root


def warned(root: Path, env: dict[str, str] | None = None) -> list[str]:
    ran = feedbackloop("validate", "--format", "json", "--today", "2026-11-28", cwd=root, env=env)
    assert ran.code == 0, ran.output  # a warning never fails the check
    return sorted(p["path"] for p in json.loads(ran.stdout) if p["code"] == "personal-data-public")


def event(tmp_path: Path, payload: dict[str, Any]) -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(path)}


def test_a_private_repository_gets_no_warning(repo: Path) -> None:
    assert warned(repo) == []


def test_the_setting_warns_for_every_record_that_holds_personal_data(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[tool.feedbackloop]\nrepository_public = true\n", encoding="utf-8")

    assert warned(repo) == [PATH, ANONYMOUS]  # not the forgotten one: it holds no one


def test_a_public_repository_by_githubs_event_warns_without_the_setting(repo: Path, tmp_path: Path) -> None:
    public = {"repository": {"full_name": "acme/interviews", "private": False, "visibility": "public"}}
    assert warned(repo, event(tmp_path, public)) == [PATH, ANONYMOUS]

    ran = feedbackloop(
        "validate", "--format", "github", "--today", "2026-11-28", cwd=repo, env=event(tmp_path, public)
    )
    [line] = [line for line in ran.stdout.splitlines() if f"file={PATH}," in line]
    assert line.startswith("::warning ")
    assert "make the repository private" in line
    assert "Joe" not in ran.output  # the warning names the file, not the person


@pytest.mark.parametrize(
    "payload",
    [
        {"repository": {"private": True, "visibility": "private"}},
        {"repository": {"private": True, "visibility": "internal"}},
        {"repository": {"private": True}},
        {"schedule": "17 8 * * 1-5"},  # a scheduled run's event says nothing of the repository
        {"repository": "acme/interviews"},
    ],
)
def test_a_private_or_unknown_visibility_gets_no_warning(
    repo: Path, tmp_path: Path, payload: dict[str, Any]
) -> None:
    assert warned(repo, event(tmp_path, payload)) == []


def test_what_the_event_file_says(tmp_path: Path) -> None:
    def said(text: str | None) -> bool | None:
        path = tmp_path / "event.json"
        if text is not None:
            path.write_text(text, encoding="utf-8")
        return repository_public(Environment({"GITHUB_EVENT_PATH": str(path)}))

    assert said('{"repository": {"private": false}}') is True
    assert said('{"repository": {"private": true}}') is False
    assert said('{"repository": {"private": false, "visibility": "internal"}}') is False
    assert said('{"repository": {"visibility": "public"}}') is True
    assert said('{"repository": {"private": "no"}}') is None
    assert said("[1, 2]") is None
    assert said("not json") is None
    (tmp_path / "event.json").unlink()
    assert said(None) is None  # no such file
    assert repository_public(Environment({})) is None  # not in Actions
