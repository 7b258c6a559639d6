"""Faults drawn at random from a seed, and a run killed at a chosen request, for tests/test_faults.py.

    with Stage.create(tmp_path, files) as stage:           # World, FakeShopify, FakeGoogleCalendar
        scenario = Scenario.draw(seed, {"github": 15, "slack": 11})   # the faults, the request to die at
        ran = until_done(stage.fakes, scenario, lambda kill: stage.run(publish.run, kill=kill, ...))

Faults hit the n-th request a fake receives (drawn per service, 1-based), whatever it is: the fake's
request hook arms the fault on that very request (`FakeService.inject` matching its exact line), so a
fault lands on a read, a write, a listing page or a retry alike. Kinds:

- `429`: refused before it is processed, with `Retry-After` (sometimes longer than the policy waits:
  the service stops for the run);
- `5xx`: a 500, 502 or 503, before the service acts or after it did (the client cannot tell which);
- `drop`: the connection closed with no answer, before or after the service acts;
- `slow`: the service acts at once and answers after the policy's timeout (never GitHub: PyGithub takes
  its timeout in whole seconds, so one slow GitHub answer would cost a real second). Not a service
  that acts only after the client gave up: that request races the client's look-up for it, which no
  key can settle (an issue or a message has no idempotency key), so it is no test of ours;
- `outage`: 503 as many times as the policy tries: the service stops for this run.

The kill is `KillSwitch`, the `Policy.observe` hook of services/retry.py: it counts every request the
process sends, and at the chosen one raises `Killed`, a BaseException no `except Exception` in the
package catches, before the request is sent ("send") or once the service has answered ("answered":
it acted, and the process died before using the answer). A dead process sends nothing more: every
later request (a `finally` releasing the lock, say) raises `Killed` too. tests/test_faults.py checks
that a clean run's requests all pass through the hook, and that the in-process kill leaves the
services as a real SIGKILL at the same request does.
"""

from __future__ import annotations

import contextlib
import functools
import io
import random
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fakes.google import FakeGoogleCalendar, calendar_rate_limited, docs_quota_exceeded
from fakes.server import FakeService, Fault, Request
from fakes.shopify import FakeShopify
from helpers_publish import CHANNEL, DOC_ID, ROSTER, TODAY, Ran, World, team_pyproject

KILLED = -9  # the exit status a SIGKILL gives, for a run killed in-process
TIMEOUT = 0.3  # the policy's timeout in the suite: a slow answer costs this much real time (an
# answer slower than this only because the machine is busy would make a seed's run differ)
SLOW = 0.6  # how late a slow answer comes
CALENDAR = "interviews@group.calendar.google.com"
ZONE = "Europe/Paris"
RUN_ID = "4242"


class Killed(BaseException):
    """The process died here (a SIGKILL, simulated in-process)."""


@dataclass
class KillSwitch:
    """`Policy.observe`: kill the process at the `at`-th request it sends, before it is sent ("send")
    or once it was answered ("answered"); None: never."""

    at: int | None = None
    phase: str = "send"
    sent: int = 0
    dead: str | None = None
    log: list[str] = field(default_factory=list)

    def __call__(self, service: str, what: str, phase: str) -> None:
        if self.dead is not None:
            raise Killed(self.dead)  # a dead process sends nothing more
        if phase == "send":
            self.sent += 1
            self.log.append(f"{service}: {what}")
        if self.sent == self.at and phase == self.phase:
            when = "before it was sent" if phase == "send" else "after its answer"
            self.dead = f"request {self.at} ({service}: {what}), {when}"
            raise Killed(self.dead)


# -- faults ----------------------------------------------------------------------------------------
KINDS = ("429", "5xx", "drop", "slow", "outage")
WEIGHTS = {"429": 3, "5xx": 3, "drop": 3, "slow": 1, "outage": 1}  # a slow answer costs real time


