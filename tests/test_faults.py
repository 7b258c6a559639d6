"""Faults lose nothing: every command that writes (publish, remind, reward ID, reward --pending, intake,
forget), against the fakes, with faults drawn from a seed.

Each seeded test draws a scenario (helpers_faults.Scenario: up to three faults among 429 with
Retry-After, 5xx, slow answers, dropped connections before and after the service acted, and an
outage; and, three times in four, the process killed at one of its requests, before it was sent or
after the service acted on it), runs the command in-process with it, then runs it again until it
succeeds: as the job is re-run (the same checkout, the next attempt), or as the next workflow run
or a person would run it (main checked out anew). The second run keeps the faults that had not fired
yet, later runs have none; five runs at most. Then it checks, against every fake at once:

- exactly one of each effect: issues per request, evidence comments, Slack summaries, doc entries,
  gift cards, calendar events, the pull request comment, the dashboard issue, one reminder per owner
  per day, intake's branch, pull request, comment and note;
- nothing lost: every effect is there (the pull request assigned, the recorded feedback's issue
  closed, the lock released), a gift card's code reached the interviewer or they were told it was
  lost or a run failed saying what to do, a forgotten person is gone from every service while the
  others' effects stay;
- the files' ledger matching the services: main exported to the checkout and parsed (issue links, the
  Slack permalink, the doc range, the card's id and last characters, the calendar event id, the
  dashboard's reminder ledger), every file still valid, and one more run doing nothing.

The seed is in each test's id: `pytest "tests/test_faults.py::test_publish_with_faults_then_rerun[17]"`
replays one; FEEDBACKLOOP_FAULT_SEEDS=300 runs 300 seeds per command (a longer search). Seeds that
found a bug stay in the suite beyond the range. Nothing sleeps: waits are recorded and move the fakes'
clocks; a slow answer costs the policy's timeout (0.3 s here). The kill is simulated in-process
(helpers_faults.KillSwitch); `test_an_in_process_kill_leaves_what_a_sigkill_leaves` anchors it to
real SIGKILLs of the CLI (tests/test_publish_exactly_once.py kills publish at every request).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from feedbackloop.commands import forget, intake, publish, remind, reward
from feedbackloop.commands.remind import DASHBOARD_LABEL, REMINDER_EVENT, Ledger
from feedbackloop.lock import LEASE
from feedbackloop.lock import REF as LOCK
from feedbackloop.plan import intake as intake_plan
from feedbackloop.plan.reward import note_id
from feedbackloop.records.model import Interview
from feedbackloop.records.parse import parse
from helpers_faults import (
    CALENDAR,
    KILLED,
    RUN_ID,
    TIMEOUT,
    KillSwitch,
    Scenario,
    Stage,
    code_reached,
    run_in_process,
    slack_dms,
    stop_all,
    until_done,
)
from helpers_intake import CALENDAR as INTAKE_CALENDAR
from helpers_intake import FEEDBACK, INTERVIEW, Desk, feedback_answers, interview_answers
from helpers_intake import REPO as INTAKE_REPO
from helpers_intake import TODAY as INTAKE_TODAY
from helpers_publish import (
    JOE,
    LENA,
    PRIYA,
    REPO,
    STANDARD_PATHS,
    Killer,
    Ran,
    assert_exactly_once,
    request_keys,
    standard_files,
)
from helpers_remind import PAGE, ROSTER_WITH_DAVE, every_kind
from helpers_remind import pyproject as remind_settings


def seeds(count: int, *kept: int) -> list[int]:
    """Seeds 0 to `count` - 1, and the ones `kept` because they found a bug. FEEDBACKLOOP_FAULT_SEEDS=N
    runs N seeds per command instead (a longer search, not the test command's)."""
    wanted = int(os.environ.get("FEEDBACKLOOP_FAULT_SEEDS") or count)
    return sorted({*range(wanted), *kept})


# -- publish -------------------------------------------------------------------------------------------
# 17, 264: a dead attempt's lock left behind; 431, 499: a dead run's, past its lease (harmless).
PUBLISH_SEEDS = seeds(45, 264, 431, 499)
# About how many requests a clean run sends each service (the scenario's faults and kill fall among them).
PUBLISH_REQUESTS = {"github": 15, "slack": 11, "google-docs": 2, "shopify": 3, "google-calendar": 2}
MERCH = {JOE: "alice", PRIYA: "carol"}  # pending merch rewards, and who receives the code


@pytest.fixture
def merged(tmp_path: Path) -> Iterator[tuple[Stage, int]]:
    """A pull request adding the standard interviews (three to publish, two merch rewards, a scheduled
    call) merged on GitHub; publish runs on the push event."""
    with Stage.create(tmp_path, {}) as stage:
        world = stage.world
        pull = world.merge_pull_request(standard_files(world.hand_set_issue))
        world.extra_env["GITHUB_EVENT_NAME"] = "push"
        yield stage, pull


def run_publish(stage: Stage, kill: KillSwitch | None = None, timeout: float = TIMEOUT) -> Ran:
    return stage.run(
        publish.run, kill=kill, timeout=timeout, dry_run=False, only=None, include_examples=False
    )


def next_run_from_main(stage: Stage, run: int) -> None:
    """Not a re-run of the job but the next workflow run: main checked out anew, a new run id, and
    the killed run's lock past its lease."""
    stage.world.checkout()
    stage.world.extra_env["GITHUB_RUN_ID"] = str(int(RUN_ID) + run)
    stage.attempt = 0
    stage.later(31 * 60)


def snapshot(stage: Stage) -> dict[str, Any]:
    """Every effect the services hold, to compare before and after a run that should do nothing."""
    world = stage.world
    return {
        "issues": [(i["number"], i["body"], i["state"]) for i in world.issues(REPO)],
        "evidence": [c["body"] for c in world.github.comments("acme/product", world.hand_set_issue)],
        "messages": [(m["ts"], m["text"]) for m in world.messages()],
        "doc": world.doc_text(),
        "cards": [(c["id"], c["note"], c["enabled"]) for c in stage.shop.gift_cards()],
        "events": [
            (e["id"], e["status"], e["start"])
            for e in stage.calendar.events(CALENDAR, include_cancelled=True)
        ],
        "main": world.github.ref(REPO, "main"),
    }


def check_publish(stage: Stage, pull: int, scenario: Scenario, ran: list[Ran]) -> None:
    world = stage.world
    why = scenario.describe()
    # The lock is released; or it is a killed run's, past its lease, which the next run with work takes
    # over (a run with nothing to do takes no lock, and one that could not take it over leaves it).
    lock = world.github.ref(REPO, LOCK)
    if lock is not None:
        taken = world.github.repo(REPO).commit(lock).author.when
        assert world.github.now() - taken > LEASE, (why, "a live lock left behind")
        del world.github.repo(REPO).refs[LOCK]
    assert_exactly_once(world, STANDARD_PATHS, pull=pull)
    world.checkout()  # the ledger as the next run reads it: main in the checkout, parsed
    records = {}
    for path in [*STANDARD_PATHS, LENA]:
        parsed = parse((world.root / path).read_bytes(), path)
        assert parsed.record is not None, (why, path, parsed.problems)
        assert not [p for p in parsed.problems if p.severity == "error"], (why, path, parsed.problems)
        records[path] = parsed.record
    cards = stage.shop.gift_cards()
    assert len(cards) == len(MERCH), (why, cards)
    for path, login in MERCH.items():
        record = records[path]
        assert isinstance(record, Interview)
        [card] = [c for c in cards if note_id(c["note"]) == record.id]
        assert card["enabled"], why
        reward = record.reward
        assert (reward.status, reward.card, reward.card_last) == (
            "issued",
            card["id"],
            card["last_characters"],
        ), (why, reward)
        assert reward.issued_on is not None, why
        assert code_reached(stage, login, record.id, card, ran), (why, record.id, slack_dms(stage, login))
    lena = records[LENA]
    assert isinstance(lena, Interview)
    events = stage.calendar.events(CALENDAR, include_cancelled=True)
    assert [(e["id"], e["status"]) for e in events] == [(lena.published.calendar, "confirmed")], (why, events)
    assert "2026-12-03" in str(events[0]["start"]), events
    # One more run from main: nothing to do, nothing sent but reads.
    before = snapshot(stage)
    world.extra_env["GITHUB_RUN_ID"] = "5000"
    final = run_publish(stage)
    assert final.code == 0, (why, final.out)
    assert snapshot(stage) == before, why
    assert "wrote back" not in final.out, (why, final.out)


@pytest.mark.parametrize("seed", PUBLISH_SEEDS)
def test_publish_with_faults_then_rerun(merged: tuple[Stage, int], seed: int) -> None:
    stage, pull = merged
    scenario = Scenario.draw(seed, PUBLISH_REQUESTS)
    next_run = seed % 4 == 3  # after a kill: the next workflow run from main, not a re-run of the job

    def between(run: int, ran: Ran) -> None:
        if next_run and ran.code == KILLED:
            next_run_from_main(stage, run)

    ran = until_done(stage.fakes, scenario, lambda kill: run_publish(stage, kill), between=between)
    check_publish(stage, pull, scenario, ran)


def test_a_clean_publish_sends_every_request_through_the_hook(merged: tuple[Stage, int]) -> None:
    """The kill simulation covers every request: each one the fakes received passed `Policy.observe`."""
    stage, _ = merged
    before = stage.requests()
    kill = KillSwitch()
    ran = run_publish(stage, kill, timeout=30)  # no answer late because the machine is busy: no retry
    assert ran.code == 0, ran.out
    assert stage.requests() - before == kill.sent
    by_service = {name: sum(line.startswith(f"{name}:") for line in kill.log) for name in PUBLISH_REQUESTS}
    assert by_service == PUBLISH_REQUESTS


# -- the in-process kill against a real SIGKILL ----------------------------------------------------------
def state(stage: Stage) -> dict[str, Any]:
    """What a killed run leaves, without ids that differ from run to run."""
    world = stage.world
    return {
        "issues": sorted(request_keys(world.issues(REPO))),
        "evidence": len(world.github.comments("acme/product", world.hand_set_issue)),
        "messages": sorted(
            str((m["metadata"] or {}).get("event_payload", {}).get("id")) for m in world.messages()
        ),
        "doc": sorted(world.doc_ranges()),
        "cards": sorted(str(note_id(c["note"])) for c in stage.shop.gift_cards()),
        "events": sorted(e["id"] for e in stage.calendar.events(CALENDAR, include_cancelled=True)),
        "dms": sorted(len(slack_dms(stage, login)) for login in ("alice", "carol")),
        "lock": world.github.ref(REPO, "refs/feedbackloop/publish") is not None,
        "written": world.github.ref(REPO, "main") != world.sha,
    }


# A Slack summary posted and a gift card created (see the clean run's order), their answers lost.
ANCHORS = [(10, "answered"), (20, "answered")]


@pytest.mark.parametrize(("at", "phase"), ANCHORS, ids=[f"{at}-{phase}" for at, phase in ANCHORS])
def test_an_in_process_kill_leaves_what_a_sigkill_leaves(tmp_path: Path, at: int, phase: str) -> None:
    """The same publish killed at the same request, by SIGKILL in a subprocess and by the hook in this
    process, leaves the same effects behind; and a re-run of each finishes the same way."""
    left = []
    for way in ("sigkill", "in-process"):
        with Stage.create(tmp_path / way, {}) as stage:
            world = stage.world
            pull = world.merge_pull_request(standard_files(world.hand_set_issue))
            world.extra_env["GITHUB_EVENT_NAME"] = "push"
            if way == "sigkill":
                world.extra_env["GITHUB_RUN_ATTEMPT"] = "1"
                killer = Killer(list(stage.fakes.values()), at=at, processed=phase == "answered")
                code = world.killed(killer, "publish")
                for fake in stage.fakes.values():
                    fake.clear_faults()
                assert code == -9, killer.killed
                stage.attempt = 1  # the re-run below is its second attempt
            else:
                ran = run_publish(stage, KillSwitch(at, phase), timeout=30)  # as the subprocess's
                assert ran.code == KILLED, ran.out
            left.append(state(stage))
            ran = run_publish(stage)
            assert ran.code == 0, ran.out
            assert_exactly_once(world, STANDARD_PATHS, pull=pull)
    assert left[0] == left[1]


# -- remind --------------------------------------------------------------------------------------------
REMIND_SEEDS = seeds(50)
REMIND_REQUESTS = {"github": 6, "slack": 6}
OWNERS = {"alice", "bob", "carol", "dave"}  # every kind of item (helpers_remind.every_kind)


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Stage]:
    """Interviews owing every kind of reminder; the dashboard issue not made yet."""
    with Stage.create(tmp_path, {}, stores=False) as stage:
        yield stage


