"""GitHub, through PyGithub: issues, comments, the git data API for write-backs, pull requests.

Thin: every method is one request (or one page), returns plain values, and goes through the shared
retries and budget. PyGithub's own retries and write throttling are off: they sleep for real and hide
requests from the budget; `services.retry` does both instead.
"""

from __future__ import annotations

import base64
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException

from feedbackloop.services.retry import Budget, Failure, Policy, ServiceError, call, retry_after_seconds

T = TypeVar("T")

PER_PAGE = 100
SERVICE = "github"


@dataclass(frozen=True, slots=True)
class Issue:
    repo: str
    number: int
    url: str  # the html_url people open
    title: str
    body: str
    state: str  # open | closed
    state_reason: str | None
    closed_at: datetime | None
    labels: tuple[str, ...] = ()
    is_pull_request: bool = False


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    url: str
    body: str


@dataclass(frozen=True, slots=True)
class PullRequest:
    number: int
    url: str
    head: str
    state: str
    draft: bool
    body: str
    merged: bool = False
    assignees: tuple[str, ...] = ()
    title: str = ""


def _issue(repo: str, raw: Any) -> Issue:
    """An issue from its JSON (PyGithub objects give theirs as `raw_data`, without a request)."""
    data: dict[str, Any] = raw if isinstance(raw, dict) else raw._rawData
    closed_at = data.get("closed_at")
    return Issue(
        repo=repo,
        number=int(data["number"]),
        url=str(data["html_url"]),
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        state=str(data.get("state") or "open"),
        state_reason=data.get("state_reason"),
        closed_at=datetime.fromisoformat(closed_at.replace("Z", "+00:00")) if closed_at else None,
        labels=tuple(str(label["name"]) for label in data.get("labels") or () if isinstance(label, dict)),
        is_pull_request="pull_request" in data,
    )


def _pull(data: dict[str, Any]) -> PullRequest:
    """A pull request from its JSON (PyGithub's objects: their `_rawData`, as listed, since reading an
    absent field of one would fetch it)."""
    return PullRequest(
        int(data["number"]),
        str(data["html_url"]),
        str(data["head"]["ref"]),
        str(data["state"]),
        bool(data.get("draft")),
        str(data.get("body") or ""),
        bool(data.get("merged_at")),
        tuple(str(a["login"]) for a in data.get("assignees") or () if isinstance(a, dict)),
        str(data.get("title") or ""),
    )