@dataclass(frozen=True)
class Planned:
    """One fault: the `nth` request to `service` gets `fault` (`after`: once the service acted)."""

    service: str
    nth: int
    kind: str
    fault: Fault
    after: bool
    times: int

    def describe(self) -> str:
        when = "after" if self.after else "before"
        detail = self.fault.headers.get("Retry-After", "") if self.kind == "429" else ""
        extra = f" {detail}s" if detail else ""
        code = f" {self.fault.code}" if self.kind == "5xx" else ""
        return f"{self.service}#{self.nth} {self.kind}{code}{extra} {when} x{self.times}"


def draw_fault(rng: random.Random, service: str, count: int) -> Planned:
    kinds = [k for k in KINDS if not (k == "slow" and service == "github")]
    kind = rng.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]
    nth = rng.randint(1, max(1, count))
    after, times = False, 1
    if kind == "429":
        wait = rng.choice([1, 3, 7, 30, 61, 120])  # 120: longer than the policy waits
        if service == "google-docs":
            fault = docs_quota_exceeded(wait)
        elif service == "google-calendar" and rng.random() < 0.5:
            fault = calendar_rate_limited(403, wait)  # Calendar's 403 rateLimitExceeded
        elif service == "slack":
            fault = Fault.status(
                429, headers={"Retry-After": str(wait)}, body={"ok": False, "error": "ratelimited"}
            )
        else:
            fault = Fault.status(429, headers={"Retry-After": str(wait)})
        times = rng.randint(1, 2)
    elif kind == "5xx":
        fault = Fault.status(rng.choice([500, 502, 503]))
        after, times = rng.random() < 0.5, rng.randint(1, 2)
    elif kind == "drop":
        fault = Fault.drop()
        after = rng.random() < 0.5
    elif kind == "slow":
        fault, after = Fault.slow(SLOW), True
    else:
        fault, times = Fault.status(503), 5  # as many times as the policy tries
    return Planned(service, nth, kind, fault, after, times)


@dataclass
class Scenario:
    """What goes wrong in a seeded run: the faults, and the request the process dies at."""

    seed: int
    faults: list[Planned]
    kill: KillSwitch

    @classmethod
    def draw(
        cls, seed: int, requests: Mapping[str, int], *, most: int = 3, kill_chance: float = 0.75
    ) -> Scenario:
        """Faults spread over `requests` (service -> about how many requests a run sends it), and a
        kill at one of the run's requests (some draws land past its end: no kill)."""
        rng = random.Random(seed)
        services = sorted(requests)
        faults = [
            draw_fault(rng, service, requests[service])
            for service in (rng.choice(services) for _ in range(rng.randint(0, most)))
        ]
        kill = KillSwitch()
        if rng.random() < kill_chance:
            kill = KillSwitch(rng.randint(1, sum(requests.values())), rng.choice(["send", "answered"]))
        return cls(seed, faults, kill)

    def describe(self) -> str:
        faults = ", ".join(f.describe() for f in self.faults) or "none"
        kill = f"request {self.kill.at} ({self.kill.phase})" if self.kill.at else "none"
        return f"seed {self.seed}: faults {faults}; kill at {kill}"


def _exact(line: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in line)


@dataclass
class Armed:
    """The faults of a scenario on the fakes' request hooks, each at its service's n-th request."""

    fakes: Mapping[str, FakeService]
    faults: Sequence[Planned]
    seen: dict[str, int] = field(default_factory=dict)
    fired: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self) -> None:
        for name, fake in self.fakes.items():
            fake.on_request = functools.partial(self._on_request, name, fake)

    def _on_request(self, name: str, fake: FakeService, request: Request) -> None:
        with self._lock:
            self.seen[name] = self.seen.get(name, 0) + 1
            for planned in self.faults:
                if planned.service == name and planned.nth == self.seen[name]:
                    fake.inject(
                        planned.fault, match=_exact(request.line), after=planned.after, times=planned.times
                    )
                    self.fired.append(f"{planned.describe()} on {request.line}")

    def disarm(self) -> None:
        for fake in self.fakes.values():
            fake.on_request = None
            fake.clear_faults()


