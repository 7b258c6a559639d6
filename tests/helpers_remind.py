"""A team's repository with interviews owing every kind of reminder, and GitHub and Slack faked around it,
for the remind and report tests (and the replay of remind.yml).

    team = Team.create(tmp_path)        # helpers_publish.World underneath: FakeGitHub holds the truth
    ran = team.remind()                 # in-process, waits recorded and never slept
    ran = team.cli("remind")            # through the CLI in a subprocess
    team.dashboard(), team.dms("alice"), team.patches()

Records are built by `interview_file` and `note_file` with every field a reminder depends on; the
user's first name is SENTINEL, which no dashboard, job summary or log line may contain. Ids never
contain it (they are built from a slug), so a leak cannot hide behind an id.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from fakes.server import FakeService, Fault, Request
from helpers_publish import NOW, REPO, ROSTER, TODAY, Ran, World, world_at
from helpers_repo import PROJECT, clean_env

SENTINEL = "Quillibert"
LABEL = "user-feedback"
DASHBOARD_LABEL = "feedbackloop-dashboard"
CHANNEL = "C0FEEDBACK"
SLACK_IDS = dict(ROSTER)  # login -> Slack member id
PAGE = "https://opencollective.com/acme/contribute/gift-cards"

# -- records ----------------------------------------------------------------------------------------


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def interview_file(
    slug: str,
    day: date,
    *,
    status: str = "completed",
    interviewers: Sequence[str] = ("alice",),
    first_name: str = SENTINEL,
    reward: Mapping[str, str] | None = None,
    follow_up: str | None = None,
    requests: Sequence[Mapping[str, str]] = (),
    recruited_via: str = "survey",
    example: bool = False,
) -> tuple[str, str]:
    """(path, text) of an interview; completed ones have their reward sent and follow-up done unless
    told otherwise (`reward={"kind": "merch", "status": "pending"}`, `follow_up="pending"`)."""
    record_id = f"{day.isoformat()}-{slug}"
    lines = ["---"]
    if example:
        lines.append("example: true")
    lines += [
        f"id: {record_id}",
        "topic: Web analytics",
        f"date: {day.isoformat()}",
        f"status: {status}",
        f"interviewers: [{', '.join(interviewers)}]",
        "user:",
        f"  first_name: {_q(first_name)}",
        f"  profile: https://us.posthog.com/project/2/person/01HX-{slug}",
        "  company: Acme",
        f"recruited_via: {recruited_via}",
    ]
    if status == "completed":
        lines.append('summary: "Uses funnels daily."')
    if requests:
        lines.append("requests:")
        for request in requests:
            lines.append(f"  - type: {request.get('type', 'feature')}")
            for key in ("title", "issue", "evidence", "told_on"):
                if key in request:
                    lines.append(f"    {key}: {_q(request[key])}")
    if status in ("completed", "scheduled"):
        chosen = dict(reward or ({"kind": "merch", "status": "sent"} if status == "completed" else {}))
        chosen.setdefault("kind", "merch")
        chosen.setdefault("status", "pending")
        if chosen["status"] == "sent":
            chosen.setdefault("sent_on", (day + timedelta(days=2)).isoformat())
        follow_up = follow_up or ("done" if status == "completed" else "pending")
        lines.append("reward:")
        lines += [f"  {key}: {value}" for key, value in chosen.items()]
        lines += ["follow_up:", f"  status: {follow_up}"]
        if follow_up == "done":
            lines.append(f"  done_on: {(day + timedelta(days=2)).isoformat()}")
    notes = "- Talked about funnels." if status == "completed" else ""
    lines += ["---", "## Notes", "", notes, ""]
    return f"interviews/{day.year}/{record_id}.md", "\n".join(lines)


def note_file(
    slug: str, day: date, *, received_by: str = "carol", requests: Sequence[Mapping[str, str]] = ()
) -> tuple[str, str]:
    record_id = f"{day.isoformat()}-{slug}"
    lines = [
        "---",
        "kind: note",
        f"id: {record_id}",
        f"date: {day.isoformat()}",
        f"received_by: {received_by}",
        "received_via: slack",
        "user:",
        f"  first_name: {_q(SENTINEL)}",
        f"  profile: https://us.posthog.com/project/2/person/01HX-{slug}",
        'feedback: "The SQL editor loses the query on reload."',
    ]
    if requests:
        lines.append("requests:")
        for request in requests:
            lines.append(f"  - type: {request.get('type', 'bug')}")
            for key in ("title", "issue", "evidence", "told_on"):
                if key in request:
                    lines.append(f"    {key}: {_q(request[key])}")
    lines += ["---", "Shared in our community Slack.", ""]
    return f"interviews/{day.year}/{record_id}.md", "\n".join(lines)


def pyproject(**settings: Any) -> str:
    """A team's pyproject.toml: the roster of helpers_publish and these settings."""
    values: dict[str, Any] = {
        "slack_channel": CHANNEL,
        "roster": [{"github": login, "slack": member} for login, member in ROSTER.items()],
        **settings,
    }
    lines = ["[tool.feedbackloop]"]
    for key, value in values.items():
        if value is None:
            continue
        lines.append(f"{key} = {_toml(value)}")
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


