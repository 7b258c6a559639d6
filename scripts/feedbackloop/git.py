"""Local git, read only: where the repository is, what a pull request changed, what HEAD holds."""

from __future__ import annotations

import subprocess
from pathlib import Path

from feedbackloop.actions import event
from feedbackloop.config import Environment
from feedbackloop.errors import UsageError


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def git_root(start: Path) -> Path:
    """The top of the git work tree holding `start`, or `start` itself outside git."""
    try:
        found = _git(start, "rev-parse", "--show-toplevel")
    except OSError:
        return start
    return Path(found.stdout.strip()) if found.returncode == 0 and found.stdout.strip() else start


def rev_parse(root: Path, rev: str) -> str | None:
    found = _git(root, "rev-parse", "--verify", "--quiet", rev)
    return found.stdout.strip() if found.returncode == 0 else None


def checked_out(root: Path, env: Environment) -> str | None:
    """The commit this run works from: the workflow's GITHUB_SHA, else HEAD (a laptop)."""
    return env.get("GITHUB_SHA") or rev_parse(root, "HEAD")


def pull_request_base(env: Environment) -> str | None:
    """The base commit of the pull request in the event file, when running on one."""
    base = ((event(env) or {}).get("pull_request") or {}).get("base") or {}
    sha = base.get("sha")
    return sha if isinstance(sha, str) and len(sha) == 40 else None


def changed_files(root: Path, base: str, folder: str, suffix: str = ".md") -> list[Path]:
    """Files under `folder` (a file or folder) ending in `suffix`, added or modified since the merge
    base of `base` and HEAD: in the commits since, and (on a laptop, before committing) in the working
    tree, untracked ones too."""
    found = _git(
        root, "diff", "--relative", "--name-only", "--diff-filter=d", "-z", f"{base}...HEAD", "--", folder
    )
    if found.returncode != 0:
        raise UsageError(
            f"git cannot compare with {base}: {found.stderr.strip()}",
            "fetch the base branch (actions/checkout with fetch-depth: 0), or pass files to validate",
        )
    names = set(found.stdout.split("\0"))
    # In CI the working tree is clean and these add nothing.
    names |= set(
        _git(
            root, "diff", "--relative", "--name-only", "--diff-filter=d", "-z", "HEAD", "--", folder
        ).stdout.split("\0")
    )
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", folder)
    names |= set(untracked.stdout.split("\0"))
    return [root / name for name in sorted(names) if name.endswith(suffix) and (root / name).is_file()]


def adding_commit(root: Path, path: str) -> str | None:
    """The commit that added `path` (moving a file adds it), as far as the local history reaches:
    in a shallow clone, the oldest commit there is."""
    found = _git(root, "log", "--no-renames", "--diff-filter=A", "--format=%H", "-1", "--", path)
    sha = found.stdout.strip()
    return sha if found.returncode == 0 and sha else None