# -- the team's repository with every service a command that writes uses ----------------------------
def settings(**extra: Any) -> str:
    """pyproject.toml: Slack, the doc, the calendar, rewards on publish, and the roster (Slack ids and
    e-mails: the calendar invites the interviewers)."""
    values: dict[str, Any] = {
        "slack_channel": CHANNEL,
        "google_doc_id": DOC_ID,
        "google_calendar_id": CALENDAR,
        "timezone": ZONE,
        "rewards_on_publish": True,
        **extra,
    }
    return team_pyproject(**values)


@dataclass
class Stage:
    """helpers_publish.World (FakeGitHub, FakeSlack, FakeGoogleDocs) plus FakeShopify and
    FakeGoogleCalendar (unless `stores=False`: remind needs neither), and in-process runs of any
    command with a seeded scenario."""

    world: World
    shopify: FakeShopify | None
    google_calendar: FakeGoogleCalendar | None
    attempt: int = 0
    today: date = TODAY

    @classmethod
    @contextlib.contextmanager
    def create(
        cls, tmp: Path, files: Mapping[str, str], *, stores: bool = True, **extra: Any
    ) -> Iterator[Stage]:
        """`files` and the settings (`extra` added to them) committed on main and checked out."""
        world = World.create(tmp, {"pyproject.toml": settings(**extra), **files})
        world.slack.add_user("U0DAVE", name="dave")
        world.extra_env["GITHUB_RUN_ID"] = RUN_ID
        stage = cls(world, None, None)
        if stores:
            shop = FakeShopify(clock=world.github.now).start()  # its clock moves with the recorded waits
            calendar = FakeGoogleCalendar(world.auth)
            calendar.start()
            calendar.add_calendar(CALENDAR, time_zone=ZONE)
            world.extra_env.update(
                GOOGLE_OAUTH_ACCESS_TOKEN=world.auth.issue_token(),  # the Docs and Calendar scopes
                GOOGLE_CALENDAR_API_URL=calendar.base_url,
                SHOPIFY_STORE="feedbackloop-test.myshopify.com",
                SHOPIFY_ADMIN_API_URL=shop.url,
                SHOPIFY_ADMIN_TOKEN=shop.token,
            )
            stage = cls(world, shop, calendar)
        try:
            yield stage
            assert world.github.errors == [], world.github.errors  # the fakes themselves never crashed
            assert world.slack.bugs == [], world.slack.bugs
        finally:
            stop_all([*stage.fakes.values(), world.auth])

    @property
    def shop(self) -> FakeShopify:
        assert self.shopify is not None, "made with stores=False"
        return self.shopify

    @property
    def calendar(self) -> FakeGoogleCalendar:
        assert self.google_calendar is not None, "made with stores=False"
        return self.google_calendar

    @property
    def fakes(self) -> dict[str, FakeService]:
        """By the service names the package's budget uses."""
        w = self.world
        fakes: dict[str, FakeService] = {"github": w.github, "slack": w.slack, "google-docs": w.docs}
        if self.shopify is not None and self.google_calendar is not None:
            fakes.update({"shopify": self.shopify, "google-calendar": self.google_calendar})
        return fakes

    def requests(self) -> int:
        return sum(len(fake.requests) for fake in self.fakes.values())

    # -- running -----------------------------------------------------------------------------------
    def run(
        self,
        command: Callable[..., int],
        *args: Any,
        kill: KillSwitch | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float = TIMEOUT,
        **options: Any,
    ) -> Ran:
        """`command(context, *args, **options)` in this process, as the next attempt of the workflow
        run, with the world's environment (see `run_in_process`)."""
        self.attempt += 1
        values = self.world.env(GITHUB_RUN_ATTEMPT=str(self.attempt), **dict(env or {}))
        return run_in_process(
            command,
            self.world.root,
            values,
            self.today,
            self.sleep,
            self.world.clock,
            kill,
            *args,
            timeout=timeout,
            **options,
        )

    def sleep(self, seconds: float) -> None:
        self.world.sleep(seconds)

    def later(self, seconds: float) -> None:
        """Time passes between runs (the fakes' clocks)."""
        self.world.github.advance(seconds)
        self.world.slack.advance(seconds)

    def next_day(self) -> None:
        self.today += timedelta(days=1)
        self.later(86400)