def reminders(stage: Stage) -> list[dict[str, Any]]:
    """Every reminder message, in the channel and in direct messages."""
    slack = stage.world.slack
    return [
        message
        for channel in list(slack.channels)
        for message in slack.messages(channel)
        if (message["metadata"] or {}).get("event_type") == REMINDER_EVENT
    ]


def check_remind(stage: Stage, scenario: Scenario) -> None:
    why = scenario.describe()
    world, day = stage.world, stage.today.isoformat()
    dashboards = [
        i for i in world.issues(REPO) if DASHBOARD_LABEL in [label["name"] for label in i["labels"]]
    ]
    assert len(dashboards) == 1, (why, [i["number"] for i in dashboards])
    [dashboard] = dashboards
    assert dashboard["state"] == "open", why
    ledger = Ledger.read(dashboard["body"] or "", stage.today)
    today = [m for m in reminders(stage) if m["metadata"]["event_payload"]["day"] == day]
    sent = {m["metadata"]["event_payload"]["owner"]: m["metadata"]["event_payload"]["digest"] for m in today}
    assert sorted(m["metadata"]["event_payload"]["owner"] for m in today) == sorted(OWNERS), (why, today)
    assert ledger.sent == sent, (why, ledger.sent)  # confirmed, none pending, each the digest sent
    # One more run the same morning: nothing sent, the dashboard left alone.
    before = (len(reminders(stage)), world.github.count("PATCH *"), world.github.count("POST *"))
    ran = stage.run(remind.run, dry_run=False, include_examples=False)
    assert ran.code == 0, (why, ran.out)
    assert (len(reminders(stage)), world.github.count("PATCH *"), world.github.count("POST *")) == before, why


