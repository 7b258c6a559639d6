"""A stateful fake of the GitHub REST API, served over HTTP on 127.0.0.1 for the real PyGithub.

    fake = FakeGitHub(token="ghs_test").start()
    fake.add_repo("acme/interviews", default_branch="main", private=True, collaborators={"alice"})
    fake.import_git(local_repo, "acme/interviews")        # every object and ref of a real git repo
    gh = github.Github(base_url=fake.url.rstrip("/"), auth=github.Auth.Token("ghs_test"), retry=None,
                       seconds_between_requests=None, seconds_between_writes=None)
    ...
    fake.issues("acme/interviews")          # what the code under test made, as GitHub renders it
    fake.export_git("acme/interviews", local_repo, branch="main")   # then `git log`, `git show` it

What it models, the way GitHub does it:
- auth (`Authorization: token|Bearer <token>`, else 401), the core rate limit (headers on every answer,
  403 "API rate limit exceeded" once spent), a secondary limit on demand;
- a job's `GITHUB_TOKEN`: `grant(permissions)` makes a token holding a workflow job's `permissions:`,
  and a request it does not cover gets GitHub's 403 "Resource not accessible by integration" with the
  `X-Accepted-GitHub-Permissions` header (the permission each endpoint needs, as GitHub documents it);
- every request body is validated against GitHub's own OpenAPI request schema
  (specs/github-requests.json) and refused with 422 "Invalid request.\\n\\n..." as GitHub words it;
  plus the semantic checks GitHub makes (title <= 256, body <= 65536, assignees must be assignable,
  labels created on the fly, duplicate pull requests, fast-forward-only ref updates, contents sha checks);
- issues and pull requests share one numbering; pull requests show in the issue list with `pull_request`;
- git objects are real: ids are the sha1 git computes, so import/export round-trips through real git;
- list endpoints page with `per_page`/`page` and a `Link` header pointing at `/repositories/{id}/...`,
  exactly as api.github.com does (PyGithub follows it).
Faults (429, 5xx, dropped connections, slowness) come from FakeService.inject.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import difflib
import functools
import hashlib
import heapq
import itertools
import json
import re
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote, unquote, urlencode

import jsonschema

from .server import FakeService, Fault, HTTPError, Request, Response, route

SPEC_PATH = Path(__file__).with_name("specs") / "github-requests.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text())
DOCS = "https://docs.github.com/rest"
RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)
API_VERSION = "2022-11-28"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
TITLE_MAX = 256
BODY_MAX = 65536
ACTIONS_BOT = "github-actions[bot]"
ACTIONS_BOT_ID = 41898282

# The labels GitHub gives every new repository.
DEFAULT_LABELS: list[tuple[str, str, str]] = [
    ("bug", "d73a4a", "Something isn't working"),
    ("documentation", "0075ca", "Improvements or additions to documentation"),
    ("duplicate", "cfd3d7", "This issue or pull request already exists"),
    ("enhancement", "a2eeef", "New feature or request"),
    ("good first issue", "7057ff", "Good for newcomers"),
    ("help wanted", "008672", "Extra attention is needed"),
    ("invalid", "e4e669", "This doesn't seem right"),
    ("question", "d876e3", "Further information is requested"),
    ("wontfix", "ffffff", "This will not be worked on"),
]

_KIND_OF_MODE = {"100644": "blob", "100755": "blob", "120000": "blob", "040000": "tree", "160000": "commit"}


# -- git objects ---------------------------------------------------------------------------------------
def git_object_id(kind: str, raw: bytes) -> str:
    """The id git gives an object: sha1 of `<kind> <len>\\0<raw>`."""
    header = f"{kind} {len(raw)}".encode() + b"\0"
    return hashlib.sha1(header + raw, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class TreeEntry:
    mode: str  # as git stores it: "100644", "100755", "120000", "40000", "160000"
    name: str
    sha: str

    @property
    def kind(self) -> str:
        return {"40000": "tree", "160000": "commit"}.get(self.mode, "blob")

    @property
    def api_mode(self) -> str:
        return self.mode.rjust(6, "0")


def encode_tree(entries: Iterable[TreeEntry]) -> bytes:
    """The binary tree format, entries in git's order (a tree sorts as if its name ended in '/')."""

    def order(entry: TreeEntry) -> bytes:
        name = entry.name.encode("utf-8", "surrogateescape")
        return name + b"/" if entry.mode == "40000" else name

    return b"".join(
        f"{e.mode} ".encode() + e.name.encode("utf-8", "surrogateescape") + b"\0" + bytes.fromhex(e.sha)
        for e in sorted(entries, key=order)
    )


def decode_tree(raw: bytes) -> list[TreeEntry]:
    entries: list[TreeEntry] = []
    i = 0
    while i < len(raw):
        space = raw.index(b" ", i)
        nul = raw.index(b"\0", space)
        mode = raw[i:space].decode()
        name = raw[space + 1 : nul].decode("utf-8", "surrogateescape")
        entries.append(TreeEntry(mode, name, raw[nul + 1 : nul + 21].hex()))
        i = nul + 21
    return entries


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    when: datetime  # aware, in the person's own offset

    def encode(self) -> str:
        offset = self.when.strftime("%z") or "+0000"
        return f"{self.name} <{self.email}> {int(self.when.timestamp())} {offset}"

    @classmethod
    def decode(cls, text: str) -> Person:
        found = re.fullmatch(r"(.*?) ?<(.*)> (-?\d+) ([+-])(\d\d)(\d\d)", text)
        if not found:
            return cls(text, "", datetime.fromtimestamp(0, UTC))
        sign = -1 if found[4] == "-" else 1
        offset = timezone(sign * timedelta(hours=int(found[5]), minutes=int(found[6])))
        return cls(found[1], found[2], datetime.fromtimestamp(int(found[3]), offset))

    def api(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email, "date": _ts(self.when) or ""}


@dataclass
class CommitInfo:
    tree: str
    parents: list[str]
    author: Person
    committer: Person
    message: str

    @classmethod
    def decode(cls, raw: bytes) -> CommitInfo:
        text = raw.decode("utf-8", "surrogateescape")
        head, _, message = text.partition("\n\n")
        info = cls("", [], Person("", "", datetime.fromtimestamp(0, UTC)), Person("", "", _epoch()), message)
        for line in head.split("\n"):
            key, _, value = line.partition(" ")
            if key == "tree":
                info.tree = value
            elif key == "parent":
                info.parents.append(value)
            elif key == "author":
                info.author = Person.decode(value)
            elif key == "committer":
                info.committer = Person.decode(value)
        return info


def encode_commit(
    tree: str,
    parents: list[str],
    author: Person,
    committer: Person,
    message: str,
    signature: str | None = None,
) -> bytes:
    lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
    lines += [f"author {author.encode()}", f"committer {committer.encode()}"]
    if signature:
        lines.append("gpgsig " + signature.rstrip("\n").replace("\n", "\n "))
    return ("\n".join(lines) + "\n\n" + message).encode("utf-8", "surrogateescape")


def _epoch() -> datetime:
    return datetime.fromtimestamp(0, UTC)


