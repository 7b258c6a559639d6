"""One publish at a time, whoever runs it: a lease held by a git ref on GitHub.

Every effect is found again by its key before it is made. That keeps a re-run and a killed run
exactly once, but not two runs at the same moment: both look, both find nothing, both file an issue.
The workflow's concurrency group prevents that in Actions; a laptop run during a workflow run, or a
workflow without the group, is prevented here. GitHub creates a ref atomically (a second create of
the same name is refused), so a ref is the lock: `refs/feedbackloop/publish` points at a commit object
whose message names the holder and whose date is when it was taken. Nothing else refers to that
commit; deleting the ref releases the lock.

A run that finds the lock held stops before doing anything. A lock older than LEASE, or held by an
earlier attempt of the same workflow run (GitHub never runs two attempts of one run at once, so that
one was killed), is taken over with a compare-and-swap: a fast forward from the stale lock's commit,
which only one of two runs taking it over at once can make.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feedbackloop.config import Environment
from feedbackloop.git import checked_out, rev_parse
from feedbackloop.services.github import GitHub
from feedbackloop.services.retry import ServiceError

REF = "refs/feedbackloop/publish"
LEASE = timedelta(minutes=30)  # twice publish.yml's timeout: a holder older than this is dead
_HOLDER = re.compile(r"^holder: (?P<name>.+?)(?: attempt (?P<attempt>\d+))?$", re.MULTILINE)


@dataclass(frozen=True)
class Holder:
    name: str  # "run 123" (a workflow run) or "host pid 4567" (a laptop)
    attempt: int = 0
    since: datetime | None = None

    def line(self) -> str:
        return f"holder: {self.name}" + (f" attempt {self.attempt}" if self.attempt else "")

    def describe(self) -> str:
        since = (
            f" since {self.since:%Y-%m-%d %H:%M} UTC"
            if self.since
            else f", since when unknown: if no publish is running, delete the ref {REF}"
        )
        attempt = f" (attempt {self.attempt})" if self.attempt else ""
        return f"{self.name}{attempt}{since}"


def holder(env: Environment) -> Holder:
    """Who this process is: its workflow run and attempt, or its host and process id."""
    run = env.get("GITHUB_RUN_ID")
    if run:
        attempt = env.get("GITHUB_RUN_ATTEMPT", "1")
        return Holder(f"run {run}", int(attempt) if attempt.isdigit() else 1)
    return Holder(f"{socket.gethostname()} pid {os.getpid()}")


def _parse(message: str, when: datetime | None) -> Holder:
    found = _HOLDER.search(message)
    if found is None:
        return Holder("someone", 0, when)
    return Holder(found["name"], int(found["attempt"] or 0), when)


def _stale(theirs: Holder, me: Holder, now: datetime) -> bool:
    if theirs.name == me.name and me.attempt and theirs.attempt < me.attempt:
        return True  # an earlier attempt of this very run: it was killed or cancelled
    # A holder whose commit could not be read is taken for alive: taking its lock over at once would
    # let two runs work side by side (and a quick run's release skips its ownership check).
    return theirs.since is not None and now - theirs.since > LEASE


@dataclass
class Lock:
    github: GitHub
    repo: str
    commit: str
    taken: datetime

    def release(self, now: datetime) -> None:
        """Delete the lock. Held past half its lease (a slow laptop run), it may have been taken over
        since: then it is read first, and another run's lock stays. A quicker run saves the read:
        nobody takes over a lock younger than its lease."""
        if now - self.taken >= LEASE / 2 and self.github.ref(self.repo, REF) != self.commit:
            return
        self.github.delete_ref(self.repo, REF)


class Held(Exception):
    """Another publish holds the lock."""

    def __init__(self, theirs: Holder) -> None:
        super().__init__(theirs.describe())
        self.theirs = theirs


def acquire(
    github: GitHub, repo: str, branch: str, tree: str | None, env: Environment, now: datetime
) -> Lock:
    """Take the lock (two requests when it is free), or raise Held.

    The lock's commit uses `tree` (the checked-out commit's), or the branch head's when GitHub does
    not have it (a laptop's commit that was never pushed)."""
    me = holder(env)
    message = f"feedbackloop publish lock\n\n{me.line()}\n"
    commit = github.write_commit(repo, tree, [], message, now) if tree else None
    if tree is None or commit is None:
        head = github.branch_head(repo, branch)
        if head is None:
            raise ServiceError(
                "github", f"{repo} has no branch {branch}", "set `branch` in [tool.feedbackloop]"
            )
        tree = github.commit_tree(repo, head)
        commit = github.write_commit(repo, tree, [], message, now)
        if commit is None:
            raise ServiceError("github", f"GitHub refused the publish lock's commit in {repo}")
    for _ in range(2):  # the lock may be released between our create and our read
        if github.create_ref(repo, REF, commit):
            return Lock(github, repo, commit, now)
        current = github.ref(repo, REF)
        if current is None:
            continue
        if current == commit:  # ours: the create went through but its answer was lost
            return Lock(github, repo, commit, now)
        read = github.read_commit(repo, current)
        theirs = _parse(*read) if read else Holder("someone")
        if not _stale(theirs, me, now.astimezone(UTC)):
            raise Held(theirs)
        takeover = github.write_commit(repo, tree, [current], message, now)
        if takeover is not None and github.advance_ref(repo, REF, takeover):
            return Lock(github, repo, takeover, now)
        raise Held(theirs)  # another run took it over first
    # Refused, yet not there: GitHub will not make this ref (a ruleset on refs, say).
    raise ServiceError("github", f"GitHub refused to create {REF}", "", 422)


def clear_own(github: GitHub, repo: str, env: Environment) -> bool:
    """Delete the lock if this very workflow run holds it: an earlier attempt (GitHub never runs two
    attempts of one run at once: that one is dead), or this one (its create went through, the answer
    was lost); whether it did.

    For a run that went on without the lock because GitHub failed while it took it: left in place,
    that lock would stop every other run until its lease ran out."""
    me = holder(env)
    current = github.ref(repo, REF) if me.attempt else None
    read = github.read_commit(repo, current) if current else None
    if read is None:
        return False
    theirs = _parse(*read)
    if theirs.name != me.name or theirs.attempt > me.attempt:
        return False
    github.delete_ref(repo, REF)
    return True


def take(github: GitHub, repo: str, branch: str, root: Path, env: Environment, now: datetime) -> Lock:
    """`acquire` for the commit checked out at `root`: the workflow's GITHUB_SHA, else HEAD."""
    local = checked_out(root, env)
    tree = rev_parse(root, f"{local}^{{tree}}") if local else None
    return acquire(github, repo, branch, tree, env, now)


def free(github: GitHub, repo: str, env: Environment, lock: Lock | None, now: datetime) -> None:
    """Free what this run holds: its lock, or, when it went on without one (GitHub failed while it
    took it), a lock its killed attempt or its own lost answer left, which would stop the next runs."""
    if lock is not None:
        lock.release(now)
    else:
        clear_own(github, repo, env)
