"""Write what a run learnt back into the records: one commit through GitHub's git data API.

No git credentials are left on the runner: the commit is made with the API from the commit the job
checked out. When someone pushed meanwhile, the branch is not a fast-forward of that commit: the files
are read again at the new head, the same ledger changes re-applied (they are keyed, not line numbers),
and the commit tried again. Without GitHub (a laptop run with only Slack, say) the files are edited in
place for the user to commit.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from feedbackloop.errors import FeedbackloopError
from feedbackloop.git import rev_parse
from feedbackloop.records.model import Key
from feedbackloop.records.writeback import Change, apply_changes
from feedbackloop.services.github import GitHub
from feedbackloop.services.retry import ServiceError

ATTEMPTS = 4


@dataclass
class Changes:
    """Ledger changes, by file, in the order they were learnt."""

    by_path: dict[str, dict[Key, Change]] = field(default_factory=lambda: defaultdict(dict))

    def set(self, path: str, key: Key, value: Change) -> None:
        self.by_path[path][key] = value

    def __bool__(self) -> bool:
        return any(self.by_path.values())

    @property
    def paths(self) -> list[str]:
        return sorted(path for path, changes in self.by_path.items() if changes)


@dataclass(frozen=True)
class Written:
    where: str  # "commit abc1234", "the working tree", "nothing"
    paths: tuple[str, ...]
    skipped: tuple[str, ...] = ()  # files whose change could not be applied (moved, rewritten)


def _apply_all(texts: dict[str, str | None], changes: Changes) -> tuple[dict[str, str], list[str]]:
    files: dict[str, str] = {}
    skipped: list[str] = []
    for path in changes.paths:
        text = texts.get(path)
        if text is None:
            skipped.append(path)
            continue
        try:
            new = apply_changes(text, changes.by_path[path])
        except FeedbackloopError:
            skipped.append(path)
            continue
        if new != text:
            files[path] = new
    return files, skipped


def _local_text(root: Path, commit: str, path: str) -> str | None:
    shown = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=root, capture_output=True, check=False)
    return shown.stdout.decode("utf-8") if shown.returncode == 0 else None


def commit_changes(
    github: GitHub, repo: str, branch: str, root: Path, changes: Changes, message: str, local_head: str | None
) -> Written:
    """One commit on `branch` with `changes`; re-read and retry when the branch moved meanwhile."""
    if not changes:
        return Written("nothing", ())
    if local_head and rev_parse(root, f"{local_head}^{{tree}}"):
        base_commit = local_head
        base_tree = rev_parse(root, f"{local_head}^{{tree}}") or ""
        texts = {path: _local_text(root, local_head, path) for path in changes.paths}
        blobs = {path: rev_parse(root, f"{local_head}:{path}") for path in changes.paths}
    else:
        base_commit, base_tree, texts, blobs = _remote(github, repo, branch, changes)
    for _ in range(ATTEMPTS):
        files, skipped = _apply_all(texts, changes)
        if not files:
            return Written("nothing", (), tuple(skipped))
        if len(files) == 1 and blobs.get(next(iter(files))):
            # One file (the usual run: one new interview): the contents API commits it in one
            # request instead of three, if the file is still the blob read; else it answers 409.
            path, text = next(iter(files.items()))
            commit = github.put_file(repo, branch, path, text, blobs[path] or "", message)
            if commit is not None:
                return Written(f"commit {commit[:7]}", (path,), tuple(skipped))
            found = github.file(repo, path, branch)
            texts[path], blobs[path] = found if found else (None, None)
            continue
        commit = github.create_commit(repo, base_tree, base_commit, files, message)
        if github.move_branch(repo, branch, commit):
            return Written(f"commit {commit[:7]}", tuple(sorted(files)), tuple(skipped))
        base_commit, base_tree, texts, blobs = _remote(github, repo, branch, changes)
    raise ServiceError(
        "github",
        f"could not write back to {branch}: it kept moving",
        "run again: what was published is found again and written back",
    )


def _remote(
    github: GitHub, repo: str, branch: str, changes: Changes
) -> tuple[str, str, dict[str, str | None], dict[str, str | None]]:
    head = github.branch_head(repo, branch)
    if head is None:
        raise ServiceError("github", f"{repo} has no branch {branch}", "set `branch` in [tool.feedbackloop]")
    tree = github.commit_tree(repo, head)
    texts: dict[str, str | None] = {}
    blobs: dict[str, str | None] = {}
    for path in changes.paths:
        found = github.file(repo, path, head)
        texts[path], blobs[path] = found if found else (None, None)
    return head, tree, texts, blobs


def write_files(root: Path, changes: Changes) -> Written:
    """Without GitHub: edit the files in the working tree."""
    texts: dict[str, str | None] = {}
    for path in changes.paths:
        try:  # bytes, not read_text: line endings stay as they are
            texts[path] = (root / path).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            texts[path] = None
    files, skipped = _apply_all(texts, changes)
    for path, text in files.items():
        (root / path).write_bytes(text.encode("utf-8"))
    return Written("the working tree" if files else "nothing", tuple(sorted(files)), tuple(skipped))
