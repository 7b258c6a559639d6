"""A team's repository with GitHub, Slack and Google Docs faked around it, for the publish tests.

    world = World.create(tmp_path)            # a real git repo (settings, templates, interviews, a note),
    ran = world.publish()                     # pushed to FakeGitHub and checked out as a runner would
    ran = world.cli("publish")                # the same, through the CLI in a subprocess
    world.issues(), world.messages(), world.doc_text(), world.ledger(path)

FakeGitHub holds the truth (the remote); `world.root` is the runner's checkout of it. `push` commits
files on the remote as a teammate would and checks the new head out; `checkout` does only the latter,
as a new workflow run does. In-process runs use a `Policy` whose waits are recorded, never slept: each
wait moves the fakes' clocks instead, so a rate limit's reset arrives without anyone sleeping.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import requests
import yaml

from fakes.github import FakeGitHub
from fakes.google import DOCS_SCOPE, FakeGoogleAuth, FakeGoogleDocs
from fakes.server import FakeService, Fault, Request
from fakes.slack import FakeSlack
from helpers_repo import clean_env, git, make_repo

REPO = "acme/interviews"
PRODUCT = "acme/product"  # another repository, where a hand-set issue lives
CHANNEL = "C0FEEDBACK"  # pyproject.toml's slack_channel
DOC_ID = "1ExampleFeedbackDoc"  # pyproject.toml's google_doc_id
TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # the fakes' clocks: after every interview's date
DOC_PREAMBLE = "User interviews\nKept by the team; feedbackloop appends an entry per call.\n"
SERVER = "https://github.com"
ROSTER = {"alice": "U0ALICE", "bob": "U0BOB", "carol": "U0CAROL"}

JOE = "interviews/2026/2026-11-20-web-analytics-joe.md"
PRIYA = "interviews/2026/2026-11-23-session-replay-priya.md"
ANA = "interviews/2026/2026-11-24-slack-feedback-ana.md"
LENA = "interviews/2026/2026-12-03-surveys-lena.md"


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def team_pyproject(**settings: Any) -> str:
    """pyproject.toml with these settings and the roster (Slack ids, and e-mails for calendar invites)."""
    lines = ["[tool.feedbackloop]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    lines.append("roster = [")
    for login, member in ROSTER.items():
        lines.append(f'  {{ github = "{login}", slack = "{member}", email = "{login}@acme.example" }},')
    lines.append("]")
    return "\n".join(lines) + "\n"


def interview(
    record_id: str,
    *,
    topic: str = "Web analytics",
    first_name: str = "Joe",
    interviewers: Sequence[str] = ("alice", "bob"),
    summary: str = "Uses funnels daily; wants breakdowns by cohort; hit a crash with long funnels.",
    requests: Sequence[Mapping[str, str]] = (),
    notes: str = "- Moved from Google Analytics in September.\n- Funnels with 50+ steps crash.",
    status: str = "completed",
    company: str = "Acme",
    role: str = "CTO",
    comment: str = "# The call with Joe; publish writes the links back below.",
) -> str:
    """An interview file as a teammate writes it (`feedbackloop new`'s shape), without a ledger."""
    day = record_id[:10]
    lines = [
        "---",
        comment,
        f"id: {record_id}",
        f"topic: {_q(topic)}",
        f"date: {day}",
        f"status: {status}",
        f"interviewers: [{', '.join(interviewers)}]",
        "user:",
        f"  first_name: {first_name}",
        f"  profile: https://us.posthog.com/project/2/person/01HX-{first_name.lower()}",
        f"  company: {_q(company)}",
        f"  role: {_q(role)}",
        "  technical: true",
        "recruited_via: survey",
        "recording:",
        "  consent: true",
        f"  url: https://app.buildbetter.app/calls/{record_id}",
        f"  title: {_q(f'{topic} user interview with {first_name}')}",
    ]
    if status == "completed":
        lines.append(f"summary: {_q(summary)}")
    if requests:
        lines.append("requests:")
        for request in requests:
            lines.append(f"  - type: {request.get('type', 'bug')}")
            for key in ("title", "details", "issue", "evidence"):
                if key in request:
                    lines.append(f"    {key}: {_q(request[key])}")
    if status == "completed":
        lines += [
            "questions:",
            "  - question: Can cohorts be exported?",
            "    answer: Yes, from the cohort page (CSV).",
            "reward:",
            "  kind: merch",
            "  amount: 30",
            "  status: pending",
            "follow_up:",
            "  status: pending",
        ]
    lines += ["---", "## Notes", "", notes, ""]
    return "\n".join(lines)


def note(
    record_id: str, *, first_name: str = "Ana", feedback: str, requests: Sequence[Mapping[str, str]]
) -> str:
    lines = [
        "---",
        "kind: note",
        f"id: {record_id}",
        f"date: {record_id[:10]}",
        "received_by: carol",
        "received_via: slack",
        "user:",
        f"  first_name: {first_name}",
        f"  profile: https://us.posthog.com/project/2/person/01HX-{first_name.lower()}",
        "  company: Tidewater",
        f"feedback: {_q(feedback)}",
        "requests:",
    ]
    for request in requests:
        lines.append(f"  - type: {request.get('type', 'bug')}")
        for key in ("title", "details", "issue", "evidence"):
            if key in request:
                lines.append(f"    {key}: {_q(request[key])}")
    lines += ["---", "Shared in our community Slack, #help channel.", ""]
    return "\n".join(lines)


def standard_files(hand_set_issue: int) -> dict[str, str]:
    """Three completed interviews' worth of work and a scheduled call that publish leaves alone."""
    return {
        JOE: interview(
            "2026-11-20-web-analytics-joe",
            requests=[
                {
                    "type": "bug",
                    "title": "Funnel breakdown crashes with more than 50 steps",
                    "details": "Happens on the trends page too.",
                },
                {"type": "feature", "title": "Break down funnels by cohort"},
            ],
        ),
        PRIYA: interview(
            "2026-11-23-session-replay-priya",
            topic="Session replay",
            first_name="Priya",
            interviewers=["carol"],
            company="Globex",
            role="Designer",
            summary="Watches replays of failed checkouts; wants to jump to errors.",
            requests=[
                {
                    "type": "feature",
                    "title": "Jump to the next console error in a replay",
                    "issue": f"https://github.com/{PRODUCT}/issues/{hand_set_issue}",
                }
            ],
            comment="# Priya asked for what #7 already tracks: publish adds her as evidence.",
        ),
        ANA: note(
            "2026-11-24-slack-feedback-ana",
            feedback="The SQL editor loses the query when the tab is reloaded.",
            requests=[{"type": "bug", "title": "SQL editor loses the query on reload"}],
        ),
        LENA: interview(
            "2026-12-03-surveys-lena",
            topic="Surveys",
            first_name="Lena",
            status="scheduled",
            comment="# Booked for next week.",
        ),
    }


@dataclass(frozen=True)
class Ran:
    code: int
    out: str

    def lines(self, start: str) -> list[str]:
        return [line for line in self.out.splitlines() if line.startswith(start)]


@dataclass
class World:
    tmp: Path
    root: Path
    github: FakeGitHub
    slack: FakeSlack
    auth: FakeGoogleAuth
    docs: FakeGoogleDocs
    google_token: str
    sha: str = ""  # what the runner checked out (GITHUB_SHA)
    waits: list[float] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    hand_set_issue: int = 0

    # -- set-up ----------------------------------------------------------------------------------
    @classmethod
    def create(cls, tmp: Path, files: Mapping[str, str] | None = None) -> World:
        """The repository pushed to FakeGitHub and checked out; Slack and the doc ready and empty."""
        github = FakeGitHub(token="ghs_test").start()
        github.set_time(NOW)
        github.add_repo(REPO, collaborators=set(ROSTER))
        github.add_repo(PRODUCT, private=False, collaborators=set(ROSTER))
        hand_set = 0
        for n in range(1, 8):  # PRODUCT#7 is the issue a teammate pointed a request at
            hand_set = github.seed_issue(PRODUCT, f"Existing issue {n}", f"Body {n}", labels=["enhancement"])
        slack = FakeSlack().start()
        slack.set_clock(NOW)
        slack.add_channel(CHANNEL, name="user-feedback", member=True)
        for login, member in ROSTER.items():
            slack.add_user(member, name=login)
        auth = FakeGoogleAuth().start()  # the real clock: google-auth signs assertions with it
        docs = FakeGoogleDocs(auth).start()
        docs.add_document(DOC_ID, "User interviews", DOC_PREAMBLE)
        root = make_repo(tmp / "repo")
        world = cls(
            tmp,
            root,
            github,
            slack,
            auth,
            docs,
            auth.issue_token([DOCS_SCOPE]),
            hand_set_issue=hand_set,
        )
        chosen = standard_files(hand_set) if files is None else files
        for path, text in chosen.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        git(root, "add", "--", ".")
        git(root, "commit", "--quiet", "--allow-empty", "-m", "Add the interviews")
        github.import_git(root, REPO)
        world.sha = git(root, "rev-parse", "HEAD")
        return world

    def stop(self) -> None:
        for service in (self.github, self.slack, self.docs, self.auth):
            service.on_request = None
            service.stop()

    @property
    def services(self) -> tuple[FakeService, ...]:
        return (self.github, self.slack, self.auth, self.docs)

    # -- the remote and the checkout ---------------------------------------------------------------
    def head(self) -> str:
        head = self.github.ref(REPO, "main")
        assert head is not None
        return head

    def checkout(self) -> str:
        """What actions/checkout does at the start of a new run: the remote's main in the work tree."""
        self.github.export_git(REPO, self.root, branch="main")
        git(self.root, "reset", "--quiet", "--hard", "main")
        self.sha = git(self.root, "rev-parse", "HEAD")
        return self.sha

    def push(self, files: Mapping[str, str | None], message: str = "Update interviews") -> str:
        """A teammate pushes to main; the next run checks it out."""
        self.github.commit_files(REPO, files, message=message, author="alice")
        return self.checkout()

    def merge_pull_request(
        self, files: Mapping[str, str | None], title: str = "Add interviews", branch: str = "add-interviews"
    ) -> int:
        """A teammate's pull request adding `files`, merged on GitHub; the push event's run checks
        out the merge commit. Returns the pull request's number."""
        self.github.create_branch(REPO, branch)
        self.github.commit_files(REPO, files, branch=branch, message=title, author="alice")
        answer = requests.post(
            f"{self.github.url}repos/{REPO}/pulls",
            json={"title": title, "head": branch, "base": "main", "body": "The notes of our calls."},
            headers={"Authorization": f"token {self.github.token}"},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        number = int(answer.json()["number"])
        self.github.merge_pull(REPO, number, by="alice")
        self.checkout()
        return number

    def remote_text(self, path: str, ref: str = "main") -> str:
        raw = self.github.read_file(REPO, path, ref)
        assert raw is not None, f"{path} is not on {ref}"
        return raw.decode("utf-8")

    def frontmatter(self, path: str, ref: str = "main") -> dict[str, Any]:
        text = self.remote_text(path, ref)
        loaded: dict[str, Any] = yaml.safe_load(text.split("---\n")[1])
        return loaded

    # -- the environment a runner gives the publish step --------------------------------------------
    @property
    def summary_path(self) -> Path:
        return self.tmp / "step-summary.md"

    def env(self, **overrides: str | None) -> dict[str, str]:
        values = {
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_EVENT_NAME": "workflow_dispatch",
            "GITHUB_TOKEN": self.github.token,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": self.github.url.rstrip("/"),
            "GITHUB_SERVER_URL": SERVER,
            "GITHUB_SHA": self.sha,
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_STEP_SUMMARY": str(self.summary_path),
            "SLACK_BOT_TOKEN": self.slack.token,
            "SLACK_API_URL": self.slack.url,
            "GOOGLE_OAUTH_ACCESS_TOKEN": self.google_token,
            "GOOGLE_DOCS_API_URL": self.docs.url,
            **self.extra_env,
        }
        for name, value in overrides.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = value
        return values

    # -- running publish ---------------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """The injected wait: recorded, and the fakes' clocks move instead of this process sleeping."""
        self.waits.append(seconds)
        self.github.advance(seconds)
        self.slack.advance(seconds)

    def clock(self) -> float:
        return self.github.now().timestamp()

    def publish(self, *args: str, policy: Mapping[str, Any] | None = None, **env: str | None) -> Ran:
        """`feedbackloop publish ARGS` in this process: fast, and every wait recorded, never slept."""
        from feedbackloop.commands import publish
        from feedbackloop.config import Environment
        from feedbackloop.context import Context
        from feedbackloop.errors import FeedbackloopError
        from feedbackloop.services.retry import Policy

        options: dict[str, Any] = {"dry_run": False, "only": None, "include_examples": False}
        rest = list(args)
        while rest:
            flag = rest.pop(0)
            if flag == "--dry-run":
                options["dry_run"] = True
            elif flag == "--only":
                options["only"] = rest.pop(0)
            elif flag == "--include-examples":
                options["include_examples"] = True
            else:
                raise AssertionError(f"unknown flag {flag}")
        context = Context(
            self.root,
            Environment(self.env(**env)),
            TODAY,
            policy=Policy(sleep=self.sleep, clock=self.clock, **(policy or {})),
        )
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                code = publish.run(context, **options)
            except FeedbackloopError as error:  # as cli.run reports it
                print(f"error: {error}")
                code = error.exit_code
        return Ran(code, out.getvalue())

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "feedbackloop", *args, "--root", str(self.root), "--today", str(TODAY)]

    def cli(self, *args: str, timeout: float = 60, **env: str | None) -> Ran:
        """`feedbackloop ARGS` in a subprocess, as the workflow step runs it."""
        done = subprocess.run(
            self.command(*args),
            cwd=self.root,
            env=clean_env(self.env(**env)),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            check=False,
        )
        return Ran(done.returncode, done.stdout + done.stderr)

    def killed(self, killer: Killer, *args: str, **env: str | None) -> int:
        """`feedbackloop ARGS` in a subprocess that `killer` SIGKILLs at its request; its exit code."""
        killer.arm()
        process = self.spawn(*args, **env)
        killer.start(process.pid)
        process.communicate(timeout=60)
        killer.disarm()
        return process.returncode

    def spawn(self, *args: str, **env: str | None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            cwd=self.root,
            env=clean_env(self.env(**env)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
        )

    # -- what the services hold --------------------------------------------------------------------
    def requests(self) -> list[Request]:
        return [r for service in self.services for r in service.requests]

    def request_count(self) -> dict[str, int]:
        return {service.name: len(service.requests) for service in self.services}

    def forget_requests(self) -> None:
        for service in self.services:
            with service._lock:
                service.requests.clear()

    def issues(self, repo: str = REPO) -> list[dict[str, Any]]:
        return self.github.issues(repo)

    def messages(self) -> list[dict[str, Any]]:
        return self.slack.messages(CHANNEL)

    def doc_text(self) -> str:
        return self.docs.text(DOC_ID)

    def doc_ranges(self) -> dict[str, list[tuple[int, int]]]:
        return self.docs.named_ranges(DOC_ID)


@contextlib.contextmanager
def world_at(tmp: Path, files: Mapping[str, str] | None = None) -> Iterator[World]:
    world = World.create(tmp, files)
    try:
        yield world
        assert world.github.errors == [], world.github.errors  # the fakes themselves never crashed
        assert world.slack.bugs == [], world.slack.bugs
    finally:
        world.stop()


# -- killing a run at a request ------------------------------------------------------------------------
@dataclass
class Killer:
    """SIGKILL the publish process when the `at`-th request (1-based, over every fake) arrives.

    `processed=False`: the connection is dropped before the fake acts on it (the request never
    happened); `processed=True`: the fake acts on it, but its answer reaches nobody."""

    services: Sequence[FakeService]
    at: int
    processed: bool
    pid: int | None = None
    seen: int = 0
    killed: str | None = None  # the request line it died at
    _ready: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self) -> None:
        for service in self.services:
            service.on_request = functools.partial(self._on_request, service)

    def start(self, pid: int) -> None:
        self.pid = pid
        self._ready.set()

    def _on_request(self, service: FakeService, request: Request) -> None:
        self._ready.wait(10)
        with self._lock:
            self.seen += 1
            if self.seen != self.at or self.pid is None:
                return
            self.killed = f"{service.name}: {request.line}"
            if not self.processed:
                service.inject(Fault.drop(), match=_glob_escape(request.line))
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def disarm(self) -> None:
        for service in self.services:
            service.on_request = None


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in text)