@pytest.mark.parametrize("seed", REMIND_SEEDS)
def test_remind_with_faults_then_rerun(team: Stage, seed: int) -> None:
    """Two mornings for odd seeds (one reminder per owner per day); channel mode for one seed in four."""
    stage = team
    files, _ = every_kind(stage.world)
    mode = "channel" if seed % 4 == 2 else "dm"
    config = remind_settings(roster=ROSTER_WITH_DAVE, open_collective_page=PAGE, slack_reminders=mode)
    stage.world.push({"pyproject.toml": config, **files}, "Interviews to remind about")
    for morning in range(1 + seed % 2):
        if morning:
            stage.next_day()
        scenario = Scenario.draw(seed + 1000 * morning, REMIND_REQUESTS)
        until_done(
            stage.fakes,
            scenario,
            lambda kill: stage.run(remind.run, kill=kill, dry_run=False, include_examples=False),
        )
        check_remind(stage, scenario)
    assert len(reminders(stage)) == len(OWNERS) * (1 + seed % 2)


# -- reward ----------------------------------------------------------------------------------------------
# 101: nobody told of a card whose code was lost; 297: nor when the run died writing the card back.
REWARD_SEEDS = seeds(30, 101, 297)
REWARD_REQUESTS = {"github": 3, "slack": 3, "shopify": 2}
JOE_ID = STANDARD_PATHS[JOE]