# -- a set of interviews with every kind of flag (today: 2026-11-28, after the 15th) -----------------


@dataclass(frozen=True)
class Owed:
    """What `every_kind` made, by the ids the dashboard names."""

    merch: str  # alice: reward pending 10 days
    open_collective: str  # alice and bob: open-collective reward pending 12 days
    issued: str  # bob: gift card issued, not sent
    follow_up: str  # bob: follow-up pending 9 days
    notes: str  # carol: scheduled 5 days ago, no notes
    shipped: str  # alice: request closed as completed, user not told
    shipped_url: str
    not_planned_url: str  # closed as not planned: not shipped
    note_shipped: str  # a note of carol's whose request shipped
    no_call: str  # dave: no call this month (alice, bob and carol have one)

    @property
    def by_owner(self) -> dict[str, set[str]]:
        return {
            "alice": {self.merch, self.open_collective, self.shipped},
            "bob": {self.open_collective, self.issued, self.follow_up},
            "carol": {self.notes, self.note_shipped},
            "dave": set(),
        }


def every_kind(world: World, today: date = TODAY) -> tuple[dict[str, str], Owed]:
    """Seed the request issues (labelled, two closed) and return the files and what they owe on
    `today` (the fakes' clocks are on that day)."""
    github = world.github
    now = github.now()
    opened = now - timedelta(days=60)
    numbers = [
        github.seed_issue(REPO, f"Request {n}", f"Body {n}", labels=[LABEL], created_at=opened)
        for n in range(1, 5)
    ]
    url = {n: f"https://github.com/{REPO}/issues/{n}" for n in numbers}
    github.close_issue(REPO, numbers[0], "completed", at=now - timedelta(days=3))
    github.close_issue(REPO, numbers[1], "not_planned", at=now - timedelta(days=3))
    github.close_issue(REPO, numbers[3], "completed", at=now - timedelta(days=2))

    def filed(title: str, n: int) -> dict[str, str]:
        return {"title": title, "issue": url[n], "evidence": url[n]}

    files = dict(
        [
            interview_file(
                "merch-late",
                today - timedelta(days=10),
                interviewers=["alice"],
                reward={"kind": "merch", "status": "pending", "amount": "30"},
            ),
            interview_file(
                "oc-late",
                today - timedelta(days=12),
                interviewers=["alice", "bob"],
                reward={"kind": "open-collective", "status": "pending"},
                recruited_via="slack",
            ),
            interview_file(
                "card-issued",
                today - timedelta(days=15),
                interviewers=["bob"],
                reward={
                    "kind": "merch",
                    "status": "issued",
                    "issued_on": (today - timedelta(days=14)).isoformat(),
                    "card": "gid://shopify/GiftCard/77",
                    "card_last": "Q7RT",
                },
                recruited_via="email",
            ),
            interview_file(
                "follow-late", today - timedelta(days=9), interviewers=["bob"], follow_up="pending"
            ),
            interview_file("no-notes", today - timedelta(days=5), status="scheduled", interviewers=["carol"]),
            interview_file(
                "shipped",
                today - timedelta(days=60),
                interviewers=["alice"],
                requests=[
                    filed("Break down funnels by cohort", numbers[0]),
                    filed("Export to CSV", numbers[1]),
                    filed("Dark mode", numbers[2]),
                ],
            ),
            note_file(
                "note-shipped",
                today - timedelta(days=57),
                received_by="carol",
                requests=[filed("SQL editor keeps the query", numbers[3])],
            ),
            # not flagged: settled, cancelled, no-show, at exactly seven days, or an example
            interview_file("settled", today - timedelta(days=20), interviewers=["carol"]),
            interview_file(
                "seven-days",
                today - timedelta(days=7),
                interviewers=["carol"],
                reward={"kind": "merch", "status": "pending"},
                follow_up="pending",
            ),
            interview_file(
                "cancelled", today - timedelta(days=20), status="cancelled", interviewers=["carol"]
            ),
            interview_file("no-show", today - timedelta(days=19), status="no-show", interviewers=["carol"]),
            interview_file(
                "example-late",
                today - timedelta(days=30),
                interviewers=["carol"],
                reward={"kind": "merch", "status": "pending"},
                example=True,
            ),
        ]
    )
    day = lambda days: (today - timedelta(days=days)).isoformat()  # noqa: E731
    owed = Owed(
        merch=f"{day(10)}-merch-late",
        open_collective=f"{day(12)}-oc-late",
        issued=f"{day(15)}-card-issued",
        follow_up=f"{day(9)}-follow-late",
        notes=f"{day(5)}-no-notes",
        shipped=f"{day(60)}-shipped",
        shipped_url=url[numbers[0]],
        not_planned_url=url[numbers[1]],
        note_shipped=f"{day(57)}-note-shipped",
        no_call="dave",
    )
    return files, owed