def _ts(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace(" ", "+"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _b64_lines(raw: bytes) -> str:
    """Base64 the way GitHub (Ruby's Base64.encode64) sends it: 60-character lines, each ending in \\n."""
    text = base64.b64encode(raw).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


# -- GitHub-style validation messages -----------------------------------------------------------------
def _ruby(value: Any) -> str:
    """A JSON value as Ruby's inspect shows it (GitHub's messages quote values that way)."""
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_ruby(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} => {_ruby(v)}" for k, v in value.items()) + "}"
    return str(value)


def _kinds(schema: Any) -> list[str]:
    if not isinstance(schema, dict):
        return []
    if "type" in schema:
        kinds = schema["type"]
        return list(kinds) if isinstance(kinds, list) else [kinds]
    out: list[str] = []
    for key in ("oneOf", "anyOf"):
        for sub in schema.get(key, []):
            out += [k for k in _kinds(sub) if k not in out]
    return out


def _article(kinds: list[str]) -> str:
    words = [("an " if k[0] in "aeiou" else "a ") + k if k != "null" else "null" for k in kinds]
    return " or ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " or " + words[-1]


def _schema_message(error: jsonschema.ValidationError) -> list[str]:
    path = "/".join(str(p) for p in list(error.relative_schema_path)[:-1])
    if error.validator == "required":
        have = error.instance if isinstance(error.instance, dict) else {}
        return [f'"{key}" wasn\'t supplied.' for key in error.validator_value if key not in have]
    if error.validator == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return [f"For '{path}', {_ruby(error.instance)} is not {_article(kinds)}."]
    if error.validator in {"oneOf", "anyOf"}:
        return [f"For '{path}', {_ruby(error.instance)} is not {_article(_kinds(error.schema))}."]
    if error.validator == "enum":
        return [f"For '{path}', {_ruby(error.instance)} is not a member of {_ruby(error.validator_value)}."]
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return [f'"{key}" is not a permitted key.' for key in extra]
    if error.validator == "minItems":
        return [f"For '{path}', {_ruby(error.instance)} has fewer than {error.validator_value} items."]
    return [f"For '{path}', {_ruby(error.instance)} is not valid ({error.validator})."]


# -- state ---------------------------------------------------------------------------------------------
@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass
class Comment:
    id: int
    issue_number: int
    body: str
    user: str
    created_at: datetime
    updated_at: datetime


@dataclass
class Pull:
    id: int
    head_ref: str
    base_ref: str
    head_sha: str  # frozen when the pull request is closed or merged
    draft: bool = False
    maintainer_can_modify: bool = False
    merged: bool = False
    merged_at: datetime | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    introduced: set[str] = field(default_factory=set)  # commits it brought to base, once merged


@dataclass
class Issue:
    id: int
    number: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    updated_at: datetime
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    comment_ids: list[int] = field(default_factory=list)
    pull: Pull | None = None


@dataclass
class FakeRepo:
    """One repository: its issues, pull requests, labels, and its git objects and refs."""

    id: int
    owner: str
    name: str
    default_branch: str
    private: bool
    created_at: datetime
    owner_type: str = "Organization"
    collaborators: set[str] = field(default_factory=set)
    labels: dict[str, Label] = field(default_factory=dict)  # by lower-case name
    issues: dict[int, Issue] = field(default_factory=dict)
    deleted_issues: set[int] = field(default_factory=set)
    comments: dict[int, Comment] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "refs/heads/main" -> sha
    objects: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # sha -> (kind, raw)
    next_number: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    # objects
    def put(self, kind: str, raw: bytes) -> str:
        sha = git_object_id(kind, raw)
        self.objects.setdefault(sha, (kind, raw))
        return sha

    def kind(self, sha: str) -> str | None:
        found = self.objects.get(sha)
        return found[0] if found else None

    def raw(self, sha: str) -> bytes:
        return self.objects[sha][1]

    def commit(self, sha: str) -> CommitInfo:
        return CommitInfo.decode(self.raw(sha))

    def tree(self, sha: str) -> list[TreeEntry]:
        return decode_tree(self.raw(sha))

    def flatten(self, tree_sha: str, prefix: str = "") -> dict[str, tuple[str, str]]:
        """Every non-tree entry below a tree: {"dir/file.md": (mode, sha)}."""
        out: dict[str, tuple[str, str]] = {}
        for entry in self.tree(tree_sha):
            path = prefix + entry.name
            if entry.mode == "40000":
                out.update(self.flatten(entry.sha, path + "/"))
            else:
                out[path] = (entry.mode, entry.sha)
        return out

    def build(self, flat: Mapping[str, tuple[str, str]]) -> str:
        """Write the trees for a flat {path: (mode, sha)} and return the root tree's id."""
        root: dict[str, Any] = {}
        for path, leaf in flat.items():
            node = root
            *dirs, name = path.split("/")
            for part in dirs:
                node = node.setdefault(part, {})
            node[name] = leaf

        def write(node: dict[str, Any]) -> str:
            entries = [
                TreeEntry("40000", name, write(v)) if isinstance(v, dict) else TreeEntry(v[0], name, v[1])
                for name, v in node.items()
            ]
            return self.put("tree", encode_tree(entries))

        return write(root)

    def commit_files(self, sha: str | None) -> dict[str, tuple[str, str]]:
        return self.flatten(self.commit(sha).tree) if sha else {}

    # refs and history
    def resolve(self, name: str) -> str | None:
        """A commit id from a full or abbreviated sha, a branch, a tag, or a ref path."""
        name = name.strip()
        candidates = [name, f"refs/{name}", f"refs/heads/{name}", f"refs/tags/{name}"]
        for ref in candidates:
            if ref in self.refs:
                return self._peel(self.refs[ref])
        low = name.lower()
        if re.fullmatch(r"[0-9a-f]{4,40}", low):
            if low in self.objects:
                return self._peel(low)
            matches = [s for s in self.objects if s.startswith(low)]
            if len(matches) == 1:
                return self._peel(matches[0])
        return None

    def _peel(self, sha: str) -> str | None:
        while self.kind(sha) == "tag":
            found = re.search(rb"^object ([0-9a-f]{40})$", self.raw(sha), re.MULTILINE)
            if not found:
                return None
            sha = found[1].decode()
        return sha if self.kind(sha) == "commit" else None

    def branch(self, name: str) -> str | None:
        return self.refs.get(f"refs/heads/{name}")

    def ancestors(self, sha: str) -> set[str]:
        seen: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current in seen or self.kind(current) != "commit":
                continue
            seen.add(current)
            stack.extend(self.commit(current).parents)
        return seen

    def history(self, sha: str) -> Iterator[str]:
        """Commits reachable from sha, newest committer date first (as `git log` lists them)."""
        seen: set[str] = set()
        counter = itertools.count()
        heap: list[tuple[float, int, str]] = []

        def push(commit_sha: str) -> None:
            if commit_sha not in seen and self.kind(commit_sha) == "commit":
                seen.add(commit_sha)
                when = self.commit(commit_sha).committer.when.timestamp()
                heapq.heappush(heap, (-when, next(counter), commit_sha))

        push(sha)
        while heap:
            _, _, current = heapq.heappop(heap)
            yield current
            for parent in self.commit(current).parents:
                push(parent)

    def merge_base(self, a: str, b: str) -> str | None:
        others = self.ancestors(b)
        return next((sha for sha in self.history(a) if sha in others), None)


# -- the fake ------------------------------------------------------------------------------------------
def api(method: str, pattern: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Route `method pattern` (named as in GitHub's OpenAPI description) with GitHub's preliminaries.

    The handler gets the repository (404 if it does not exist), the request, and the body already
    validated against the operation's request schema; path parameters arrive percent-decoded.
    """

    key = f"{method} {pattern}"

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def handler(self: FakeGitHub, request: Request, **params: str) -> Any:
            values = {name: unquote(value) for name, value in params.items()}
            self._doc = SPEC["operations"].get(key, {}).get("documentation_url") or DOCS
            if "owner" in values:
                repo = self._repo_or_404(values.pop("owner"), values.pop("repo"))
                body = self._validated_body(key, request)
                return fn(self, repo, request, body, **values)
            return fn(self, request, self._validated_body(key, request), **values)

        return route(method, pattern)(handler)

    return mark


_REPOSITORIES = re.compile(r"^/repositories/(\d+)(/.*)?$")
_GREEDY = re.compile(
    r"^(/repos/[^/]+/[^/]+/(?:git/ref|git/refs|git/matching-refs|git/trees|contents|commits))/(.+)$"
)


SCOPES = (
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
)
LEVELS = {"none": 0, "read": 1, "write": 2}


def _covers(granted: Mapping[str, str], needs: Mapping[str, str]) -> bool:
    return all(LEVELS.get(granted.get(scope, "none"), 0) >= LEVELS[level] for scope, level in needs.items())


class FakeGitHub(FakeService):
    """GitHub's REST API for issues, labels, comments, git data, contents and pull requests."""

    name = "fake-github"

    def __init__(
        self,
        token: str = "ghs_test",  # noqa: S107 - a fake token
        *,
        actor: str = ACTIONS_BOT,
        rate_limit: int = 1000,
        installation_id: int = 1,
    ) -> None:
        super().__init__()
        self.token = token
        self.actor = actor
        self.installation_id = installation_id
        self.rate_limit = rate_limit
        self._remaining = rate_limit
        self._reset: datetime | None = None
        self._frozen: datetime | None = None
        self._ids = itertools.count(1001)
        self._request_ids = itertools.count(1)
        self._users: dict[str, int] = {ACTIONS_BOT: ACTIONS_BOT_ID}
        self._repos: dict[str, FakeRepo] = {}
        self._doc = DOCS
        self._grants: dict[str, dict[str, str]] = {}  # a job token -> its permissions
        self.errors: list[Exception] = []  # exceptions raised by the fake's own handlers (bugs), if any

    def start(self) -> FakeGitHub:
        super().start()
        # Answers go out as two writes (headers, body); with Nagle on, the client's delayed ACK adds
        # ~40 ms to every request. TCP_NODELAY (StreamRequestHandler's own switch) removes the stall.
        assert self._server is not None
        self._server.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        return self

    # -- set-up helpers for tests -------------------------------------------------------------------
    def grant(self, permissions: Mapping[str, str] | str | None) -> str:
        """A token as Actions makes one for a job with these `permissions:` (`{}`: none but metadata;
        "read-all", "write-all"; None: the restricted default). The fake's own token stays all-powerful."""
        if permissions is None:
            permissions = {"contents": "read", "packages": "read"}
        if isinstance(permissions, str):
            level = {"read-all": "read", "write-all": "write"}[permissions]
            granted = dict.fromkeys(SCOPES, level)
        else:
            granted = {str(scope): str(level) for scope, level in (permissions or {}).items()}
        token = f"ghs_job{len(self._grants) + 1}_{self.token}"
        self._grants[token] = granted
        return token

    def permissions_of(self, token: str) -> dict[str, str] | None:
        """What a token made by `grant` may do; None for any other token."""
        return self._grants.get(token)

    def add_repo(
        self,
        full_name: str,
        *,
        default_branch: str = "main",
        private: bool = True,
        collaborators: Iterable[str] = (),
        default_labels: bool = True,
        owner_type: str = "Organization",
    ) -> FakeRepo:
        """Create an empty repository (no commits yet), with GitHub's default labels."""
        owner, name = full_name.split("/")
        with self._lock:
            repo = FakeRepo(
                id=next(self._ids),
                owner=owner,
                name=name,
                default_branch=default_branch,
                private=private,
                created_at=self.now(),
                owner_type=owner_type,
                collaborators={c.lower() for c in collaborators},
            )
            if default_labels:
                for label_name, color, description in DEFAULT_LABELS:
                    repo.labels[label_name] = Label(next(self._ids), label_name, color, description, True)
            self._repos[full_name.lower()] = repo
            return repo

    def repo(self, full_name: str) -> FakeRepo:
        return self._repos[full_name.lower()]

    def add_collaborator(self, full_name: str, login: str) -> None:
        with self._lock:
            self.repo(full_name).collaborators.add(login.lower())

    def now(self) -> datetime:
        """The fake's clock: frozen by set_time/advance, else the real time (whole seconds, UTC)."""
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC).replace(microsecond=0)

    def set_time(self, when: datetime) -> None:
        self._frozen = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)

    def advance(self, seconds: float = 1.0) -> datetime:
        self._frozen = self.now() + timedelta(seconds=seconds)
        return self._frozen

    # rate limits
    @property
    def rate_limit_remaining(self) -> int:
        return self._remaining

    def set_rate_limit(self, remaining: int, reset_at: datetime | None = None) -> None:
        """Set the core quota left in this window, and when the window resets (default: in an hour)."""
        with self._lock:
            self._remaining = remaining
            self._reset = reset_at or (self.now() + timedelta(hours=1))

    def exhaust_rate_limit(self, reset_at: datetime | None = None) -> None:
        """Spend the quota: every request until `reset_at` gets 403 "API rate limit exceeded"."""
        self.set_rate_limit(0, reset_at)

    def trigger_secondary_rate_limit(
        self, retry_after: int = 60, *, match: str = "*", times: int = 1
    ) -> None:
        """The next `times` matching requests get GitHub's secondary-rate-limit 403 with retry-after."""
        body = {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
            "again. If you reach out to GitHub Support for help, please include the request ID FAKE.",
            "documentation_url": SECONDARY_DOCS,
            "status": "403",
        }
        headers = {**self._rate_headers(), "retry-after": str(retry_after)}
        self.inject(Fault.status(403, headers=headers, body=body), match=match, times=times)

    # seeding state as humans would leave it
    def seed_issue(
        self,
        full_name: str,
        title: str,
        body: str | None = None,
        *,
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        user: str = "octocat",
        state: str = "open",
        state_reason: str | None = None,
        created_at: datetime | None = None,
    ) -> int:
        """Create an issue directly (no request, no validation); returns its number."""
        with self._lock:
            repo = self.repo(full_name)
            when = created_at or self.now()
            issue = self._new_issue(repo, title, body, user, when)
            issue.labels = [self._ensure_label(repo, name).name for name in labels]
            issue.assignees = list(assignees)
            if state == "closed":
                self._set_state(issue, "closed", state_reason or "completed", when, user)
            return issue.number

    def add_comment(
        self, full_name: str, number: int, body: str, *, user: str = "octocat", at: datetime | None = None
    ) -> int:
        with self._lock:
            repo = self.repo(full_name)
            return self._new_comment(repo, repo.issues[number], body, user, at or self.now()).id

    def close_issue(
        self,
        full_name: str,
        number: int,
        reason: str = "completed",
        *,
        at: datetime | None = None,
        by: str = "octocat",
    ) -> None:
        """A human closes the issue (as completed or not_planned)."""
        with self._lock:
            issue = self.repo(full_name).issues[number]
            self._set_state(issue, "closed", reason, at or self.now(), by)

    def reopen_issue(
        self, full_name: str, number: int, *, at: datetime | None = None, by: str = "octocat"
    ) -> None:
        with self._lock:
            issue = self.repo(full_name).issues[number]
            self._set_state(issue, "open", "reopened", at or self.now(), by)

    def delete_issue(self, full_name: str, number: int) -> None:
        """An admin deletes the issue: GitHub then answers 410 Gone for it."""
        with self._lock:
            repo = self.repo(full_name)
            issue = repo.issues.pop(number)
            for comment_id in issue.comment_ids:
                repo.comments.pop(comment_id, None)
            repo.deleted_issues.add(number)

    def commit_files(
        self,
        full_name: str,
        files: Mapping[str, str | bytes | None],
        *,
        branch: str | None = None,
        message: str = "Update files",
        author: str = "octocat",
        at: datetime | None = None,
    ) -> str:
        """Commit files (None deletes) on a branch; a new branch starts at the default branch or as a root."""
        with self._lock:
            repo = self.repo(full_name)
            branch = branch or repo.default_branch
            parent = repo.branch(branch) or repo.branch(repo.default_branch)
            flat = repo.commit_files(parent)
            for path, content in files.items():
                if content is None:
                    flat.pop(path, None)
                else:
                    data = content.encode() if isinstance(content, str) else content
                    _set_path(flat, path, ("100644", repo.put("blob", data)))
            person = Person(author, f"{author}@users.noreply.github.com", at or self.now())
            raw = encode_commit(repo.build(flat), [parent] if parent else [], person, person, message)
            sha = repo.put("commit", raw)
            repo.refs[f"refs/heads/{branch}"] = sha
            return sha

    def create_branch(self, full_name: str, branch: str, from_ref: str | None = None) -> str:
        with self._lock:
            repo = self.repo(full_name)
            sha = repo.resolve(from_ref or repo.default_branch)
            if sha is None:
                raise KeyError(from_ref or repo.default_branch)
            repo.refs[f"refs/heads/{branch}"] = sha
            return sha

    def merge_pull(
        self,
        full_name: str,
        number: int,
        *,
        method: str = "merge",
        by: str = "octocat",
        at: datetime | None = None,
    ) -> str:
        """Merge an open pull request as a human would ("merge", "squash" or "fast-forward").

        Returns the new head of the base branch. Raises ValueError on a conflict or if it is not open.
        """
        with self._lock:
            repo = self.repo(full_name)
            issue = repo.issues[number]
            pull = issue.pull
            if pull is None or issue.state != "open":
                raise ValueError(f"#{number} is not an open pull request")
            head = self._head_sha(repo, pull)
            base = repo.branch(pull.base_ref)
            if base is None:
                raise ValueError(f"base branch {pull.base_ref} is gone")
            when = at or self.now()
            before = repo.ancestors(base)
            introduced = repo.ancestors(head) - before
            if method == "fast-forward":
                if base not in repo.ancestors(head):
                    raise ValueError("not a fast forward")
                new = head
            else:
                tree = self._merged_tree(repo, base, head)
                if tree is None:
                    raise ValueError(f"#{number} has conflicts")
                merger = Person(by, f"{by}@users.noreply.github.com", when)
                web_flow = Person("GitHub", "noreply@github.com", when)
                if method == "merge":
                    message = (
                        f"Merge pull request #{number} from {repo.owner}/{pull.head_ref}\n\n{issue.title}"
                    )
                    raw = encode_commit(tree, [base, head], merger, web_flow, message)
                elif method == "squash":
                    message = f"{issue.title} (#{number})\n\n{issue.body or ''}".rstrip() + "\n"
                    raw = encode_commit(tree, [base], merger, web_flow, message)
                else:
                    raise ValueError(f"unknown merge method {method!r}")
                new = repo.put("commit", raw)
                introduced.add(new)
            repo.refs[f"refs/heads/{pull.base_ref}"] = new
            pull.head_sha = head
            pull.merged, pull.merged_at, pull.merged_by, pull.merge_commit_sha = True, when, by, new
            pull.introduced = introduced
            self._set_state(issue, "closed", None, when, by)
            return new

    # real git in and out
    def import_git(self, local_repo: str | Path, full_name: str) -> None:
        """Copy every object and every branch and tag of a real local git repository into the fake."""
        path = Path(local_repo)
        dump = _git(path, "cat-file", "--batch-all-objects", "--batch")
        refs = _git(path, "for-each-ref", "--format=%(objectname) %(refname)").decode()
        with self._lock:
            repo = self._repos.get(full_name.lower()) or self.add_repo(full_name)
            i = 0
            while i < len(dump):
                newline = dump.index(b"\n", i)
                sha, kind, size = dump[i:newline].decode().split()
                raw = dump[newline + 1 : newline + 1 + int(size)]
                if repo.put(kind, raw) != sha:
                    raise ValueError(f"object {sha} does not hash to its id")
                i = newline + 1 + int(size) + 1
            for line in refs.splitlines():
                sha, ref = line.split(" ", 1)
                if ref.startswith(("refs/heads/", "refs/tags/")):
                    repo.refs[ref] = sha

    def export_git(self, full_name: str, local_repo: str | Path, branch: str | None = "main") -> str | None:
        """Write the fake's objects into a real repository and point `branch` (None: every ref) at the fake's.

        The working tree is left alone: read the result with `git log`, `git show <branch>:<path>`.
        """
        path = Path(local_repo)
        git_dir = Path(_git(path, "rev-parse", "--absolute-git-dir").decode().strip())
        present = set(
            _git(path, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)").decode().split()
        )
        with self._lock:
            repo = self.repo(full_name)
            objects = dict(repo.objects)
            refs = dict(repo.refs)
        for sha, (kind, raw) in objects.items():
            if sha in present:
                continue
            target = git_dir / "objects" / sha[:2] / sha[2:]
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
                out.write(zlib.compress(f"{kind} {len(raw)}".encode() + b"\0" + raw))
            Path(out.name).replace(target)
        if branch is None:
            for ref, sha in refs.items():
                _git(path, "update-ref", ref, sha)
            return None
        head = refs.get(f"refs/heads/{branch}")
        if head is None:
            raise KeyError(f"{full_name} has no branch {branch}")
        _git(path, "update-ref", f"refs/heads/{branch}", head)
        return head

    # -- state accessors (as the API renders them) --------------------------------------------------
    def issues(
        self, full_name: str, *, state: str = "all", include_pulls: bool = False
    ) -> list[dict[str, Any]]:
        with self._lock:
            repo = self.repo(full_name)
            return [
                self._issue_json(repo, i)
                for i in sorted(repo.issues.values(), key=lambda i: i.number)
                if (include_pulls or i.pull is None) and state in ("all", i.state)
            ]

    def issue(self, full_name: str, number: int) -> dict[str, Any]:
        with self._lock:
            repo = self.repo(full_name)
            return self._issue_json(repo, repo.issues[number], full=True)

    def comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            repo = self.repo(full_name)
            return [self._comment_json(repo, repo.comments[c]) for c in repo.issues[number].comment_ids]

    def labels(self, full_name: str) -> list[dict[str, Any]]:
        with self._lock:
            repo = self.repo(full_name)
            return [self._label_json(repo, label) for label in repo.labels.values()]

    def pulls(self, full_name: str) -> list[dict[str, Any]]:
        with self._lock:
            repo = self.repo(full_name)
            return [
                self._pull_json(repo, i)
                for i in sorted(repo.issues.values(), key=lambda i: i.number)
                if i.pull
            ]

    def pull(self, full_name: str, number: int) -> dict[str, Any]:
        with self._lock:
            repo = self.repo(full_name)
            return self._pull_json(repo, repo.issues[number])

    def ref(self, full_name: str, ref: str) -> str | None:
        """The sha a ref points at: "heads/main", "refs/heads/main" or a bare branch name."""
        repo = self.repo(full_name)
        for name in (ref, f"refs/{ref}", f"refs/heads/{ref}"):
            if name in repo.refs:
                return repo.refs[name]
        return None

    def files(self, full_name: str, ref: str | None = None) -> dict[str, bytes]:
        """Every file at a commit (default: the default branch's head)."""
        with self._lock:
            repo = self.repo(full_name)
            sha = repo.resolve(ref or repo.default_branch)
            return {
                path: repo.raw(blob)
                for path, (mode, blob) in repo.commit_files(sha).items()
                if mode != "160000"
            }

    def read_file(self, full_name: str, path: str, ref: str | None = None) -> bytes | None:
        return self.files(full_name, ref).get(path)

    # -- the HTTP layer ------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        with self._lock:
            response = self._handle(request)
            response.headers = {
                "x-github-api-version-selected": API_VERSION,
                "x-github-media-type": "github.v3; format=json",
                "x-github-request-id": f"FAKE:{next(self._request_ids):06d}",
                **response.headers,
            }
            return response

    def _handle(self, request: Request) -> Response:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if not scheme:
            return Response(
                401, {"message": "Requires authentication", "documentation_url": DOCS, "status": "401"}
            )
        given = given.strip()
        if scheme.lower() not in ("token", "bearer") or (given != self.token and given not in self._grants):
            return Response(401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"})
        if request.method == "GET" and request.path.rstrip("/") == "/rate_limit":
            return self._with_rate(Response(200, self._rate_limit_json()))
        now = self.now()
        if self._reset is None or now >= self._reset:
            self._reset = now + timedelta(hours=1)
            self._remaining = self.rate_limit
        if self._remaining <= 0:
            message = f"API rate limit exceeded for installation ID {self.installation_id}."
            body = {"message": message, "documentation_url": RATE_LIMIT_DOCS, "status": "403"}
            return self._with_rate(Response(403, body))
        self._remaining -= 1
        inner = dataclasses.replace(request, path=self._normalize(request.path), params={})
        if given in self._grants:
            accepted = self._accepted(inner.method, inner.path)
            if accepted and not any(_covers(self._grants[given], needs) for needs in accepted):
                body = {
                    "message": "Resource not accessible by integration",
                    "documentation_url": DOCS,
                    "status": "403",
                }
                header = ", ".join(
                    "; ".join(f"{scope.replace('-', '_')}={level}" for scope, level in needs.items())
                    for needs in accepted
                )
                return self._with_rate(Response(403, body, {"X-Accepted-GitHub-Permissions": header}))
        self._doc = DOCS
        try:
            response = super().handle(inner)
        except Exception as error:  # a bug in the fake: answer 500 and keep it for the test to see
            self.errors.append(error)
            response = Response(500, {"message": f"fake-github failed: {error!r}"})
        return self._with_rate(response)

    def _accepted(self, method: str, path: str) -> list[dict[str, str]]:
        """The permission sets that allow a request (any one of them), as GitHub documents them for
        fine-grained tokens; [] for what needs none beyond metadata (which every job token has)."""
        found = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if found is None:
            return []
        rest = found[3] or ""
        level = "read" if method in ("GET", "HEAD") else "write"
        part = rest.split("/")[1] if rest else ""
        if re.fullmatch(r"/commits/[^/]+/pulls", rest):
            return [{"contents": "read", "pull-requests": "read"}]
        if part in ("git", "contents", "commits", "branches"):
            return [{"contents": level}]
        if part == "pulls":
            return [{"pull-requests": level}]
        if part == "labels":
            return [{"issues": level}, {"pull-requests": level}]
        if part == "issues":
            number = re.match(r"/issues/(\d+)", rest)
            repo = self._repos.get(f"{found[1]}/{found[2]}".lower())
            issue = repo.issues.get(int(number[1])) if repo is not None and number else None
            if issue is not None and issue.pull is not None:  # a pull request, through the issues API
                return [{"issues": level}, {"pull-requests": level}]
            return [{"issues": level}]
        return []

    def _normalize(self, path: str) -> str:
        if len(path) > 1:
            path = path.rstrip("/")
        by_id = _REPOSITORIES.match(path)
        if by_id:
            found = next((r for r in self._repos.values() if r.id == int(by_id[1])), None)
            if found is None:
                return path
            path = f"/repos/{found.owner}/{found.name}{by_id[2] or ''}"
        greedy = _GREEDY.match(path)
        if greedy:
            prefix, tail = greedy[1], greedy[2]
            suffix = ""
            if prefix.endswith("/commits") and tail.endswith("/pulls"):
                tail, suffix = tail[: -len("/pulls")], "/pulls"
            path = f"{prefix}/{quote(unquote(tail), safe='')}{suffix}"
        return path

    def _rate_headers(self) -> dict[str, str]:
        reset = self._reset or (self.now() + timedelta(hours=1))
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(self._remaining, 0)),
            "x-ratelimit-reset": str(int(reset.timestamp())),
            "x-ratelimit-used": str(self.rate_limit - max(self._remaining, 0)),
            "x-ratelimit-resource": "core",
        }

    def _with_rate(self, response: Response) -> Response:
        response.headers = {**self._rate_headers(), **response.headers}
        return response

    def _rate_limit_json(self) -> dict[str, Any]:
        reset = int((self._reset or self.now() + timedelta(hours=1)).timestamp())
        core = {
            "limit": self.rate_limit,
            "used": self.rate_limit - self._remaining,
            "remaining": self._remaining,
            "reset": reset,
        }
        return {"resources": {"core": core}, "rate": core}

    def not_found(self, request: Request) -> Response:
        return Response(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})

    # errors, GitHub-shaped
    def _fail(self, status: int, message: str, errors: list[Any] | None = None) -> NoReturn:
        body: dict[str, Any] = {"message": message}
        if errors is not None:
            body["errors"] = errors
        body["documentation_url"] = self._doc
        body["status"] = str(status)
        raise HTTPError(status, body)

    def _invalid(self, *errors: dict[str, Any]) -> NoReturn:
        self._fail(422, "Validation Failed", list(errors))

    def _repo_or_404(self, owner: str, name: str) -> FakeRepo:
        repo = self._repos.get(f"{owner}/{name}".lower())
        if repo is None:
            self._fail(404, "Not Found")
        return repo

    def _validated_body(self, key: str, request: Request) -> Any:
        operation = SPEC["operations"].get(key, {})
        schema = operation.get("body")
        text = request.body.decode("utf-8", "replace").strip()
        try:
            data = json.loads(text) if text else None
        except ValueError:
            self._fail(400, "Problems parsing JSON")
        if schema is None:
            return data
        if data is None:
            data = {}
        if isinstance(data, list) and key.endswith("/labels"):
            # "You can also pass an array of labels directly" (PyGithub does): the schema only has the object.
            if not all(isinstance(x, str) or (isinstance(x, dict) and "name" in x) for x in data):
                self._fail(422, f"Invalid request.\n\nFor 'items', {_ruby(data)} is not valid.")
            return {"labels": data}
        if not isinstance(data, dict):
            self._fail(400, "Body should be a JSON object")
        errors = sorted(
            jsonschema.Draft202012Validator(schema).iter_errors(data),
            key=lambda e: "/".join(str(p) for p in e.relative_schema_path),
        )
        messages = [m for error in errors for m in _schema_message(error)]
        if messages:
            self._fail(422, "Invalid request.\n\n" + " ".join(messages))
        return data

    # pagination, as api.github.com does it
    def _page(self, repo: FakeRepo | None, request: Request, items: list[Any]) -> Response:
        def number(name: str, default: int) -> int:
            try:
                return int(request.arg(name) or default)
            except ValueError:
                return default

        per_page = min(max(number("per_page", 30), 1), 100)
        page = max(number("page", 1), 1)
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        path = request.path
        if repo is not None:
            path = re.sub(r"^/repos/[^/]+/[^/]+", f"/repositories/{repo.id}", path)
        base = self.url.rstrip("/") + path

        def link(to: int) -> str:
            query = [(k, v[-1]) for k, v in request.query.items() if k != "page"] + [("page", str(to))]
            return f"<{base}?{urlencode(query)}>"

        links = []
        if page > 1:
            links.append(f'{link(min(page - 1, last))}; rel="prev"')
        if page < last:
            links += [f'{link(page + 1)}; rel="next"', f'{link(last)}; rel="last"']
        if page > 1:
            links.append(f'{link(1)}; rel="first"')
        return Response(200, chunk, {"Link": ", ".join(links)} if links else {})

    # -- JSON renderers -----------------------------------------------------------------------------
    @property
    def _api(self) -> str:
        return self.url.rstrip("/") if self._server is not None else "https://api.github.com"

    def _user_id(self, login: str) -> int:
        return self._users.setdefault(login, 100 + len(self._users))

    def _user_json(self, login: str, user_type: str | None = None) -> dict[str, Any]:
        kind = user_type or ("Bot" if login.endswith("[bot]") else "User")
        uid = self._user_id(login)
        url = f"{self._api}/users/{quote(login)}"
        html = (
            f"https://github.com/apps/{login[: -len('[bot]')]}"
            if kind == "Bot"
            else f"https://github.com/{login}"
        )
        return {
            "login": login,
            "id": uid,
            "node_id": base64.b64encode(f"04:{kind}{uid}".encode()).decode(),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
            "gravatar_id": "",
            "url": url,
            "html_url": html,
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "type": kind,
            "user_view_type": "public",
            "site_admin": False,
        }

    def _repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        url = f"{self._api}/repos/{repo.full_name}"
        pushed = max(
            (repo.commit(s).committer.when for s in set(repo.refs.values()) if repo.kind(s) == "commit"),
            default=None,
        )
        return {
            "id": repo.id,
            "node_id": f"R_kgDO{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self._user_json(repo.owner, repo.owner_type),
            "html_url": f"https://github.com/{repo.full_name}",
            "description": None,
            "fork": False,
            "url": url,
            "issues_url": f"{url}/issues{{/number}}",
            "pulls_url": f"{url}/pulls{{/number}}",
            "labels_url": f"{url}/labels{{/name}}",
            "contents_url": f"{url}/contents/{{+path}}",
            "commits_url": f"{url}/commits{{/sha}}",
            "git_refs_url": f"{url}/git/refs{{/sha}}",
            "git_commits_url": f"{url}/git/commits{{/sha}}",
            "trees_url": f"{url}/git/trees{{/sha}}",
            "blobs_url": f"{url}/git/blobs{{/sha}}",
            "clone_url": f"https://github.com/{repo.full_name}.git",
            "created_at": _ts(repo.created_at),
            "updated_at": _ts(repo.created_at),
            "pushed_at": _ts(pushed or repo.created_at),
            "size": 0,
            "default_branch": repo.default_branch,
            "visibility": "private" if repo.private else "public",
            "archived": False,
            "disabled": False,
            "has_issues": True,
            "has_projects": True,
            "has_wiki": False,
            "has_discussions": False,
            "open_issues_count": sum(1 for i in repo.issues.values() if i.state == "open"),
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
            "allow_squash_merge": True,
            "allow_merge_commit": True,
            "allow_rebase_merge": True,
            "delete_branch_on_merge": False,
        }

    def _label_json(self, repo: FakeRepo, label: Label) -> dict[str, Any]:
        return {
            "id": label.id,
            "node_id": f"LA_kwDO{label.id}",
            "url": f"{self._api}/repos/{repo.full_name}/labels/{quote(label.name)}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def _issue_json(self, repo: FakeRepo, issue: Issue, *, full: bool = False) -> dict[str, Any]:
        url = f"{self._api}/repos/{repo.full_name}/issues/{issue.number}"
        kind = "pull" if issue.pull else "issues"
        html = f"https://github.com/{repo.full_name}/{kind}/{issue.number}"
        assignees = [self._user_json(a) for a in issue.assignees]
        data: dict[str, Any] = {
            "url": url,
            "repository_url": f"{self._api}/repos/{repo.full_name}",
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": html,
            "id": issue.id,
            "node_id": f"{'PR' if issue.pull else 'I'}_kwDO{issue.id}",
            "number": issue.number,
            "title": issue.title,
            "user": self._user_json(issue.user),
            "labels": [
                self._label_json(repo, repo.labels[n.lower()])
                for n in issue.labels
                if n.lower() in repo.labels
            ],
            "state": issue.state,
            "locked": False,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None,
            "comments": len(issue.comment_ids),
            "created_at": _ts(issue.created_at),
            "updated_at": _ts(issue.updated_at),
            "closed_at": _ts(issue.closed_at),
            "author_association": self._association(repo, issue.user),
            "active_lock_reason": None,
            "body": issue.body,
            "reactions": _reactions(url),
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": None,
            "state_reason": issue.state_reason,
        }
        if issue.pull:
            data["draft"] = issue.pull.draft
            pull_url = f"{self._api}/repos/{repo.full_name}/pulls/{issue.number}"
            data["pull_request"] = {
                "url": pull_url,
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": _ts(issue.pull.merged_at),
            }
        if full:
            data["closed_by"] = self._user_json(issue.closed_by) if issue.closed_by else None
        return data

    def _association(self, repo: FakeRepo, login: str) -> str:
        if login.lower() == repo.owner.lower():
            return "OWNER"
        return "COLLABORATOR" if login.lower() in repo.collaborators else "NONE"

    def _comment_json(self, repo: FakeRepo, comment: Comment) -> dict[str, Any]:
        url = f"{self._api}/repos/{repo.full_name}/issues/comments/{comment.id}"
        issue = repo.issues[comment.issue_number]
        kind = "pull" if issue.pull else "issues"
        return {
            "url": url,
            "html_url": f"https://github.com/{repo.full_name}/{kind}/{comment.issue_number}#issuecomment-{comment.id}",
            "issue_url": f"{self._api}/repos/{repo.full_name}/issues/{comment.issue_number}",
            "id": comment.id,
            "node_id": f"IC_kwDO{comment.id}",
            "user": self._user_json(comment.user),
            "created_at": _ts(comment.created_at),
            "updated_at": _ts(comment.updated_at),
            "author_association": self._association(repo, comment.user),
            "body": comment.body,
            "reactions": _reactions(url),
            "performed_via_github_app": None,
        }

    def _ref_json(self, repo: FakeRepo, ref: str) -> dict[str, Any]:
        sha = repo.refs[ref]
        kind = repo.kind(sha) or "commit"
        return {
            "ref": ref,
            "node_id": f"REF_kwDO{repo.id}{zlib.crc32(ref.encode())}",
            "url": f"{self._api}/repos/{repo.full_name}/git/{ref}",
            "object": {
                "sha": sha,
                "type": kind,
                "url": f"{self._api}/repos/{repo.full_name}/git/{kind}s/{sha}",
            },
        }

    def _git_commit_json(self, repo: FakeRepo, sha: str) -> dict[str, Any]:
        info = repo.commit(sha)
        base = f"{self._api}/repos/{repo.full_name}/git"
        return {
            "sha": sha,
            "node_id": f"C_kwDO{sha[:12]}",
            "url": f"{base}/commits/{sha}",
            "html_url": f"https://github.com/{repo.full_name}/commit/{sha}",
            "author": info.author.api(),
            "committer": info.committer.api(),
            "tree": {"sha": info.tree, "url": f"{base}/trees/{info.tree}"},
            "message": info.message,
            "parents": [
                {
                    "sha": p,
                    "url": f"{base}/commits/{p}",
                    "html_url": f"https://github.com/{repo.full_name}/commit/{p}",
                }
                for p in info.parents
            ],
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        }

    def _login_of(self, person: Person) -> str | None:
        found = re.fullmatch(r"(?:\d+\+)?([^@]+)@users\.noreply\.github\.com", person.email)
        if found:
            return found[1]
        return "web-flow" if person.email == "noreply@github.com" else None

    def _commit_json(self, repo: FakeRepo, sha: str, *, with_files: bool = True) -> dict[str, Any]:
        info = repo.commit(sha)
        git = self._git_commit_json(repo, sha)
        url = f"{self._api}/repos/{repo.full_name}/commits/{sha}"
        author, committer = self._login_of(info.author), self._login_of(info.committer)
        data: dict[str, Any] = {
            "sha": sha,
            "node_id": git["node_id"],
            "commit": {
                "author": git["author"],
                "committer": git["committer"],
                "message": git["message"],
                "tree": git["tree"],
                "url": git["url"],
                "comment_count": 0,
                "verification": git["verification"],
            },
            "url": url,
            "html_url": git["html_url"],
            "comments_url": f"{url}/comments",
            "author": self._user_json(author) if author else None,
            "committer": self._user_json(committer) if committer else None,
            "parents": [
                {
                    "sha": p,
                    "url": f"{self._api}/repos/{repo.full_name}/commits/{p}",
                    "html_url": f"https://github.com/{repo.full_name}/commit/{p}",
                }
                for p in info.parents
            ],
        }
        if with_files:
            old = repo.commit_files(info.parents[0] if info.parents else None)
            files = self._diff(repo, old, repo.flatten(info.tree), sha)
            additions = sum(f["additions"] for f in files)
            deletions = sum(f["deletions"] for f in files)
            data["stats"] = {"total": additions + deletions, "additions": additions, "deletions": deletions}
            data["files"] = files
        return data

    def _diff(
        self, repo: FakeRepo, old: Mapping[str, tuple[str, str]], new: Mapping[str, tuple[str, str]], ref: str
    ) -> list[dict[str, Any]]:
        files = []
        for path in sorted(set(old) | set(new)):
            before, after = old.get(path), new.get(path)
            if before == after:
                continue
            status = "added" if before is None else "removed" if after is None else "modified"
            a = _text_lines(repo, before)
            b = _text_lines(repo, after)
            patch_lines = (
                list(difflib.unified_diff(a, b, lineterm="", n=3))[2:]
                if a is not None and b is not None
                else []
            )
            additions = sum(1 for line in patch_lines if line.startswith("+"))
            deletions = sum(1 for line in patch_lines if line.startswith("-"))
            blob = (after or before or ("", ""))[1]
            entry: dict[str, Any] = {
                "sha": blob,
                "filename": path,
                "status": status,
                "additions": additions,
                "deletions": deletions,
                "changes": additions + deletions,
                "blob_url": f"https://github.com/{repo.full_name}/blob/{ref}/{quote(path)}",
                "raw_url": f"https://github.com/{repo.full_name}/raw/{ref}/{quote(path)}",
                "contents_url": f"{self._api}/repos/{repo.full_name}/contents/{quote(path)}?ref={ref}",
            }
            if patch_lines:
                entry["patch"] = "\n".join(patch_lines)
            files.append(entry)
        return files

    def _content_json(
        self, repo: FakeRepo, path: str, mode: str, sha: str, ref: str, *, content: bool
    ) -> dict[str, Any]:
        kind = {"40000": "dir", "160000": "submodule", "120000": "symlink"}.get(mode, "file")
        quoted = quote(path)
        url = f"{self._api}/repos/{repo.full_name}/contents/{quoted}?ref={quote(ref)}"
        git_url = f"{self._api}/repos/{repo.full_name}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha}"
        html = f"https://github.com/{repo.full_name}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{quoted}"
        size = len(repo.raw(sha)) if kind in ("file", "symlink") and repo.kind(sha) else 0
        data: dict[str, Any] = {
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "size": size,
            "url": url,
            "html_url": html,
            "git_url": git_url,
            "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{quoted}"
            if kind == "file"
            else None,
            "type": kind,
            "_links": {"self": url, "git": git_url, "html": html},
        }
        if content and kind == "file":
            data["content"] = _b64_lines(repo.raw(sha))
            data["encoding"] = "base64"
        if kind == "symlink":
            data["target"] = repo.raw(sha).decode("utf-8", "replace")
        return data

    def _head_sha(self, repo: FakeRepo, pull: Pull) -> str:
        return repo.branch(pull.head_ref) or pull.head_sha

    def _pull_json(self, repo: FakeRepo, issue: Issue, *, full: bool = True) -> dict[str, Any]:
        pull = issue.pull
        assert pull is not None
        api = f"{self._api}/repos/{repo.full_name}"
        url = f"{api}/pulls/{issue.number}"
        html = f"https://github.com/{repo.full_name}/pull/{issue.number}"
        open_ = issue.state == "open"
        head = self._head_sha(repo, pull) if open_ else pull.head_sha
        base = repo.branch(pull.base_ref) or ""
        owner = self._user_json(repo.owner, repo.owner_type)
        repo_json = self._repo_json(repo)
        assignees = [self._user_json(a) for a in issue.assignees]

        def part(ref: str, sha: str) -> dict[str, Any]:
            return {"label": f"{repo.owner}:{ref}", "ref": ref, "sha": sha, "user": owner, "repo": repo_json}

        data: dict[str, Any] = {
            "url": url,
            "id": pull.id,
            "node_id": f"PR_kwDO{pull.id}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": f"{api}/issues/{issue.number}",
            "commits_url": f"{url}/commits",
            "review_comments_url": f"{url}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{issue.number}/comments",
            "statuses_url": f"{api}/statuses/{head}",
            "number": issue.number,
            "state": issue.state,
            "locked": False,
            "title": issue.title,
            "user": self._user_json(issue.user),
            "body": issue.body,
            "labels": [
                self._label_json(repo, repo.labels[n.lower()])
                for n in issue.labels
                if n.lower() in repo.labels
            ],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": _ts(issue.created_at),
            "updated_at": _ts(issue.updated_at),
            "closed_at": _ts(issue.closed_at),
            "merged_at": _ts(pull.merged_at),
            "merge_commit_sha": pull.merge_commit_sha,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "requested_reviewers": [],
            "requested_teams": [],
            "head": part(pull.head_ref, head),
            "base": part(pull.base_ref, base),
            "_links": {
                "self": {"href": url},
                "html": {"href": html},
                "issue": {"href": f"{api}/issues/{issue.number}"},
                "comments": {"href": f"{api}/issues/{issue.number}/comments"},
                "review_comments": {"href": f"{url}/comments"},
                "commits": {"href": f"{url}/commits"},
                "statuses": {"href": f"{api}/statuses/{head}"},
            },
            "author_association": self._association(repo, issue.user),
            "auto_merge": None,
            "draft": pull.draft,
        }
        if full:  # the list endpoint leaves these out; PyGithub fetches the pull request to read them
            commits = repo.ancestors(head) - repo.ancestors(base) if base and head else set()
            merge_base = repo.merge_base(head, base) if base and head else None
            files = (
                self._diff(repo, repo.commit_files(merge_base), repo.commit_files(head), head) if head else []
            )
            mergeable = self._merged_tree(repo, base, head) is not None if open_ and base and head else None
            data.update(
                {
                    "merged": pull.merged,
                    "mergeable": mergeable,
                    "rebaseable": mergeable,
                    "mergeable_state": "unknown" if mergeable is None else "clean" if mergeable else "dirty",
                    "merged_by": self._user_json(pull.merged_by) if pull.merged_by else None,
                    "comments": len(issue.comment_ids),
                    "review_comments": 0,
                    "maintainer_can_modify": pull.maintainer_can_modify,
                    "commits": len(commits)
                    if open_ or not pull.merged
                    else len(pull.introduced - {pull.merge_commit_sha}),
                    "additions": sum(f["additions"] for f in files),
                    "deletions": sum(f["deletions"] for f in files),
                    "changed_files": len(files),
                }
            )
        return data

    # -- internals shared by handlers and helpers --------------------------------------------------
    def _new_issue(self, repo: FakeRepo, title: str, body: str | None, user: str, when: datetime) -> Issue:
        issue = Issue(next(self._ids), repo.next_number, title, body, user, when, when)
        repo.issues[issue.number] = issue
        repo.next_number += 1
        return issue

    def _new_comment(self, repo: FakeRepo, issue: Issue, body: str, user: str, when: datetime) -> Comment:
        comment = Comment(next(self._ids), issue.number, body, user, when, when)
        repo.comments[comment.id] = comment
        issue.comment_ids.append(comment.id)
        issue.updated_at = max(issue.updated_at, when)
        return comment

    def _ensure_label(self, repo: FakeRepo, name: str) -> Label:
        label = repo.labels.get(name.lower())
        if label is None:
            label = repo.labels[name.lower()] = Label(next(self._ids), name)
        return label

    def _set_state(self, issue: Issue, state: str, reason: str | None, when: datetime, by: str) -> None:
        if state == "closed":
            issue.state, issue.closed_at, issue.closed_by = "closed", when, by
            issue.state_reason = None if issue.pull else reason or "completed"
        else:
            issue.state, issue.closed_at, issue.closed_by = "open", None, None
            issue.state_reason = None if issue.pull else "reopened"
        issue.updated_at = max(issue.updated_at, when)

    def _merged_tree(self, repo: FakeRepo, base: str, head: str) -> str | None:
        ancestor = repo.merge_base(head, base)
        result = _merge_flat(repo.commit_files(ancestor), repo.commit_files(base), repo.commit_files(head))
        return None if result is None else repo.build(result)

    def _issue_or_fail(self, repo: FakeRepo, number: str) -> Issue:
        if not number.isdigit():
            self._fail(404, "Not Found")
        if int(number) in repo.deleted_issues:
            self._fail(410, "This issue was deleted")
        issue = repo.issues.get(int(number))
        if issue is None:
            self._fail(404, "Not Found")
        return issue

    def _check_text(self, resource: str, title: str | None, body: str | None) -> None:
        if title is not None and not title.strip():
            self._invalid({"resource": resource, "code": "missing_field", "field": "title"})
        if title is not None and len(title) > TITLE_MAX:
            message = f"title is too long (maximum is {TITLE_MAX} characters)"
            self._invalid({"resource": resource, "code": "custom", "field": "title", "message": message})
        if body is not None and len(body) > BODY_MAX:
            message = f"body is too long (maximum is {BODY_MAX} characters)"
            self._invalid({"resource": resource, "code": "custom", "field": "body", "message": message})

    def _assignable(self, repo: FakeRepo, login: str) -> bool:
        return login.lower() in repo.collaborators or (
            login.lower() == repo.owner.lower() and repo.owner_type == "User"
        )

    def _check_assignees(self, repo: FakeRepo, logins: list[str]) -> None:
        invalid = [login for login in logins if not self._assignable(repo, login)]
        if invalid:
            message = f"assignees {', '.join(invalid)} cannot be assigned to this issue"
            self._invalid(
                {
                    "message": message,
                    "value": invalid,
                    "resource": "Issue",
                    "field": "assignees",
                    "code": "invalid",
                }
            )

    @staticmethod
    def _names(items: list[Any]) -> list[str]:
        return [
            item if isinstance(item, str) else str(item.get("name", item.get("login", ""))) for item in items
        ]

    # -- repository ---------------------------------------------------------------------------------
    @api("GET", "/repos/{owner}/{repo}")
    def get_repo(self, repo: FakeRepo, request: Request, body: Any) -> Any:
        return self._repo_json(repo)

    @route("GET", "/users/{username}")
    def get_user(self, request: Request, username: str) -> Any:
        login = unquote(username)
        kind = next((r.owner_type for r in self._repos.values() if r.owner.lower() == login.lower()), None)
        return self._user_json(login, kind)

    @route("GET", "/user")
    def get_authenticated_user(self, request: Request) -> Any:
        if self.token.startswith("ghs_"):
            body = {
                "message": "Resource not accessible by integration",
                "documentation_url": DOCS,
                "status": "403",
            }
            return Response(403, body)
        return self._user_json(self.actor)

    # -- issues -------------------------------------------------------------------------------------
    @api("GET", "/repos/{owner}/{repo}/issues")
    def list_issues(self, repo: FakeRepo, request: Request, body: Any) -> Response:
        state = request.arg("state", "open")
        wanted = [n.strip().lower() for n in (request.arg("labels") or "").split(",") if n.strip()]
        since = _parse_time(request.arg("since"))
        assignee, creator, milestone = (
            request.arg("assignee"),
            request.arg("creator"),
            request.arg("milestone"),
        )
        found = []
        for issue in repo.issues.values():
            have = {n.lower() for n in issue.labels}
            if state != "all" and issue.state != state:
                continue
            if any(n not in have for n in wanted) or (since and issue.updated_at < since):
                continue
            if (assignee == "none" and issue.assignees) or (assignee == "*" and not issue.assignees):
                continue
            if assignee not in (None, "none", "*") and assignee.lower() not in {
                a.lower() for a in issue.assignees
            }:
                continue
            if creator and issue.user.lower() != creator.lower():
                continue
            if milestone not in (None, "none"):
                continue  # no milestones are modelled
            found.append(issue)
        found = _sorted(found, request, {"created": "created_at", "updated": "updated_at"})
        return self._page(repo, request, [self._issue_json(repo, i) for i in found])

    # before /issues/{issue_number}: routes match in the order they are defined
    @api("GET", "/repos/{owner}/{repo}/issues/comments")
    def list_repo_comments(self, repo: FakeRepo, request: Request, body: Any) -> Response:
        since = _parse_time(request.arg("since"))
        chosen = [c for c in repo.comments.values() if since is None or c.updated_at >= since]
        chosen = _sorted(
            chosen, request, {"created": "created_at", "updated": "updated_at"}, default_direction="asc"
        )
        return self._page(repo, request, [self._comment_json(repo, c) for c in chosen])

    @api("POST", "/repos/{owner}/{repo}/issues")
    def create_issue(self, repo: FakeRepo, request: Request, body: dict[str, Any]) -> Response:
        title = str(body["title"])
        text = body.get("body")
        self._check_text("Issue", title, text)
        assignees = self._names(body.get("assignees") or [])
        if body.get("assignee"):
            if not self._assignable(repo, body["assignee"]):
                self._invalid(
                    {"value": body["assignee"], "resource": "Issue", "field": "assignee", "code": "invalid"}
                )
            assignees.insert(0, body["assignee"])
        self._check_assignees(repo, assignees)
        issue = self._new_issue(repo, title, text, self.actor, self.now())
        issue.labels = _unique(
            self._ensure_label(repo, n).name for n in self._names(body.get("labels") or [])
        )
        issue.assignees = _unique(assignees)
        data = self._issue_json(repo, issue, full=True)
        return Response(201, data, {"Location": data["url"]})

    @api("GET", "/repos/{owner}/{repo}/issues/{issue_number}")
    def get_issue(self, repo: FakeRepo, request: Request, body: Any, issue_number: str) -> Any:
        return self._issue_json(repo, self._issue_or_fail(repo, issue_number), full=True)

    @api("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}")
    def update_issue(self, repo: FakeRepo, request: Request, body: dict[str, Any], issue_number: str) -> Any:
        issue = self._issue_or_fail(repo, issue_number)
        title = str(body["title"]) if body.get("title") is not None else None
        self._check_text("Issue", title, body.get("body"))
        assignees: list[str] | None = None
        if "assignees" in body:
            assignees = self._names(body["assignees"] or [])
        elif "assignee" in body:
            assignees = [body["assignee"]] if body["assignee"] else []
        if assignees:
            self._check_assignees(repo, assignees)
        before = self._issue_json(repo, issue, full=True)
        now = self.now()
        if title is not None:
            issue.title = title
        if "body" in body:
            issue.body = body["body"]
        if "labels" in body:
            issue.labels = _unique(
                self._ensure_label(repo, n).name for n in self._names(body["labels"] or [])
            )
        if assignees is not None:
            issue.assignees = _unique(assignees)
        state = body.get("state")
        if state and state != issue.state:
            reason = body.get("state_reason")
            if state == "closed":
                self._set_state(
                    issue,
                    "closed",
                    reason if reason in ("completed", "not_planned", "duplicate") else None,
                    now,
                    self.actor,
                )
            else:
                self._set_state(issue, "open", "reopened", now, self.actor)
        elif (
            issue.state == "closed"
            and body.get("state_reason") in ("completed", "not_planned", "duplicate")
            and not issue.pull
        ):
            issue.state_reason = body["state_reason"]
        if self._issue_json(repo, issue, full=True) != before:
            issue.updated_at = max(issue.updated_at, now)
        return self._issue_json(repo, issue, full=True)

    @api("POST", "/repos/{owner}/{repo}/issues/{issue_number}/assignees")
    def add_assignees(
        self, repo: FakeRepo, request: Request, body: dict[str, Any], issue_number: str
    ) -> Response:
        issue = self._issue_or_fail(repo, issue_number)
        # Only assignable users are added; the others are silently ignored, as on GitHub.
        wanted = [a for a in self._names(body.get("assignees") or []) if self._assignable(repo, a)]
        merged = _unique([*issue.assignees, *wanted])[:10]
        if merged != issue.assignees:
            issue.assignees = merged
            issue.updated_at = max(issue.updated_at, self.now())
        return Response(201, self._issue_json(repo, issue, full=True))

    @api("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/assignees")
    def remove_assignees(
        self, repo: FakeRepo, request: Request, body: dict[str, Any], issue_number: str
    ) -> Any:
        issue = self._issue_or_fail(repo, issue_number)
        gone = {a.lower() for a in body["assignees"]}
        issue.assignees = [a for a in issue.assignees if a.lower() not in gone]
        return self._issue_json(repo, issue, full=True)

    # labels
    @api("GET", "/repos/{owner}/{repo}/labels")
    def list_labels(self, repo: FakeRepo, request: Request, body: Any) -> Response:
        labels = sorted(repo.labels.values(), key=lambda label: label.name.lower())
        return self._page(repo, request, [self._label_json(repo, label) for label in labels])

    @api("GET", "/repos/{owner}/{repo}/labels/{name}")
    def get_label(self, repo: FakeRepo, request: Request, body: Any, name: str) -> Any:
        label = repo.labels.get(name.lower())
        if label is None:
            self._fail(404, "Not Found")
        return self._label_json(repo, label)

    @api("POST", "/repos/{owner}/{repo}/labels")
    def create_label(self, repo: FakeRepo, request: Request, body: dict[str, Any]) -> Response:
        name = body["name"].strip()
        color = body.get("color", "ededed").lstrip("#")
        if not name:
            self._invalid({"resource": "Label", "code": "missing_field", "field": "name"})
        if name.lower() in repo.labels:
            self._invalid({"resource": "Label", "code": "already_exists", "field": "name"})
        if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
            self._invalid({"resource": "Label", "code": "invalid", "field": "color"})
        description = body.get("description")
        if description is not None and len(description) > 100:
            message = "description is too long (maximum is 100 characters)"
            self._invalid({"resource": "Label", "code": "custom", "field": "description", "message": message})
        label = repo.labels[name.lower()] = Label(next(self._ids), name, color.lower(), description)
        data = self._label_json(repo, label)
        return Response(201, data, {"Location": data["url"]})

    @api("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels")
    def list_issue_labels(self, repo: FakeRepo, request: Request, body: Any, issue_number: str) -> Response:
        issue = self._issue_or_fail(repo, issue_number)
        return self._page(
            repo, request, [self._label_json(repo, repo.labels[n.lower()]) for n in issue.labels]
        )

    @api("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels")
    def add_issue_labels(
        self, repo: FakeRepo, request: Request, body: dict[str, Any], issue_number: str
    ) -> Any:
        issue = self._issue_or_fail(repo, issue_number)
        added = [self._ensure_label(repo, n).name for n in self._names(body.get("labels") or [])]
        issue.labels = _unique([*issue.labels, *added])
        issue.updated_at = max(issue.updated_at, self.now())
        return [self._label_json(repo, repo.labels[n.lower()]) for n in issue.labels]

    @api("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels")
    def set_issue_labels(
        self, repo: FakeRepo, request: Request, body: dict[str, Any], issue_number: str
    ) -> Any:
        issue = self._issue_or_fail(repo, issue_number)
        issue.labels = _unique(
            self._ensure_label(repo, n).name for n in self._names(body.get("labels") or [])
        )
        issue.updated_at = max(issue.updated_at, self.now())
        return [self._label_json(repo, repo.labels[n.lower()]) for n in issue.labels]

    @api("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}")
    def remove_issue_label(
        self, repo: FakeRepo, request: Request, body: Any, issue_number: str, name: str
    ) -> Any:
        issue = self._issue_or_fail(repo, issue_number)
        if name.lower() not in {n.lower() for n in issue.labels}:
            self._fail(404, "Label does not exist")
        issue.labels = [n for n in issue.labels if n.lower() != name.lower()]
        issue.updated_at = max(issue.updated_at, self.now())
        return [self._label_json(repo, repo.labels[n.lower()]) for n in issue.labels]

    # comments
    @api("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
    def list_comments(self, repo: FakeRepo, request: Request, body: Any, issue_number: str) -> Response:
        issue = self._issue_or_fail(repo, issue_number)
        since = _parse_time(request.arg("since"))
        comments = [repo.comments[c] for c in issue.comment_ids]
        chosen = [c for c in comments if since is None or c.updated_at >= since]
        return self._page(repo, request, [self._comment_json(repo, c) for c in chosen])

    def _check_comment(self, text: str) -> None:
        if not text.strip():
            self._invalid(
                {
                    "resource": "IssueComment",
                    "code": "unprocessable",
                    "field": "data",
                    "message": "Body cannot be blank",
                }
            )
        if len(text) > BODY_MAX:
            message = f"Body is too long (maximum is {BODY_MAX} characters)"
            self._invalid(
                {"resource": "IssueComment", "code": "unprocessable", "field": "data", "message": message}
            )

    @api("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
    def create_comment(
        self, repo: FakeRepo, request: Request, body: dict[str, Any], issue_number: str
    ) -> Response:
        issue = self._issue_or_fail(repo, issue_number)
        self._check_comment(body["body"])
        comment = self._new_comment(repo, issue, body["body"], self.actor, self.now())
        data = self._comment_json(repo, comment)
        return Response(201, data, {"Location": data["url"]})

    def _comment_or_404(self, repo: FakeRepo, comment_id: str) -> Comment:
        comment = repo.comments.get(int(comment_id)) if comment_id.isdigit() else None
        if comment is None:
            self._fail(404, "Not Found")
        return comment

    @api("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    def get_comment(self, repo: FakeRepo, request: Request, body: Any, comment_id: str) -> Any:
        return self._comment_json(repo, self._comment_or_404(repo, comment_id))

    @api("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    def update_comment(self, repo: FakeRepo, request: Request, body: dict[str, Any], comment_id: str) -> Any:
        comment = self._comment_or_404(repo, comment_id)
        self._check_comment(body["body"])
        if body["body"] != comment.body:
            comment.body = body["body"]
            comment.updated_at = self.now()
        return self._comment_json(repo, comment)

    @api("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    def delete_comment(self, repo: FakeRepo, request: Request, body: Any, comment_id: str) -> Response:
        comment = self._comment_or_404(repo, comment_id)
        del repo.comments[comment.id]
        repo.issues[comment.issue_number].comment_ids.remove(comment.id)
        return Response(204)

    # -- git data -----------------------------------------------------------------------------------
    def _ref_name(self, ref: str) -> str:
        return ref if ref.startswith("refs/") else f"refs/{ref}"

    @api("GET", "/repos/{owner}/{repo}/git/ref/{ref}")
    def get_ref(self, repo: FakeRepo, request: Request, body: Any, ref: str) -> Any:
        name = self._ref_name(ref)
        if name not in repo.refs:
            self._fail(404, "Not Found")
        return self._ref_json(repo, name)

    @api("GET", "/repos/{owner}/{repo}/git/refs/{ref}")
    def get_refs_prefix(self, repo: FakeRepo, request: Request, body: Any, ref: str) -> Any:
        """The older form: one ref when it matches exactly, else every ref under that prefix."""
        name = self._ref_name(ref)
        if name in repo.refs:
            return self._ref_json(repo, name)
        found = [self._ref_json(repo, r) for r in sorted(repo.refs) if r.startswith(name + "/")]
        if not found:
            self._fail(404, "Not Found")
        return found

    @api("GET", "/repos/{owner}/{repo}/git/refs")
    def list_refs(self, repo: FakeRepo, request: Request, body: Any) -> Response:
        return self._page(repo, request, [self._ref_json(repo, r) for r in sorted(repo.refs)])

    @api("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref}")
    def matching_refs(self, repo: FakeRepo, request: Request, body: Any, ref: str) -> Response:
        prefix = self._ref_name(ref)
        return self._page(
            repo, request, [self._ref_json(repo, r) for r in sorted(repo.refs) if r.startswith(prefix)]
        )

    @api("POST", "/repos/{owner}/{repo}/git/refs")
    def create_ref(self, repo: FakeRepo, request: Request, body: dict[str, Any]) -> Response:
        ref, sha = body["ref"], body["sha"].lower()
        if not ref.startswith("refs/") or ref.count("/") < 2 or not _valid_ref(ref):
            self._fail(422, f"{ref} is not a valid ref name.")
        if ref in repo.refs:
            self._fail(422, "Reference already exists")
        if repo.kind(sha) is None:
            self._fail(422, "Object does not exist")
        repo.refs[ref] = sha
        data = self._ref_json(repo, ref)
        return Response(201, data, {"Location": data["url"]})

    @api("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}")
    def update_ref(self, repo: FakeRepo, request: Request, body: dict[str, Any], ref: str) -> Any:
        name = self._ref_name(ref)
        sha = body["sha"].lower()
        if name not in repo.refs:
            self._fail(422, "Reference does not exist")
        if repo.kind(sha) is None:
            self._fail(422, "Object does not exist")
        if not body.get("force") and repo.refs[name] not in repo.ancestors(sha):
            self._fail(422, "Update is not a fast forward")
        repo.refs[name] = sha
        return self._ref_json(repo, name)

    @api("DELETE", "/repos/{owner}/{repo}/git/refs/{ref}")
    def delete_ref(self, repo: FakeRepo, request: Request, body: Any, ref: str) -> Response:
        name = self._ref_name(ref)
        if name not in repo.refs:
            self._fail(422, "Reference does not exist")
        sha = repo.refs.pop(name)
        for issue in repo.issues.values():  # GitHub closes pull requests whose head branch is deleted
            pull = issue.pull
            if pull and issue.state == "open" and name == f"refs/heads/{pull.head_ref}":
                pull.head_sha = sha
                self._set_state(issue, "closed", None, self.now(), self.actor)
        return Response(204)

    @api("POST", "/repos/{owner}/{repo}/git/blobs")
    def create_blob(self, repo: FakeRepo, request: Request, body: dict[str, Any]) -> Response:
        encoding = body.get("encoding", "utf-8")
        if encoding in ("utf-8", "utf8"):
            raw = body["content"].encode()
        elif encoding == "base64":
            try:
                raw = base64.b64decode(body["content"], validate=False)
            except (binascii.Error, ValueError):
                self._invalid({"resource": "Blob", "code": "invalid", "field": "content"})
        else:
            self._invalid({"resource": "Blob", "code": "invalid", "field": "encoding"})
        sha = repo.put("blob", raw)
        url = f"{self._api}/repos/{repo.full_name}/git/blobs/{sha}"
        return Response(201, {"url": url, "sha": sha}, {"Location": url})

    @api("GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}")
    def get_blob(self, repo: FakeRepo, request: Request, body: Any, file_sha: str) -> Any:
        sha = file_sha.lower()
        if repo.kind(sha) != "blob":
            self._fail(404, "Not Found")
        raw = repo.raw(sha)
        return {
            "sha": sha,
            "node_id": f"B_kwDO{sha[:12]}",
            "size": len(raw),
            "url": f"{self._api}/repos/{repo.full_name}/git/blobs/{sha}",
            "content": _b64_lines(raw),
            "encoding": "base64",
        }

    def _tree_json(self, repo: FakeRepo, sha: str, *, recursive: bool) -> dict[str, Any]:
        base = f"{self._api}/repos/{repo.full_name}/git"

        def entries(tree_sha: str, prefix: str) -> Iterator[dict[str, Any]]:
            for entry in repo.tree(tree_sha):
                item: dict[str, Any] = {
                    "path": prefix + entry.name,
                    "mode": entry.api_mode,
                    "type": entry.kind,
                    "sha": entry.sha,
                }
                if entry.kind == "blob":
                    item["size"] = len(repo.raw(entry.sha)) if repo.kind(entry.sha) else 0
                if entry.kind != "commit":
                    item["url"] = f"{base}/{entry.kind}s/{entry.sha}"
                yield item
                if recursive and entry.kind == "tree":
                    yield from entries(entry.sha, prefix + entry.name + "/")

        return {"sha": sha, "url": f"{base}/trees/{sha}", "tree": list(entries(sha, "")), "truncated": False}

    @api("POST", "/repos/{owner}/{repo}/git/trees")
    def create_tree(self, repo: FakeRepo, request: Request, body: dict[str, Any]) -> Response:
        items = body["tree"]
        if not items:
            self._fail(422, "Invalid tree info")
        flat: dict[str, tuple[str, str]] = {}
        if body.get("base_tree"):
            base = body["base_tree"].lower()
            if repo.kind(base) != "tree":
                self._fail(422, "Invalid tree info")
            flat = repo.flatten(base)
        for item in items:
            path, mode, kind = item.get("path"), item.get("mode"), item.get("type")
            if not path or not mode or not kind or _KIND_OF_MODE.get(mode) != kind or not _valid_path(path):
                self._fail(422, "Invalid tree info")
            if "sha" in item and "content" in item:
                self._fail(422, "Invalid tree info")
            under = [p for p in flat if p == path or p.startswith(path + "/")]
            if "content" in item:
                if kind != "blob":
                    self._fail(422, "Invalid tree info")
                _set_path(flat, path, (mode, repo.put("blob", item["content"].encode())))
            elif item.get("sha") is None:
                if not under:  # removing what is not there fails the whole tree on GitHub
                    self._fail(422, "GitRPC::BadObjectState")
                for p in under:
                    del flat[p]
            else:
                sha = item["sha"].lower()
                if kind != "commit" and repo.kind(sha) != kind:
                    self._fail(422, "GitRPC::BadObjectState")
                if kind == "tree":
                    for p in under:
                        del flat[p]
                    for sub, leaf in repo.flatten(sha, path + "/").items():
                        _set_path(flat, sub, leaf)
                else:
                    _set_path(flat, path, (mode.lstrip("0"), sha))
        sha = repo.build({p: (m.lstrip("0"), s) for p, (m, s) in flat.items()})
        data = self._tree_json(repo, sha, recursive=False)
        return Response(201, data, {"Location": data["url"]})

    @api("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}")
    def get_tree(self, repo: FakeRepo, request: Request, body: Any, tree_sha: str) -> Any:
        sha = tree_sha.lower()
        if repo.kind(sha) != "tree":
            commit = repo.resolve(tree_sha)
            if commit is None:
                self._fail(404, "Not Found")
            sha = repo.commit(commit).tree
        # "Setting this parameter to any value returns the objects or subtrees referenced by the tree."
        return self._tree_json(repo, sha, recursive="recursive" in request.query)

    @api("POST", "/repos/{owner}/{repo}/git/commits")
    def create_commit(self, repo: FakeRepo, request: Request, body: dict[str, Any]) -> Response:
        tree = body["tree"].lower()
        parents = [p.lower() for p in body.get("parents") or []]
        if repo.kind(tree) != "tree":
            self._fail(422, "Tree SHA does not exist")
        if any(repo.kind(p) != "commit" for p in parents):
            self._fail(422, "Parent SHA does not exist or is not a commit object")
        author = self._person(body.get("author"), None)
        committer = self._person(body.get("committer"), author)
        raw = encode_commit(tree, parents, author, committer, body["message"], body.get("signature"))
        sha = repo.put("commit", raw)
        data = self._git_commit_json(repo, sha)
        return Response(201, data, {"Location": data["url"]})

    def _person(self, given: dict[str, Any] | None, fallback: Person | None) -> Person:
        if not given:
            if fallback is not None:
                return fallback
            uid = self._user_id(self.actor)
            return Person(self.actor, f"{uid}+{self.actor}@users.noreply.github.com", self.now())
        when = self.now()
        if given.get("date"):
            parsed = _parse_time(given["date"])
            if parsed is None:
                self._fail(
                    422,
                    f"Invalid request.\n\nFor 'properties/date', {_ruby(given['date'])} is not a date-time.",
                )
            when = parsed
        return Person(given["name"], given["email"], when)

    @api("GET", "/repos/{owner}/{repo}/git/commits/{commit_sha}")
    def get_git_commit(self, repo: FakeRepo, request: Request, body: Any, commit_sha: str) -> Any:
        if repo.kind(commit_sha.lower()) != "commit":
            self._fail(404, "Not Found")
        return self._git_commit_json(repo, commit_sha.lower())

    # -- contents -----------------------------------------------------------------------------------
    def _commit_for(self, repo: FakeRepo, ref: str | None) -> str:
        if not repo.refs:
            self._fail(404, "This repository is empty.")
        sha = repo.resolve(ref or repo.default_branch)
        if sha is None:
            self._fail(404, f"No commit found for the ref {ref}")
        return sha

    @api("GET", "/repos/{owner}/{repo}/contents")
    def get_root_contents(self, repo: FakeRepo, request: Request, body: Any) -> Any:
        return self._contents(repo, request, "")

    @api("GET", "/repos/{owner}/{repo}/contents/{path}")
    def get_contents(self, repo: FakeRepo, request: Request, body: Any, path: str) -> Any:
        return self._contents(repo, request, path.strip("/"))

    def _contents(self, repo: FakeRepo, request: Request, path: str) -> Any:
        ref = request.arg("ref") or repo.default_branch
        tree = repo.commit(self._commit_for(repo, ref)).tree
        mode, sha = "40000", tree
        for part in [p for p in path.split("/") if p]:
            entry = next((e for e in repo.tree(sha) if e.name == part), None) if mode == "40000" else None
            if entry is None:
                self._fail(404, "Not Found")
            mode, sha = entry.mode, entry.sha
        if mode == "40000":
            prefix = f"{path}/" if path else ""
            return [
                self._content_json(repo, prefix + e.name, e.mode, e.sha, ref, content=False)
                for e in repo.tree(sha)
            ]
        return self._content_json(repo, path, mode, sha, ref, content=True)

    def _file_commit(
        self,
        repo: FakeRepo,
        body: dict[str, Any],
        path: str,
        change: tuple[str, str] | None,
        parent: str | None,
        branch: str,
    ) -> str:
        flat = repo.commit_files(parent)
        if change is None:
            del flat[path]
        else:
            _set_path(flat, path, change)
        committer = self._person(body.get("committer"), None)
        author = self._person(body.get("author"), committer)
        raw = encode_commit(repo.build(flat), [parent] if parent else [], author, committer, body["message"])
        sha = repo.put("commit", raw)
        repo.refs[f"refs/heads/{branch}"] = sha
        return sha

    def _branch_head(self, repo: FakeRepo, body: dict[str, Any]) -> tuple[str, str | None]:
        branch = body.get("branch") or repo.default_branch
        head = repo.branch(branch)
        if head is None and (repo.refs or branch != repo.default_branch):
            self._fail(404, f"Branch {branch} not found")
        return branch, head

    @api("PUT", "/repos/{owner}/{repo}/contents/{path}")
    def put_contents(self, repo: FakeRepo, request: Request, body: dict[str, Any], path: str) -> Response:
        path = path.strip("/")
        branch, head = self._branch_head(repo, body)
        try:
            raw = base64.b64decode(body["content"], validate=False)
        except (binascii.Error, ValueError):
            self._fail(422, "content is not valid Base64")
        current = repo.commit_files(head).get(path)
        if current is not None:
            if "sha" not in body:
                self._fail(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
            if body["sha"] != current[1]:
                self._fail(409, f"{path} does not match {body['sha']}")
        blob = repo.put("blob", raw)
        sha = self._file_commit(repo, body, path, (current[0] if current else "100644", blob), head, branch)
        data = {
            "content": self._content_json(repo, path, "100644", blob, branch, content=False),
            "commit": self._git_commit_json(repo, sha),
        }
        return Response(200 if current else 201, data)

    @api("DELETE", "/repos/{owner}/{repo}/contents/{path}")
    def delete_contents(self, repo: FakeRepo, request: Request, body: dict[str, Any], path: str) -> Any:
        path = path.strip("/")
        branch, head = self._branch_head(repo, body)
        current = repo.commit_files(head).get(path)
        if current is None:
            self._fail(404, "Not Found")
        if body["sha"] != current[1]:
            self._fail(409, f"{path} does not match {body['sha']}")
        sha = self._file_commit(repo, body, path, None, head, branch)
        return {"content": None, "commit": self._git_commit_json(repo, sha)}

    # -- commits ------------------------------------------------------------------------------------
    @api("GET", "/repos/{owner}/{repo}/commits")
    def list_commits(self, repo: FakeRepo, request: Request, body: Any) -> Response:
        if not repo.refs:
            self._fail(409, "Git Repository is empty.")
        start = repo.resolve(request.arg("sha") or repo.default_branch)
        if start is None:
            self._fail(404, "Not Found")
        path = (request.arg("path") or "").strip("/")
        since, until = _parse_time(request.arg("since")), _parse_time(request.arg("until"))
        chosen = []
        for sha in repo.history(start):
            info = repo.commit(sha)
            when = info.committer.when
            if (since and when < since) or (until and when > until):
                continue
            if path and not self._touches(repo, info, path):
                continue
            chosen.append(sha)
        return self._page(repo, request, [self._commit_json(repo, s, with_files=False) for s in chosen])

    def _touches(self, repo: FakeRepo, info: CommitInfo, path: str) -> bool:
        def at(tree: str | None) -> dict[str, tuple[str, str]]:
            if tree is None:
                return {}
            return {p: v for p, v in repo.flatten(tree).items() if p == path or p.startswith(path + "/")}

        mine = at(info.tree)
        parents = [at(repo.commit(p).tree) for p in info.parents] or [{}]
        return all(mine != theirs for theirs in parents)  # like git log: TREESAME to a parent hides it

    @api("GET", "/repos/{owner}/{repo}/commits/{ref}")
    def get_commit(self, repo: FakeRepo, request: Request, body: Any, ref: str) -> Any:
        sha = repo.resolve(ref)
        if sha is None:
            self._fail(422, f"No commit found for SHA: {ref}")
        return self._commit_json(repo, sha)

    @api("GET", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls")
    def commit_pulls(self, repo: FakeRepo, request: Request, body: Any, commit_sha: str) -> Response:
        sha = repo.resolve(commit_sha)
        if sha is None:
            self._fail(422, f"No commit found for SHA: {commit_sha}")
        found = []
        for issue in sorted(repo.issues.values(), key=lambda i: -i.number):
            pull = issue.pull
            if pull is None:
                continue
            if pull.merged and sha in pull.introduced:
                found.append(issue)
            elif issue.state == "open":
                base = repo.branch(pull.base_ref)
                head = self._head_sha(repo, pull)
                if sha in repo.ancestors(head) - (repo.ancestors(base) if base else set()):
                    found.append(issue)
        return self._page(repo, request, [self._pull_json(repo, i, full=False) for i in found])

    # -- pull requests ------------------------------------------------------------------------------
    @api("GET", "/repos/{owner}/{repo}/pulls")
    def list_pulls(self, repo: FakeRepo, request: Request, body: Any) -> Response:
        state = request.arg("state", "open")
        head, base = request.arg("head"), request.arg("base")
        found = []
        for issue in repo.issues.values():
            pull = issue.pull
            if pull is None or (state != "all" and issue.state != state):
                continue
            # GitHub ignores a head filter without the "owner:" part.
            if head and ":" in head and head.lower() != f"{repo.owner}:{pull.head_ref}".lower():
                continue
            if base and base != pull.base_ref:
                continue
            found.append(issue)
        sort = request.arg("sort", "created")
        direction = "desc" if sort == "created" else "asc"
        found = _sorted(
            found, request, {"created": "created_at", "updated": "updated_at"}, default_direction=direction
        )
        return self._page(repo, request, [self._pull_json(repo, i, full=False) for i in found])

    def _open_pull_for(
        self, repo: FakeRepo, head: str, base: str, besides: int | None = None
    ) -> Issue | None:
        return next(
            (
                i
                for i in repo.issues.values()
                if i.pull
                and i.state == "open"
                and i.number != besides
                and i.pull.head_ref == head
                and i.pull.base_ref == base
            ),
            None,
        )

    @api("POST", "/repos/{owner}/{repo}/pulls")
    def create_pull(self, repo: FakeRepo, request: Request, body: dict[str, Any]) -> Response:
        owner, _, head_ref = body["head"].rpartition(":")
        base_ref = body["base"]
        head = repo.branch(head_ref)
        if (owner and owner.lower() != repo.owner.lower()) or head is None:
            self._invalid({"resource": "PullRequest", "field": "head", "code": "invalid"})
        base = repo.branch(base_ref)
        if base is None:
            self._invalid({"resource": "PullRequest", "field": "base", "code": "invalid"})
        existing = repo.issues.get(body["issue"]) if "issue" in body else None
        if "issue" in body and (existing is None or existing.pull):
            self._invalid({"resource": "PullRequest", "field": "issue", "code": "invalid"})
        title = existing.title if existing else body.get("title")
        if title is None:
            self._invalid({"resource": "PullRequest", "field": "title", "code": "missing_field"})
        self._check_text("PullRequest", title, body.get("body"))
        if self._open_pull_for(repo, head_ref, base_ref):
            message = f"A pull request already exists for {repo.owner}:{head_ref}."
            self._invalid({"resource": "PullRequest", "code": "custom", "message": message})
        if head in repo.ancestors(base):
            message = f"No commits between {base_ref} and {head_ref}"
            self._invalid({"resource": "PullRequest", "code": "custom", "message": message})
        now = self.now()
        issue = existing or self._new_issue(repo, title, body.get("body"), self.actor, now)
        issue.pull = Pull(
            next(self._ids),
            head_ref,
            base_ref,
            head,
            draft=bool(body.get("draft")),
            maintainer_can_modify=bool(body.get("maintainer_can_modify")),
        )
        issue.updated_at = now
        data = self._pull_json(repo, issue)
        return Response(201, data, {"Location": data["url"]})

    def _pull_or_404(self, repo: FakeRepo, number: str) -> Issue:
        issue = repo.issues.get(int(number)) if number.isdigit() else None
        if issue is None or issue.pull is None:
            self._fail(404, "Not Found")
        return issue

    @api("GET", "/repos/{owner}/{repo}/pulls/{pull_number}")
    def get_pull(self, repo: FakeRepo, request: Request, body: Any, pull_number: str) -> Any:
        return self._pull_json(repo, self._pull_or_404(repo, pull_number))

    @api("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}")
    def update_pull(self, repo: FakeRepo, request: Request, body: dict[str, Any], pull_number: str) -> Any:
        issue = self._pull_or_404(repo, pull_number)
        pull = issue.pull
        assert pull is not None
        self._check_text("PullRequest", body.get("title"), body.get("body"))
        if "base" in body and repo.branch(body["base"]) is None:
            self._invalid({"resource": "PullRequest", "field": "base", "code": "invalid"})
        state = body.get("state")
        if state == "open" and issue.state == "closed":
            if pull.merged:
                message = (
                    "state cannot be changed. The pull request cannot be reopened because it has been merged."
                )
                self._invalid(
                    {"resource": "PullRequest", "code": "custom", "field": "state", "message": message}
                )
            if repo.branch(pull.head_ref) is None:
                self._invalid({"resource": "PullRequest", "field": "state", "code": "invalid"})
            if self._open_pull_for(
                repo, pull.head_ref, body.get("base", pull.base_ref), besides=issue.number
            ):
                message = f"A pull request already exists for {repo.owner}:{pull.head_ref}."
                self._invalid({"resource": "PullRequest", "code": "custom", "message": message})
        now = self.now()
        for key in ("title", "body"):
            if key in body:
                setattr(issue, key, body[key])
        if "base" in body:
            pull.base_ref = body["base"]
        if "maintainer_can_modify" in body:
            pull.maintainer_can_modify = body["maintainer_can_modify"]
        if state and state != issue.state:
            if state == "closed":
                pull.head_sha = self._head_sha(repo, pull)
            self._set_state(issue, state, None, now, self.actor)
        issue.updated_at = now
        return self._pull_json(repo, issue)


# -- small helpers -------------------------------------------------------------------------------------
def _git(path: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True).stdout


def _unique(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


def _reactions(url: str) -> dict[str, Any]:
    counts = dict.fromkeys(["+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"], 0)
    return {"url": f"{url}/reactions", "total_count": 0, **counts}


def _sorted(
    items: list[Any], request: Request, keys: Mapping[str, str], default_direction: str = "desc"
) -> list[Any]:
    sort = request.arg("sort", "created") or "created"
    direction = request.arg("direction", default_direction)
    attribute = keys.get(sort)

    def key(item: Any) -> tuple[Any, ...]:
        if sort == "comments" and hasattr(item, "comment_ids"):
            return (len(item.comment_ids), item.number)
        order = getattr(item, "number", None) or getattr(item, "id", 0)
        return (getattr(item, attribute or "created_at"), order)

    return sorted(items, key=key, reverse=direction != "asc")


def _set_path(flat: dict[str, tuple[str, str]], path: str, leaf: tuple[str, str]) -> None:
    """Put a file at path, replacing a file that stood where a directory must go and vice versa."""
    parts = path.split("/")
    for i in range(1, len(parts)):
        flat.pop("/".join(parts[:i]), None)
    for other in [p for p in flat if p.startswith(path + "/")]:
        del flat[other]
    flat[path] = leaf


def _valid_path(path: str) -> bool:
    parts = path.split("/")
    return all(part and part not in (".", "..", ".git") for part in parts)


def _valid_ref(ref: str) -> bool:
    bad = re.search(r"\.\.|[\x00-\x20~^:?*\[\\]|@\{|//|/\.|\.lock(/|$)", ref)
    return not bad and not ref.endswith(("/", "."))


def _text_lines(repo: FakeRepo, leaf: tuple[str, str] | None) -> list[str] | None:
    if leaf is None:
        return []
    if repo.kind(leaf[1]) != "blob":
        return None
    raw = repo.raw(leaf[1])
    if b"\0" in raw:
        return None
    return raw.decode("utf-8", "replace").splitlines()


def _merge_flat(
    base: Mapping[str, tuple[str, str]],
    ours: Mapping[str, tuple[str, str]],
    theirs: Mapping[str, tuple[str, str]],
) -> dict[str, tuple[str, str]] | None:
    """A path-level three-way merge; None when both sides changed a path differently."""
    result = dict(ours)
    for path in set(base) | set(ours) | set(theirs):
        b, o, t = base.get(path), ours.get(path), theirs.get(path)
        if o == t or b == t:
            continue
        if b == o:
            if t is None:
                result.pop(path, None)
            else:
                result[path] = t
        else:
            return None
    return result