@pytest.mark.parametrize("seed", REWARD_SEEDS)
def test_reward_with_faults_then_rerun(tmp_path: Path, seed: int) -> None:
    """`feedbackloop reward ID`: one gift card, recorded in the file, its code in a direct message.
    Every other seed runs it again from main (a person running it again), the others re-run the job."""
    with Stage.create(tmp_path, {JOE: standard_files(7)[JOE]}) as stage:
        scenario = Scenario.draw(seed, REWARD_REQUESTS)

        def between(run: int, ran: Ran) -> None:
            if seed % 2:
                stage.world.checkout()

        ran = until_done(
            stage.fakes,
            scenario,
            lambda kill: stage.run(reward.run, JOE_ID, False, kill=kill),
            between=between,
        )
        why = scenario.describe()
        [card] = stage.shop.gift_cards()
        assert (note_id(card["note"]), card["enabled"]) == (JOE_ID, True), why
        stage.world.checkout()
        record = parse((stage.world.root / JOE).read_bytes(), JOE).record
        assert isinstance(record, Interview)
        assert (record.reward.status, record.reward.card, record.reward.card_last) == (
            "issued",
            card["id"],
            card["last_characters"],
        ), (why, record.reward)
        assert record.reward.issued_on == stage.today, why
        assert code_reached(stage, "alice", JOE_ID, card, ran), (why, slack_dms(stage, "alice"))
        again = stage.run(reward.run, JOE_ID, False)
        assert again.code == 0, (why, again.out)
        assert "nothing to do" in again.out, (why, again.out)
        assert len(stage.shop.gift_cards()) == 1, why


