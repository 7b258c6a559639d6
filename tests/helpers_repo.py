"""Real git repositories and the real command line, for the command tests.

A module rather than conftest.py fixtures: tests import what they use, by name. Every repository is
a `git init` in a temporary folder holding a copy of this project's pyproject.toml and templates/
(and, when asked, the example interviews), committed on `main`, as a team's repository would be.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"
TODAY = "2026-11-28"  # the examples are dated around it (as in tasks.py)

# Variables a runner or a developer's shell may set that would change what a command does.
_LEAKY_PREFIXES = ("GITHUB_", "GIT_", "RUNNER_", "SLACK_", "GOOGLE_", "SHOPIFY_", "POSTHOG_")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a laptop with no CI, no tokens and no personal git configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_LEAKY_PREFIXES) and k != "CI"}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.invalid",
        PYTHONDONTWRITEBYTECODE="1",
        NO_COLOR="1",
    )
    env.update(extra or {})
    return env


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, env=clean_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
    return done.stdout.strip()


def commit(root: Path, message: str, *paths: str) -> str:
    """Stage `paths` (everything when none), commit, and return the new commit's sha."""
    git(root, "add", "--", *(paths or (".",)))
    git(root, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD")


def make_repo(path: Path, *, examples: bool = False, pyproject: str | None = None) -> Path:
    """A team's repository: pyproject.toml, templates/ and (optionally) the example interviews."""
    path.mkdir(parents=True, exist_ok=True)
    if pyproject is None:
        shutil.copy(PROJECT / "pyproject.toml", path / "pyproject.toml")
    else:
        (path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    shutil.copytree(PROJECT / "templates", path / "templates")
    if examples:
        shutil.copytree(PROJECT / "interviews", path / "interviews")
    git(path, "init", "--quiet", "--initial-branch=main")
    commit(path, "Start from the template")
    return path


def copy_corpus(name: str, target: Path) -> Path:
    """A copy of tests/corpus/<name> (a small repository of its own) that a test may add to."""
    shutil.copytree(CORPUS / name, target)
    return target


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def feedbackloop(
    *args: str | Path,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdin: str = "",
    timeout: float = 60,
) -> Ran:
    """Run `python -m feedbackloop ARGS` as a user would (stdin is not a terminal)."""
    done = subprocess.run(
        [sys.executable, "-m", "feedbackloop", *map(str, args)],
        cwd=cwd,
        env=clean_env(env),
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def assert_no_traceback(ran: Ran) -> None:
    assert "Traceback" not in ran.output, ran.output