# -- reading the ledger --------------------------------------------------------------------------------
def markers_in(text: str) -> list[tuple[str, dict[str, str]]]:
    from feedbackloop.plan.publish import markers

    return list(markers(text))


def request_keys(issues: Iterable[Mapping[str, Any]]) -> list[str]:
    """The marker key of every issue publish filed (one per request)."""
    return [
        fields["key"]
        for issue in issues
        for kind, fields in markers_in(issue.get("body") or "")
        if kind == "request"
    ]


# -- what exactly once means, checked against every service at once ------------------------------------
STANDARD_IDS = (
    "2026-11-20-web-analytics-joe",
    "2026-11-23-session-replay-priya",
    "2026-11-24-slack-feedback-ana",
)
STANDARD_PATHS = {JOE: STANDARD_IDS[0], PRIYA: STANDARD_IDS[1], ANA: STANDARD_IDS[2]}


def assert_exactly_once(
    world: World, paths: Mapping[str, str] = STANDARD_PATHS, pull: int | None = None
) -> None:
    """Every effect of the records at `paths` exists once, and the files on main say where each is.

    One issue per request without a hand-set issue, one evidence comment per hand-set one, one Slack
    message and one doc entry per record, at most one comment on `pull`; the lock released; and
    the ledger on main matching all of it, digest included."""
    from feedbackloop.plan.ledger import digest
    from feedbackloop.records.parse import parse

    filed: dict[str, list[str]] = {}
    for issue in world.issues(REPO) + world.issues(PRODUCT):
        for kind, fields in markers_in(issue.get("body") or ""):
            if kind == "request":
                filed.setdefault(fields["key"], []).append(issue["html_url"])
    messages: dict[str, list[dict[str, Any]]] = {}
    for message in world.messages():
        payload = (message["metadata"] or {}).get("event_payload") or {}
        messages.setdefault(str(payload.get("id")), []).append(message)
    ranges = world.doc_ranges()
    doc = world.doc_text()
    for path, record_id in paths.items():
        parsed = parse(world.remote_text(path).encode("utf-8"), path)
        record = parsed.record
        assert record is not None, parsed.problems
        for index, request in enumerate(record.requests):
            key = f"{record_id}#{index + 1}"
            hand_set = request.issue is not None and key not in filed
            if hand_set:
                owner, name, _, number = request.issue.split("/")[3:7]  # type: ignore[union-attr]
                evidence = [
                    c
                    for c in world.github.comments(f"{owner}/{name}", int(number))
                    for kind, fields in markers_in(c["body"])
                    if kind == "evidence" and fields.get("key") == key
                ]
                assert len(evidence) == 1, (key, evidence)
                assert request.evidence == evidence[0]["html_url"], (key, request)
            else:
                assert len(filed.get(key, [])) == 1, (key, filed.get(key))
                assert request.issue == filed[key][0], (key, request)
                assert request.evidence == filed[key][0], (key, request)
        found = messages.get(record_id, [])
        assert len(found) == 1, (record_id, len(found))
        assert record.published.slack == world.slack.permalink(CHANNEL, found[0]["ts"]), record_id
        name = f"feedbackloop:{record_id}"
        assert len(ranges.get(name, [])) == 1, (name, ranges.get(name))
        assert doc.count(f"{record.headline} ({record.date})") == 1, record.headline
        assert record.published.doc == name
        assert record.published.digest == digest(record), record_id
        assert found[0]["metadata"]["event_payload"]["digest"] == digest(record), record_id
    assert not [k for k, v in filed.items() if len(v) > 1]
    assert not [k for k, v in messages.items() if len(v) > 1]
    if pull is not None:
        comments = [
            c
            for c in world.github.comments(REPO, pull)
            for kind, _ in markers_in(c["body"])
            if kind == "pull-request"
        ]
        assert len(comments) == 1, comments
    assert world.github.ref(REPO, "refs/feedbackloop/publish") is None  # the lock was released