# -- reward --pending: publish.yml's rewards job ---------------------------------------------------------
# 36, 81, 120, 132: the publish lock left behind (a killed attempt's, or its own with its answer lost).
PENDING_SEEDS = seeds(25, 36, 81, 120, 132)
PENDING_REQUESTS = {"github": 7, "slack": 4, "shopify": 3}


@pytest.mark.parametrize("seed", PENDING_SEEDS)
def test_reward_pending_with_faults_then_rerun(tmp_path: Path, seed: int) -> None:
    """`feedbackloop reward --pending`, as publish.yml's rewards job runs it (under the publish lock):
    one card per pending merch reward, recorded in one write-back, each code to its interviewer."""
    files = standard_files(7)
    with Stage.create(tmp_path, {p: files[p] for p in (JOE, PRIYA)}) as stage:
        scenario = Scenario.draw(seed, PENDING_REQUESTS)
        ran = until_done(
            stage.fakes,
            scenario,
            lambda kill: stage.run(reward.run, None, False, kill=kill, pending=True),
        )
        why = scenario.describe()
        lock = stage.world.github.ref(REPO, LOCK)
        assert lock is None, (why, "the publish lock left behind")
        cards = stage.shop.gift_cards()
        assert sorted(str(note_id(c["note"])) for c in cards) == sorted(STANDARD_PATHS[p] for p in MERCH), why
        stage.world.checkout()
        for path, login in MERCH.items():
            record = parse((stage.world.root / path).read_bytes(), path).record
            assert isinstance(record, Interview), why
            [card] = [c for c in cards if note_id(c["note"]) == record.id]
            assert (record.reward.status, record.reward.card, record.reward.card_last) == (
                "issued",
                card["id"],
                card["last_characters"],
            ), (why, record.reward)
            assert code_reached(stage, login, record.id, card, ran), (why, slack_dms(stage, login))
        again = stage.run(reward.run, None, False, pending=True)
        assert again.code == 0, (why, again.out)
        assert "No pending merch reward." in again.out, (why, again.out)
        assert len(stage.shop.gift_cards()) == len(MERCH), why


# -- intake ----------------------------------------------------------------------------------------------
# 114, 153, 243, 267: killed between opening the pull request and assigning it (the assignment was lost).
INTAKE_SEEDS = seeds(45, 114, 153, 243, 267)
INTAKE_REQUESTS = {"github": 12, "google-calendar": 2}
FORMS = ("interview", "feedback via a pull request", "feedback on main")


def run_intake(desk: Desk, event: Path, token: str, kill: KillSwitch | None) -> Ran:
    env = desk.runner_env(event, desk.tmp / "github_env", desk.tmp / "summary.md", desk.tmp)
    env.update(GITHUB_TOKEN=desk.github.token, GOOGLE_OAUTH_ACCESS_TOKEN=token)

    def sleep(seconds: float) -> None:
        desk.github.advance(seconds)  # the wait moves the fake's clock instead

    return run_in_process(
        intake.run,
        desk.root,
        env,
        INTAKE_TODAY,
        sleep,
        lambda: desk.github.now().timestamp(),
        kill,
        None,
        False,
    )