ROSTER_WITH_DAVE = [
    *({"github": login, "slack": member} for login, member in ROSTER.items()),
    {"github": "dave", "slack": "U0DAVE"},
]


# -- the team: World plus remind ------------------------------------------------------------------------


@dataclass
class Team:
    world: World
    owed: Owed | None = None
    today: date = TODAY

    @classmethod
    @contextlib.contextmanager
    def create(
        cls,
        tmp: Path,
        files: Mapping[str, str] | None = None,
        *,
        now: datetime = NOW,
        **settings: Any,
    ) -> Iterator[Team]:
        """The repository on FakeGitHub with `files` (default: every kind of flag) and settings
        (default: helpers_publish's roster plus dave, Slack reminders as direct messages), on the
        day of `now` (the fakes' clocks)."""
        with world_at(tmp, {"interviews/README.md": "Interviews live here.\n"}) as world:
            world.github.set_time(now)
            world.slack.set_clock(now)
            world.slack.add_user("U0DAVE", name="dave")
            team = cls(world, today=now.date())
            owed = None
            if files is None:
                files, owed = every_kind(world, now.date())
            team.owed = owed
            settings.setdefault("roster", ROSTER_WITH_DAVE)
            settings.setdefault("open_collective_page", PAGE)
            world.push({"pyproject.toml": pyproject(**settings), **files}, "Interviews to remind about")
            world.forget_requests()
            yield team

    # -- running ---------------------------------------------------------------------------------
    @property
    def github(self) -> Any:
        return self.world.github

    @property
    def slack(self) -> Any:
        return self.world.slack

    def env(self, **overrides: str | None) -> dict[str, str]:
        values = self.world.env(**overrides)
        for name in ("GOOGLE_OAUTH_ACCESS_TOKEN", "GOOGLE_DOCS_API_URL"):
            values.pop(name, None)  # remind needs neither
        return values

    def next_day(self, days: int = 1) -> None:
        """A later morning: the fakes' clocks and the day the commands run on move together."""
        self.today += timedelta(days=days)
        self.github.advance(days * 86400)
        self.slack.advance(days * 86400)

    def remind(self, *args: str, policy: Mapping[str, Any] | None = None, **env: str | None) -> Ran:
        from feedbackloop.commands import remind

        return self._run(remind.run, _options(args, dry_run=False, include_examples=False), policy, env)

    def report(self, *args: str, **env: str | None) -> Ran:
        from feedbackloop.commands import report

        return self._run(report.run, _options(args, include_examples=False), None, env)

    def _run(
        self,
        fn: Callable[..., int],
        options: dict[str, Any],
        policy: Mapping[str, Any] | None,
        env: Mapping[str, str | None],
    ) -> Ran:
        from feedbackloop.config import Environment
        from feedbackloop.context import Context
        from feedbackloop.errors import FeedbackloopError
        from feedbackloop.services.retry import Policy

        context = Context(
            self.world.root,
            Environment(self.env(**env)),
            self.today,
            policy=Policy(sleep=self.world.sleep, clock=self.world.clock, **(policy or {})),
        )
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                code = fn(context, **options)
            except FeedbackloopError as error:
                print(f"error: {error}")
                code = error.exit_code
        return Ran(code, out.getvalue())

    def command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "feedbackloop",
            *args,
            "--root",
            str(self.world.root),
            "--today",
            self.today.isoformat(),
        ]

    def cli(self, *args: str, **env: str | None) -> Ran:
        done = subprocess.run(
            self.command(*args),
            cwd=self.world.root,
            env=clean_env(self.env(**env)),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=False,
        )
        return Ran(done.returncode, done.stdout + done.stderr)

    def cli_split(self, *args: str, **env: str | None) -> tuple[int, str, str]:
        done = subprocess.run(
            self.command(*args),
            cwd=self.world.root,
            env=clean_env(self.env(**env)),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=False,
        )
        return done.returncode, done.stdout, done.stderr

    def spawn(self, *args: str, **env: str | None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            cwd=self.world.root,
            env=clean_env(self.env(**env)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
        )

    def settings(self, **settings: Any) -> None:
        settings.setdefault("roster", ROSTER_WITH_DAVE)
        settings.setdefault("open_collective_page", PAGE)
        self.world.push({"pyproject.toml": pyproject(**settings)}, "Change the settings")

    # -- what the services hold ----------------------------------------------------------------------
    def dashboards(self) -> list[dict[str, Any]]:
        return [
            issue
            for issue in self.github.issues(REPO)
            if DASHBOARD_LABEL in [label["name"] for label in issue["labels"]]
        ]

    def dashboard(self) -> dict[str, Any]:
        found = self.dashboards()
        assert len(found) == 1, [i["number"] for i in found]
        return found[0]

    def patches(self) -> int:
        return self.github.count("PATCH /repos/*/issues/*")

    def github_writes(self) -> list[str]:
        return [r.line for r in self.github.requests if r.method != "GET"]

    def dms(self, login: str) -> list[dict[str, Any]]:
        return self.slack.dms(SLACK_IDS.get(login, f"U0{login.upper()}"))

    def reminders(self) -> list[dict[str, Any]]:
        """Every reminder message, in every conversation."""
        found = []
        for channel in list(self.slack.channels):
            for message in self.slack.messages(channel):
                if (message["metadata"] or {}).get("event_type") == "feedbackloop_reminder":
                    found.append(message)
        return found

    def reminder_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for message in self.reminders():
            owner = message["metadata"]["event_payload"]["owner"]
            counts[owner] = counts.get(owner, 0) + 1
        return counts


def _options(args: Sequence[str], **defaults: Any) -> dict[str, Any]:
    options = dict(defaults)
    for flag in args:
        name = flag.removeprefix("--").replace("-", "_")
        assert name in options, f"unknown flag {flag}"
        options[name] = True
    return options


# -- killing a run at a chosen request -------------------------------------------------------------------


@dataclass
class KillAt:
    """SIGKILL the process when the first request matching `wanted` arrives at one of `services`.

    `processed=False`: the connection drops before the fake acts (the request never happened);
    `processed=True`: the fake acts on it, and its answer reaches nobody."""

    services: Sequence[FakeService]
    wanted: Callable[[FakeService, Request], bool]
    processed: bool
    pid: int | None = None
    killed: str | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> KillAt:
        for service in self.services:
            service.on_request = lambda request, service=service: self._on_request(service, request)  # type: ignore[misc]
        return self

    def __exit__(self, *exc: object) -> None:
        for service in self.services:
            service.on_request = None

    def start(self, pid: int) -> None:
        self.pid = pid
        self._ready.set()

    def _on_request(self, service: FakeService, request: Request) -> None:
        self._ready.wait(10)
        with self._lock:
            if self.killed is not None or self.pid is None or not self.wanted(service, request):
                return
            self.killed = f"{service.name}: {request.line}"
            if not self.processed:
                service.inject(
                    Fault.drop(), match="".join(f"[{c}]" if c in "*?[]" else c for c in request.line)
                )
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


def project_file(path: str) -> str:
    return (PROJECT / path).read_text(encoding="utf-8")