class GitHub:
    def __init__(self, token: str, api_url: str, policy: Policy, budget: Budget) -> None:
        self.policy = policy
        self.budget = budget
        self.client = Github(
            base_url=api_url.rstrip("/"),
            auth=Auth.Token(token),
            timeout=max(1, math.ceil(policy.timeout)),  # PyGithub takes whole seconds; int() made 0.5 s 0
            per_page=PER_PAGE,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
            lazy=True,
        )

    # -- the shared wrapper ----------------------------------------------------------------------
    def _classify(self, error: Exception) -> Failure | None:
        if isinstance(error, GithubException):
            status = error.status
            headers = error.headers or {}
            if "x-ratelimit-remaining" in headers:
                self.budget.rate_left[SERVICE] = int(headers["x-ratelimit-remaining"])
            message = (
                (error.data or {}).get("message", "") if isinstance(error.data, dict) else str(error.data)
            )
            details = (error.data or {}).get("errors") if isinstance(error.data, dict) else None
            if isinstance(details, list):  # "Validation Failed" says why only in its errors
                why = [str(d["message"]) for d in details if isinstance(d, dict) and d.get("message")]
                message = "; ".join([message, *why]) if why else message
            limited = status == 429 or (
                status == 403 and ("rate limit" in message.lower() or "retry-after" in headers)
            )
            wait = retry_after_seconds(headers, self.policy.clock()) if limited else None
            if limited and wait is None:
                wait = 60.0  # a secondary rate limit without a hint: GitHub asks for at least a minute
            return Failure(
                status,
                f"HTTP {status}: {message}".rstrip(": "),
                wait,
                transient=limited or status >= 500,
                fix=_fix(status),
            )
        if isinstance(error, requests.exceptions.RequestException):
            return Failure(None, f"no answer ({type(error).__name__})")
        return None

    def _call(self, what: str, fn: Callable[[], T], *, idempotent: bool) -> T:
        result = call(
            fn,
            service=SERVICE,
            what=what,
            classify=self._classify,
            policy=self.policy,
            budget=self.budget,
            idempotent=idempotent,
        )
        remaining, _ = self.client.rate_limiting
        if remaining >= 0:
            self.budget.rate_left[SERVICE] = remaining
        return result

    def _unless(self, status: int, what: str, fn: Callable[[], T], *, idempotent: bool = True) -> T | None:
        """`fn`'s result, or None when GitHub answers `status` (a 404 that means "not there")."""
        try:
            return self._call(what, fn, idempotent=idempotent)
        except ServiceError as error:
            if error.status == status:
                return None
            raise

    def _repo(self, repo: str) -> Any:
        return self.client.get_repo(repo)  # lazy: the client is made with lazy=True

    def _pages(self, what: str, path: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item of a listing as JSON, one counted request per page of 100.

        Raw JSON rather than PyGithub's lazy objects: reading a field a listing leaves out makes
        those objects fetch the item again, one hidden request each."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            fetch = functools.partial(
                self.client.requester.requestJsonAndCheck,
                "GET",
                path,
                parameters={**parameters, "per_page": PER_PAGE, "page": page},
            )
            _, batch = self._call(f"{what} (page {page})", fetch, idempotent=True)
            items.extend(batch)
            if len(batch) < PER_PAGE:
                return items
            page += 1

    # -- issues ----------------------------------------------------------------------------------
    def labeled_issues(
        self, repo: str, label: str, since: datetime | None = None, state: str = "all"
    ) -> list[Issue]:
        """Issues (not pull requests) with `label`, updated since `since`: one request per 100."""
        parameters: dict[str, Any] = {"labels": label, "state": state, "sort": "created", "direction": "asc"}
        if since is not None:
            parameters["since"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        raws = self._pages(f"list {repo} issues labelled {label}", f"/repos/{repo}/issues", parameters)
        return [_issue(repo, raw) for raw in raws if "pull_request" not in raw]

    def create_issue(self, repo: str, title: str, body: str, labels: list[str]) -> Issue:
        raw = self._call(
            f"file an issue in {repo}",
            lambda: self._repo(repo).create_issue(title=title, body=body, labels=labels),
            idempotent=False,
        )
        return _issue(repo, raw)

    def get_issue(self, repo: str, number: int) -> Issue:
        _, raw = self._call(
            f"read {repo}#{number}",
            lambda: self.client.requester.requestJsonAndCheck("GET", f"/repos/{repo}/issues/{number}"),
            idempotent=True,
        )
        return _issue(repo, raw)

    def edit_issue(self, repo: str, number: int, **fields: Any) -> None:
        """Set fields of an issue (title, body, state, state_reason, labels); repeating it is harmless."""
        self._call(
            f"edit {repo}#{number}",
            lambda: self.client.requester.requestJsonAndCheck(
                "PATCH", f"/repos/{repo}/issues/{number}", input=fields
            ),
            idempotent=True,
        )

    def comments(self, repo: str, number: int, since: datetime | None = None) -> list[Comment]:
        """An issue's comments (those updated since `since`): one request per 100."""
        parameters: dict[str, Any] = {}
        if since is not None:
            parameters["since"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        raws = self._pages(
            f"list comments of {repo}#{number}", f"/repos/{repo}/issues/{number}/comments", parameters
        )
        return [Comment(int(raw["id"]), str(raw["html_url"]), str(raw.get("body") or "")) for raw in raws]

    def create_comment(self, repo: str, number: int, body: str) -> Comment:
        raw = self._call(
            f"comment on {repo}#{number}",
            lambda: self._repo(repo).get_issue(number).create_comment(body),
            idempotent=False,
        )
        return Comment(raw.id, raw.html_url, raw.body or "")

    def edit_comment(self, repo: str, comment_id: int, body: str) -> None:
        self._call(
            f"edit a comment in {repo}",
            lambda: self.client.requester.requestJsonAndCheck(
                "PATCH", f"/repos/{repo}/issues/comments/{comment_id}", input={"body": body}
            ),
            idempotent=True,
        )

    def delete_comment(self, repo: str, comment_id: int) -> None:
        self._unless(
            404,  # already gone is what was wanted
            f"delete a comment in {repo}",
            lambda: self.client.requester.requestJsonAndCheck(
                "DELETE", f"/repos/{repo}/issues/comments/{comment_id}"
            ),
        )

    def assign(self, repo: str, number: int, logins: list[str]) -> None:
        self._call(
            f"assign {repo}#{number}",
            lambda: self.client.requester.requestJsonAndCheck(
                "POST", f"/repos/{repo}/issues/{number}/assignees", input={"assignees": logins}
            ),
            idempotent=True,
        )

    # -- git data: one commit without a checkout's credentials ----------------------------------
    def branch_head(self, repo: str, branch: str) -> str | None:
        found = self._unless(
            404,
            f"read {repo} {branch}",
            lambda: self.client.requester.requestJsonAndCheck("GET", f"/repos/{repo}/git/ref/heads/{branch}"),
        )
        return str(found[1]["object"]["sha"]) if found else None

    def commit_tree(self, repo: str, commit: str) -> str:
        _, data = self._call(
            f"read commit {commit[:7]}",
            lambda: self.client.requester.requestJsonAndCheck("GET", f"/repos/{repo}/git/commits/{commit}"),
            idempotent=True,
        )
        return str(data["tree"]["sha"])

    def file_text(self, repo: str, path: str, ref: str) -> str | None:
        found = self._unless(
            404,
            f"read {path}",
            lambda: self.client.requester.requestJsonAndCheck(
                "GET", f"/repos/{repo}/contents/{path}", parameters={"ref": ref}
            ),
        )
        return base64.b64decode(found[1]["content"]).decode("utf-8") if found else None

    def create_commit(
        self, repo: str, base_tree: str, parent: str, files: Mapping[str, str | None], message: str
    ) -> str:
        """A tree with `files` changed (None: removed) on top of `base_tree`, and a commit of it: two
        requests. Creating objects is idempotent in git (same content, same id), so these may be retried."""
        entries = [
            {"path": path, "mode": "100644", "type": "blob", "content": text}
            if text is not None
            else {"path": path, "mode": "100644", "type": "blob", "sha": None}
            for path, text in files.items()
        ]
        _, tree = self._call(
            "write a tree",
            lambda: self.client.requester.requestJsonAndCheck(
                "POST", f"/repos/{repo}/git/trees", input={"base_tree": base_tree, "tree": entries}
            ),
            idempotent=True,
        )
        _, commit = self._call(
            "write a commit",
            lambda: self.client.requester.requestJsonAndCheck(
                "POST",
                f"/repos/{repo}/git/commits",
                input={"message": message, "tree": tree["sha"], "parents": [parent]},
            ),
            idempotent=True,
        )
        return str(commit["sha"])

    def move_branch(self, repo: str, branch: str, commit: str) -> bool:
        """Fast-forward `branch` to `commit`; False when someone pushed meanwhile (not a fast forward)."""
        return self.advance_ref(repo, f"refs/heads/{branch}", commit)

    def create_branch(self, repo: str, branch: str, commit: str) -> bool:
        """Create `branch` at `commit`; False when it already exists."""
        return self.create_ref(repo, f"refs/heads/{branch}", commit)

    # -- refs: the publish lock ------------------------------------------------------------------
    def write_commit(
        self, repo: str, tree: str, parents: list[str], message: str, when: datetime
    ) -> str | None:
        """A commit object (no branch moves); None when GitHub does not have `tree`."""
        person = {"name": "feedbackloop", "email": "feedbackloop@users.noreply.github.com"}
        person["date"] = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        found = self._unless(
            422,
            "write a commit",
            lambda: self.client.requester.requestJsonAndCheck(
                "POST",
                f"/repos/{repo}/git/commits",
                input={
                    "message": message,
                    "tree": tree,
                    "parents": parents,
                    "author": person,
                    "committer": person,
                },
            ),
        )
        return str(found[1]["sha"]) if found else None

    def read_commit(self, repo: str, commit: str) -> tuple[str, datetime | None] | None:
        """A commit's message and author date, or None when it does not exist."""
        found = self._unless(
            404,
            f"read commit {commit[:7]}",
            lambda: self.client.requester.requestJsonAndCheck("GET", f"/repos/{repo}/git/commits/{commit}"),
        )
        if not found:
            return None
        data = found[1]
        try:
            when = datetime.fromisoformat(str(data["author"]["date"]).replace("Z", "+00:00"))
        except (KeyError, TypeError, ValueError):
            when = None
        return str(data.get("message", "")), when

    def ref(self, repo: str, ref: str) -> str | None:
        """What `ref` (refs/...) points at, or None."""
        found = self._unless(
            404,
            f"read {ref}",
            lambda: self.client.requester.requestJsonAndCheck(
                "GET", f"/repos/{repo}/git/ref/{ref.removeprefix('refs/')}"
            ),
        )
        return str(found[1]["object"]["sha"]) if found else None

    def create_ref(self, repo: str, ref: str, sha: str) -> bool:
        """Create `ref` (refs/...) at `sha`; False when it exists. GitHub does this atomically."""
        created = self._unless(
            422,
            f"create {ref}",
            lambda: self.client.requester.requestJsonAndCheck(
                "POST", f"/repos/{repo}/git/refs", input={"ref": ref, "sha": sha}
            ),
        )
        return created is not None

    def advance_ref(self, repo: str, ref: str, sha: str) -> bool:
        """Move `ref` to `sha` if that is a fast forward (compare-and-swap); False when it is not."""
        moved = self._unless(
            422,
            f"update {ref}",
            lambda: self.client.requester.requestJsonAndCheck(
                "PATCH", f"/repos/{repo}/git/{ref}", input={"sha": sha, "force": False}
            ),
        )
        return moved is not None

    def delete_ref(self, repo: str, ref: str) -> None:
        self._unless(  # already gone is what was wanted
            422,
            f"delete {ref}",
            lambda: self.client.requester.requestJsonAndCheck("DELETE", f"/repos/{repo}/git/{ref}"),
        )

    def put_file(self, repo: str, branch: str, path: str, text: str, blob: str, message: str) -> str | None:
        """Commit one file on `branch` (the contents API: one request), if it is still the blob `blob`;
        the commit, or None when the file changed meanwhile (409). Whatever else moved on the branch
        stays: the commit goes on top of its head."""
        content = base64.b64encode(text.encode("utf-8")).decode("ascii")
        found = self._unless(
            409,
            f"write {path}",
            lambda: self.client.requester.requestJsonAndCheck(
                "PUT",
                f"/repos/{repo}/contents/{path}",
                input={"message": message, "content": content, "sha": blob, "branch": branch},
            ),
        )
        return str(found[1]["commit"]["sha"]) if found else None

    def file(self, repo: str, path: str, ref: str) -> tuple[str, str] | None:
        """A file's text and blob id at `ref`, or None when it is not there."""
        found = self._unless(
            404,
            f"read {path}",
            lambda: self.client.requester.requestJsonAndCheck(
                "GET", f"/repos/{repo}/contents/{path}", parameters={"ref": ref}
            ),
        )
        if not found:
            return None
        return base64.b64decode(found[1]["content"]).decode("utf-8"), str(found[1]["sha"])

    # -- pull requests ---------------------------------------------------------------------------
    def pulls_for_commit(self, repo: str, commit: str) -> list[PullRequest]:
        _, data = self._call(
            f"find the pull request of {commit[:7]}",
            lambda: self.client.requester.requestJsonAndCheck("GET", f"/repos/{repo}/commits/{commit}/pulls"),
            idempotent=True,
        )
        return [_pull(p) for p in data]

    def open_pulls(self, repo: str) -> list[PullRequest]:
        """Every open pull request: one request per 100."""
        raws = self._pages(f"list {repo} open pull requests", f"/repos/{repo}/pulls", {"state": "open"})
        return [_pull(p) for p in raws]

    def find_pull(self, repo: str, owner: str, branch: str) -> PullRequest | None:
        listing = self._repo(repo).get_pulls(state="all", head=f"{owner}:{branch}")
        found = self._call(f"find the pull request of {branch}", lambda: listing.get_page(0), idempotent=True)
        return _pull(found[0]._rawData) if found else None

    def create_pull(self, repo: str, title: str, body: str, head: str, base: str, draft: bool) -> PullRequest:
        raw = self._call(
            f"open a pull request in {repo}",
            lambda: self._repo(repo).create_pull(title=title, body=body, head=head, base=base, draft=draft),
            idempotent=False,
        )
        return _pull(raw._rawData)

    def edit_pull(self, repo: str, number: int, **fields: Any) -> None:
        self._call(
            f"edit pull request #{number}",
            lambda: self.client.requester.requestJsonAndCheck(
                "PATCH", f"/repos/{repo}/pulls/{number}", input=fields
            ),
            idempotent=True,
        )


def _fix(status: int) -> str:
    if status == 401:
        return "GITHUB_TOKEN is not valid: check the secret"
    if status == 403:
        return "the token lacks a permission: the workflow needs `issues: write` and `contents: write`"
    if status == 404:
        return "the repository or issue does not exist, or the token cannot see it"
    if status == 422:
        return "GitHub refused the content: see the message"
    return "GitHub is failing: run again later"