@pytest.mark.parametrize("seed", INTAKE_SEEDS)
def test_intake_with_faults_then_rerun(tmp_path: Path, seed: int) -> None:
    """An issue form, by event: a branch, the stub, a draft pull request assigned to the interviewers,
    the call on the calendar and one comment; or a feedback note (on a branch and its pull request, or
    on main), one comment, the issue closed."""
    form = FORMS[seed % 3]
    desk = Desk.create(
        tmp_path, calendar=True, intake_notes="main" if form == "feedback on main" else "pull-request"
    )
    try:
        assert desk.auth is not None
        assert desk.calendar is not None
        token = desk.auth.issue_token()
        if form == "interview":
            number = desk.open_issue(INTERVIEW, interview_answers())
        else:
            number = desk.open_issue(FEEDBACK, feedback_answers())
        event = tmp_path / "event.json"
        event.write_text(json.dumps(desk.event("opened", number)), encoding="utf-8")
        fakes = {"github": desk.github, "google-calendar": desk.calendar}
        scenario = Scenario.draw(seed, INTAKE_REQUESTS)
        until_done(fakes, scenario, lambda kill: run_intake(desk, event, token, kill))
        check_intake(desk, number, form, scenario)
        before = intake_state(desk, number)
        again = run_intake(desk, event, token, None)
        assert again.code == 0, again.out
        assert intake_state(desk, number) == before, scenario.describe()
        assert desk.github.errors == [], desk.github.errors
    finally:
        stop_all([fake for fake in (desk.github, desk.calendar, desk.auth) if fake is not None])


def intake_state(desk: Desk, number: int) -> Any:
    assert desk.calendar is not None
    return (
        desk.pulls(),
        desk.comments(number),
        desk.github.issue(INTAKE_REPO, number)["state"],
        dict(desk.github.repo(INTAKE_REPO).refs),
        desk.calendar.events(INTAKE_CALENDAR, include_cancelled=True),
    )


def check_intake(desk: Desk, number: int, form: str, scenario: Scenario) -> None:
    why = scenario.describe()
    assert desk.calendar is not None
    refs = desk.github.repo(INTAKE_REPO).refs
    branches = [ref for ref in refs if ref.startswith("refs/heads/intake/")]
    pulls = desk.pulls()
    [comment] = [c for c in desk.comments(number) if intake_plan.find_marker(c["body"], "intake", number)]
    main = desk.files_on("main")
    if form == "interview":
        assert branches == [f"refs/heads/{intake_plan.branch_name(number)}"], (why, branches)
        [pull] = pulls
        assert (pull["draft"], pull["head"]["ref"]) == (True, intake_plan.branch_name(number)), why
        assert [a["login"] for a in pull["assignees"]] == ["alice", "bob"], (why, pull["assignees"])
        [(path, text)] = [
            (p, t) for p, t in desk.files_on(intake_plan.branch_name(number)).items() if p not in main
        ]
        record = parse(text, path).record
        assert isinstance(record, Interview), why
        events = desk.calendar.events(INTAKE_CALENDAR, include_cancelled=True)
        assert [(e["id"], e["status"]) for e in events] == [(record.published.calendar, "confirmed")], why
        assert intake_plan.find_marker(comment["body"], "intake", number) == {
            "issue": str(number),
            "state": "ready",
        }, (why, comment["body"])
        assert pull["html_url"] in comment["body"], why
        return
    issue = desk.github.issue(INTAKE_REPO, number)
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed"), (why, issue["state"])
    assert comment["body"].startswith("**Recorded.**"), (why, comment["body"])
    url = f"https://github.com/{INTAKE_REPO}/issues/{number}"
    ref = "main" if form == "feedback on main" else intake_plan.branch_name(number)
    notes = [p for p, t in desk.files_on(ref).items() if url in t]
    assert len(notes) == 1, (why, notes)
    if form == "feedback on main":
        assert (branches, pulls) == ([], []), why
    else:
        assert branches == [f"refs/heads/{ref}"], why
        assert [p["head"]["ref"] for p in pulls] == [ref], why
        assert not [p for p, t in main.items() if url in t], why