def stop_all(fakes: Sequence[FakeService]) -> None:
    """Stop the fakes at once. Each server notices a shutdown only when its poll interval ends (0.05 s,
    one after the other most of a seeded test's set-up and tear-down) or a connection wakes it: stop
    them together, and knock until they are down (as FakeSlack.stop does for itself)."""
    for fake in fakes:
        fake.on_request = None
    addresses = [fake._server.server_address[:2] for fake in fakes if fake._server is not None]
    stopping = [threading.Thread(target=fake.stop) for fake in fakes]
    for thread in stopping:
        thread.start()
    while any(thread.is_alive() for thread in stopping):
        for host, port in addresses:
            with contextlib.suppress(OSError):
                socket.create_connection((str(host), int(port)), timeout=0.1).close()
        for thread in stopping:
            thread.join(0.005)


def run_in_process(
    command: Callable[..., int],
    root: Path,
    env: Mapping[str, str],
    today: date,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    kill: KillSwitch | None,
    *args: Any,
    timeout: float = TIMEOUT,
    **options: Any,
) -> Ran:
    """`command(context, *args, **options)` as the CLI runs it, in this process: waits recorded (`sleep`
    moves the fakes' clocks), the policy's `timeout` short, `kill` observing every request. The exit
    code, as cli.py gives it; KILLED for a run killed at a request."""
    from feedbackloop.config import Environment
    from feedbackloop.context import Context
    from feedbackloop.errors import FeedbackloopError
    from feedbackloop.services.retry import Policy

    policy = Policy(sleep=sleep, clock=clock, timeout=timeout, observe=kill)
    context = Context(root, Environment(dict(env)), today, policy=policy)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = command(context, *args, **options)
        except FeedbackloopError as error:  # as cli.run reports it
            print(f"error: {error}")
            code = error.exit_code
        except Killed as killed:
            print(f"killed at {killed}")
            code = KILLED
    return Ran(code, out.getvalue())


def until_done(
    fakes: Mapping[str, FakeService],
    scenario: Scenario,
    once: Callable[[KillSwitch | None], Ran],
    *,
    runs: int = 5,
    between: Callable[[int, Ran], None] | None = None,
) -> list[Ran]:
    """The first run with the scenario's faults (on `fakes`, by service name) and its kill; the next
    keeps the faults not fired yet (fewer); those after have none. Until a run succeeds, at most
    `runs`. `between(n, ran)` prepares run n+1 (a new checkout, time passing)."""
    armed = Armed(fakes, scenario.faults)
    armed.arm()
    ran = [once(scenario.kill)]
    try:
        while ran[-1].code != 0 and len(ran) < runs:
            if len(ran) >= 2:
                armed.disarm()
            if between is not None:
                between(len(ran), ran[-1])
            ran.append(once(None))
    finally:
        armed.disarm()
    outs = "\n---\n".join(r.out for r in ran)
    assert ran[-1].code == 0, f"{scenario.describe()}: no success in {len(ran)} runs\n{outs}"
    return ran


def slack_dms(stage: Stage, login: str) -> list[dict[str, Any]]:
    return stage.world.slack.dms(ROSTER.get(login, f"U0{login.upper()}"))


def code_reached(
    stage: Stage, login: str, record_id: str, card: Mapping[str, Any], ran: Sequence[Ran]
) -> bool:
    """Nothing lost of a gift card whose code Shopify showed once: the interviewer got a direct message
    about it (the code, or that it was found and its code lost), or a run failed (or was killed: a red
    job, its log read) after saying what to do."""
    ending = str(card["last_characters"])
    told = [
        m
        for m in slack_dms(stage, login)
        if (m["metadata"] or {}).get("event_payload", {}).get("id") == record_id
        and ending in str(m["blocks"])
    ]
    step = f"deactivate the card ending {ending}"
    return bool(told) or any(r.code != 0 and step in r.out for r in ran)