# -- forget ----------------------------------------------------------------------------------------------
FORGET_SEEDS = seeds(25)
FORGET_REQUESTS = {"github": 8, "slack": 3, "google-docs": 2, "shopify": 1, "google-calendar": 3}
PEOPLE = {  # who is forgotten, named how, and what of theirs must be gone
    0: (
        JOE,
        "https://us.posthog.com/project/2/person/01HX-joe",
        ("Joe", "https://us.posthog.com/project/2/person/01HX-joe"),
    ),
    1: (
        PRIYA,
        "2026-11-23-session-replay-priya",
        ("Priya", "https://us.posthog.com/project/2/person/01HX-priya"),
    ),
    2: (LENA, "2026-12-03-surveys-lena", ("Lena",)),
}


@pytest.mark.parametrize("seed", FORGET_SEEDS)
def test_forget_with_faults_then_rerun(tmp_path: Path, seed: int) -> None:
    """An erasure after everything was published: the person leaves every service and the file; the
    others' effects stay, once each."""
    files = standard_files(7)
    with Stage.create(tmp_path, {p: files[p] for p in (JOE, PRIYA, LENA)}) as stage:
        world = stage.world
        published = run_publish(stage, timeout=30)  # the state to forget from, made without a hitch
        assert published.code == 0, published.out
        world.checkout()
        path, who, values = PEOPLE[seed % 3]
        record_id = STANDARD_PATHS.get(path, "2026-12-03-surveys-lena")
        scenario = Scenario.draw(seed, FORGET_REQUESTS)

        def once(kill: KillSwitch | None) -> Ran:
            ran = stage.run(forget.run, who, False, kill=kill)
            if ran.code == 2 and "were forgotten already" in ran.out:
                return Ran(0, ran.out)  # a run killed after its write-back had finished the erasure
            return ran

        def between(run: int, ran: Ran) -> None:
            world.checkout()  # the person runs it again from main as it now is

        until_done(stage.fakes, scenario, once, between=between)
        why = scenario.describe()
        world.checkout()
        record = parse((world.root / path).read_bytes(), path).record
        assert record is not None, why
        assert record.forgotten, why
        assert (record.user.first_name, record.user.profile) == (None, None), why
        assert (record.published.slack, record.published.doc, record.published.digest) == (None, None, None)
        texts = [i["body"] or "" for repo in (REPO, "acme/product") for i in world.issues(repo)]
        texts += [c["body"] for c in world.github.comments("acme/product", world.hand_set_issue)]
        texts += [m["text"] + str(m["blocks"]) for m in world.messages()]
        texts += [world.doc_text(), *(str(c["note"]) for c in stage.shop.gift_cards())]
        texts += [str(e) for e in stage.calendar.events(CALENDAR, include_cancelled=True)]
        # The file, but for its comment lines: what a teammate wrote in a comment is theirs to edit.
        lines = (world.root / path).read_text(encoding="utf-8").splitlines()
        texts.append("\n".join(line for line in lines if not line.lstrip().startswith("#")))
        for value in values:
            found = [t for t in texts if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", t)]
            assert found == [], (why, value, found)
        assert not [m for m in world.messages() if m["metadata"]["event_payload"]["id"] == record_id], why
        assert f"feedbackloop:{record_id}" not in world.doc_ranges(), why
        # The others' effects, once each; the forgotten person's issues kept (scrubbed).
        others = {p: i for p, i in STANDARD_PATHS.items() if p in (JOE, PRIYA) and p != path}
        assert_exactly_once(world, others)
        assert len(stage.shop.gift_cards()) == 2, why
        assert len(world.issues(REPO)) == 2, why
        [event] = stage.calendar.events(CALENDAR, include_cancelled=True)
        assert event["status"] == ("cancelled" if path == LENA else "confirmed"), (why, event)
        # Asked again, by the record's id (its profile link is gone): nothing changes.
        before = snapshot(stage)
        again = stage.run(forget.run, record_id, False)
        assert again.code == 0, (why, again.out)
        assert snapshot(stage) == before, why
