"""Exactly once, whatever happens: re-runs, two runs at once, a run killed at any request, rate limits,
failing and slow services, a teammate pushing meanwhile, a person editing the doc meanwhile.

Each test ends with `assert_exactly_once`: one issue per request, one evidence comment, one Slack
message and one doc entry per record, and the files on main saying where each one is."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fakes.github import Person, encode_commit
from fakes.server import Fault, Request
from helpers_publish import (
    DOC_ID,
    JOE,
    NOW,
    PRODUCT,
    REPO,
    Killer,
    World,
    assert_exactly_once,
    interview,
    standard_files,
    world_at,
)
from helpers_repo import git

RUN = {"GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "1"}
RERUN = {"GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "2"}  # "Re-run failed jobs": same run, same SHA


def _nothing_left(world: World) -> None:
    """A new run, from main as it now is, has nothing to do and asks nothing of anyone."""
    world.checkout()
    world.forget_requests()
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert ran.out.strip().endswith("Nothing to publish."), ran.out
    assert sum(world.request_count().values()) <= 1


def test_rerunning_from_the_same_and_from_a_new_checkout_doubles_nothing(world: World) -> None:
    for _ in range(3):
        assert world.publish(**RUN).code == 0
    assert_exactly_once(world)
    world.checkout()
    assert len(git(world.root, "log", "--oneline").splitlines()) == 3  # one publish commit
    _nothing_left(world)


# -- two runs at once ------------------------------------------------------------------------------------
def test_two_runs_at_once_publish_once(world: World) -> None:
    """Both processes hold at their first request until the other arrives, then race. The first to
    take the publish lock does the work; the other stops before doing anything and says why."""
    arrived = threading.Barrier(2, timeout=30)
    count = 0

    def together(_: object) -> None:
        nonlocal count
        count += 1
        if count <= 2:
            arrived.wait()

    world.github.on_request = together
    first, second = world.spawn("publish"), world.spawn("publish")
    outs = [first.communicate(timeout=60)[0], second.communicate(timeout=60)[0]]
    world.github.on_request = None
    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 1], outs
    loser = outs[[first.returncode, second.returncode].index(1)]
    assert "another publish is running" in loser
    assert "stopped before doing anything" in loser
    assert_exactly_once(world)
    # The stopped run, run again, finds it all done.
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert_exactly_once(world)
    _nothing_left(world)


def test_a_lock_held_by_a_live_run_stops_the_run_and_a_stale_one_is_taken_over(world: World) -> None:
    tree = git(world.root, "rev-parse", "HEAD^{tree}")
    repo = world.github.repo(REPO)

    def lock_commit(holder: str, minutes_ago: int) -> str:
        """The lock another run took `minutes_ago` (the fakes' clock stands at 09:00)."""
        when = Person("feedbackloop", "lock@example.invalid", NOW - timedelta(minutes=minutes_ago))
        raw = encode_commit(tree, [], when, when, f"feedbackloop publish lock\n\nholder: {holder}\n")
        return repo.put("commit", raw)

    repo.refs["refs/feedbackloop/publish"] = lock_commit("run 99 attempt 1", 10)
    ran = world.publish(**RUN)
    assert ran.code == 1
    assert "another publish is running (run 99 (attempt 1) since 2026-11-28 08:50 UTC)" in ran.out
    assert world.issues() == []
    assert world.messages() == []
    assert world.github.count("POST /repos/*/issues") == 0

    repo.refs["refs/feedbackloop/publish"] = lock_commit("run 99 attempt 1", 31)  # older than the lease
    ran = world.publish(**RUN)
    assert ran.code == 0, ran.out
    assert_exactly_once(world)


def test_a_run_held_past_its_lease_and_taken_over_leaves_the_new_holders_lock(world: World) -> None:
    """A slow laptop run: while it waits on Slack, 31 minutes pass and another run takes its lock
    over. Its release must not delete the other's lock (that one would then run unguarded)."""
    lock = "refs/feedbackloop/publish"
    tree = git(world.root, "rev-parse", "HEAD^{tree}")
    repo = world.github.repo(REPO)
    taken_over: list[str] = []

    def slow(request: Request) -> None:
        if taken_over or "conversations.history" not in request.line:
            return
        world.github.advance(31 * 60)
        when = Person("feedbackloop", "lock@example.invalid", world.github.now())
        raw = encode_commit(
            tree, [repo.refs[lock]], when, when, "feedbackloop publish lock\n\nholder: run 99\n"
        )
        repo.refs[lock] = repo.put("commit", raw)
        taken_over.append(repo.refs[lock])

    world.slack.on_request = slow
    ran = world.publish()  # no GITHUB_RUN_ID: a laptop
    assert ran.code == 0, ran.out
    assert taken_over
    assert world.github.ref(REPO, lock) == taken_over[0]  # run 99 still holds it

    world.slack.on_request = None
    world.github.advance(31 * 60)  # and when a quick run releases its own, it is gone
    repo.refs.pop(lock)
    assert world.publish().code == 0
    assert world.github.ref(REPO, lock) is None


def test_a_lock_whose_holder_cannot_be_read_is_not_taken_over(world: World) -> None:
    """Unreadable is not stale: taken over at once, it would let two runs work side by side."""
    world.github.repo(REPO).refs["refs/feedbackloop/publish"] = "5" * 40  # a commit GitHub cannot show
    ran = world.publish(**RUN)
    assert ran.code == 1
    assert "since when unknown: if no publish is running, delete the ref refs/feedbackloop/publish" in ran.out
    assert world.issues() == []
    assert world.messages() == []


def test_an_earlier_attempt_of_the_same_run_holds_no_lock(world: World) -> None:
    """A killed attempt leaves its lock; the re-run (same GITHUB_RUN_ID, next attempt) takes it."""
    world.github.inject(Fault.drop(), match="GET /repos/*/issues")  # the first attempt dies here...
    world.github.on_request = None
    killer = Killer([world.github], at=3, processed=False)
    world.killed(killer, "publish", **RUN)
    world.github.clear_faults()
    assert killer.killed == "fake-github: GET /repos/acme/interviews/issues"
    assert world.github.ref(REPO, "refs/feedbackloop/publish") is not None  # ...holding the lock
    ran = world.publish(**RERUN)
    assert ran.code == 0, ran.out
    assert_exactly_once(world)


# -- killed at every request -----------------------------------------------------------------------------
# A full run after the pull request below: the lock (2), the issues list, 3 issues, the evidence
# comment (list, create), Slack (history, 3 posts and their links), the doc (get, batch), the pull
# request comment (find, list, create), the write-back (tree, commit, ref), the lock's release.
FULL_RUN = [
    "fake-github: POST /repos/acme/interviews/git/commits",
    "fake-github: POST /repos/acme/interviews/git/refs",
    "fake-github: GET /repos/acme/interviews/issues",
    "fake-github: POST /repos/acme/interviews/issues",
    "fake-github: POST /repos/acme/interviews/issues",
    "fake-github: GET /repos/acme/product/issues/7/comments",
    "fake-github: POST /repos/acme/product/issues/7/comments",
    "fake-github: POST /repos/acme/interviews/issues",
    "fake-slack: POST /conversations.history",
    "fake-slack: POST /chat.postMessage",
    "fake-slack: POST /chat.getPermalink",
    "fake-slack: POST /chat.postMessage",
    "fake-slack: POST /chat.getPermalink",
    "fake-slack: POST /chat.postMessage",
    "fake-slack: POST /chat.getPermalink",
    "google-docs: GET /v1/documents/1ExampleFeedbackDoc",
    "google-docs: POST /v1/documents/1ExampleFeedbackDoc:batchUpdate",
    "fake-github: GET /repos/acme/interviews/commits/{added}/pulls",
    "fake-github: GET /repos/acme/interviews/issues/{pull}/comments",
    "fake-github: POST /repos/acme/interviews/issues/{pull}/comments",
    "fake-github: POST /repos/acme/interviews/git/trees",
    "fake-github: POST /repos/acme/interviews/git/commits",
    "fake-github: PATCH /repos/acme/interviews/git/refs/heads/main",
    "fake-github: DELETE /repos/acme/interviews/git/refs/feedbackloop/publish",
]


def _merged_world(tmp_path: Path) -> tuple[World, int]:
    """The repository without interviews; a pull request adds the standard ones and is merged."""
    world = World.create(tmp_path, files={})
    pull = world.merge_pull_request(standard_files(world.hand_set_issue))
    world.extra_env.update(GITHUB_EVENT_NAME="push", **RUN)
    return world, pull


def test_a_full_run_makes_these_requests(tmp_path: Path) -> None:
    """The kill points below are the requests of this run, in this order."""
    world, pull = _merged_world(tmp_path)
    try:
        lines: list[str] = []
        for service in world.services:
            service.on_request = lambda request, name=service.name: lines.append(f"{name}: {request.line}")
        ran = world.cli("publish")
        assert ran.code == 0, ran.out
        added = git(world.root, "log", "--diff-filter=A", "--format=%H", "-1", "--", JOE)
        wanted = [line.replace("{added}", added).replace("{pull}", str(pull)) for line in FULL_RUN]
        assert lines == wanted
        assert_exactly_once(world, pull=pull)
    finally:
        world.stop()


def _reads(line: str) -> bool:
    return " GET " in line or line.endswith(("/conversations.history", "/chat.getPermalink"))


# Killed before or after a read is the same kill: a read changes nothing.
KILLS = [(at, False) for at in range(1, len(FULL_RUN) + 1)] + [
    (at, True) for at, line in enumerate(FULL_RUN, start=1) if not _reads(line)
]


@pytest.mark.parametrize(
    ("at", "processed"), KILLS, ids=[f"{at}-{'after' if p else 'before'}" for at, p in KILLS]
)
def test_killed_at_any_request_then_run_again(tmp_path: Path, at: int, processed: bool) -> None:
    """SIGKILL the publish process at request `at`, before the service acted on it or after; the job
    re-run (same commit, next attempt) finishes, and nothing exists twice."""
    world, pull = _merged_world(tmp_path)
    try:
        killer = Killer(world.services, at=at, processed=processed)
        code = world.killed(killer, "publish")
        assert killer.killed is not None
        assert code == -9, killer.killed
        for service in world.services:
            service.clear_faults()

        ran = world.publish(**RERUN)
        assert ran.code == 0, (killer.killed, ran.out)
        assert_exactly_once(world, pull=pull)
        _nothing_left(world)
        assert_exactly_once(world, pull=pull)
    finally:
        world.stop()


# -- what the services answer ----------------------------------------------------------------------------
def test_a_429_is_retried_after_the_retry_after_it_gives(world: World) -> None:
    world.github.inject(Fault.status(429, headers={"Retry-After": "7"}), match="POST /repos/*/issues")
    world.slack.rate_limit("chat.postMessage", retry_after=11)
    world.docs.inject(Fault.status(429, headers={"Retry-After": "13"}), match="POST *:batchUpdate")
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert world.waits == [7.0, 11.0, 13.0]
    assert_exactly_once(world)


def test_a_secondary_rate_limit_is_waited_out(world: World) -> None:
    world.github.trigger_secondary_rate_limit(retry_after=42, match="POST /repos/*/issues")
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert world.waits == [42.0]
    assert_exactly_once(world)


def test_a_spent_rate_limit_is_waited_out_until_its_reset(world: World) -> None:
    world.github.exhaust_rate_limit(reset_at=NOW + timedelta(seconds=30))
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert world.waits == [31.0]  # until the reset, and a second to be sure
    assert_exactly_once(world)


def test_a_rate_limit_longer_than_the_policy_allows_stops_github_only(world: World) -> None:
    world.github.exhaust_rate_limit(reset_at=NOW + timedelta(minutes=40))
    ran = world.publish()
    assert ran.code == 1, ran.out
    assert world.waits == []
    assert "rate limited for 2401 s" in ran.out
    assert len(world.messages()) == 3  # Slack and the doc went on
    assert len(world.doc_ranges()) == 3
    world.github.set_rate_limit(1000)
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert_exactly_once(world)


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
@pytest.mark.parametrize(
    ("service", "match"),
    [
        ("github", "GET /repos/*/issues"),
        ("github", "POST /repos/acme/interviews/issues"),
        ("github", "POST /repos/acme/product/issues/*/comments"),
        ("github", "PUT /repos/*/contents/*"),
        ("github", "POST /repos/*/git/trees"),
        ("github", "PATCH /repos/*/git/refs/heads/main"),
        ("github", "POST /repos/*/git/refs"),
        ("slack", "* */conversations.history"),
        ("slack", "* */chat.postMessage"),
        ("slack", "* */chat.getPermalink"),
        ("docs", "GET *"),
        ("docs", "POST *:batchUpdate"),
    ],
)
@pytest.mark.parametrize("fault", ["drop", "502"])
def test_a_dropped_connection_or_a_5xx_doubles_nothing(
    world: World, service: str, match: str, after: bool, fault: str
) -> None:
    """Before the service acted on it, or after (the answer lost): either way, one of everything."""
    fake = {"github": world.github, "slack": world.slack, "docs": world.docs}[service]
    fake.inject(Fault.drop() if fault == "drop" else Fault.status(502), match=match, after=after)
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert len(world.waits) <= 1
    assert_exactly_once(world)


@pytest.mark.parametrize("error", ["internal_error", "fatal_error"])
@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
def test_a_slack_error_that_may_have_posted_is_looked_up_not_posted_again(
    world: World, error: str, after: bool
) -> None:
    """Slack says of these two "it's possible some aspect of the operation succeeded": the message
    is looked for in the channel's history before it is posted again."""
    world.slack.fail(error, "chat.postMessage", after=after)
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert_exactly_once(world)


def test_a_call_published_the_evening_before_in_utc_is_found_again(tmp_path: Path) -> None:
    """A team in Auckland publishes a call of the 28th at 11:30 local time: the 27th, 22:30 UTC. The
    answers to the issue and the Slack post are lost; the lookups that follow start from the earliest
    moment the 28th is a date anywhere, not from midnight UTC, so they find both."""
    path = "interviews/2026/2026-11-28-web-analytics-kiri.md"
    bug = {"type": "bug", "title": "Exports time out"}
    with world_at(
        tmp_path, {path: interview("2026-11-28-web-analytics-kiri", first_name="Kiri", requests=[bug])}
    ) as world:
        evening = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)
        world.github.set_time(evening)
        world.slack.set_clock(evening)
        world.github.inject(Fault.drop(), match="POST /repos/*/issues", after=True)
        world.slack.inject(Fault.drop(), match="* */chat.postMessage", after=True)
        ran = world.publish()
        assert ran.code == 0, ran.out
        assert len(world.issues()) == 1
        assert len(world.messages()) == 1
        assert_exactly_once(world, {path: "2026-11-28-web-analytics-kiri"})


def test_an_answer_slower_than_the_timeout_is_retried(world: World) -> None:
    world.slack.inject(Fault.slow(0.5), match="* */conversations.history")
    world.docs.inject(Fault.slow(0.5), match="GET *")
    ran = world.publish(policy={"timeout": 0.2})
    assert ran.code == 0, ran.out
    assert world.waits == [1.0, 1.0]  # one backoff each, recorded, not slept
    assert_exactly_once(world)


def test_a_service_that_keeps_failing_stops_only_itself_and_the_next_run_finishes(world: World) -> None:
    world.slack.inject(Fault.status(503), match="* */*", times=100)
    ran = world.publish()
    assert ran.code == 1, ran.out
    assert "Slack: stopped for this run: slack: read the channel's history: HTTP 503" in ran.out
    assert ran.lines("FAILED ") == [
        f"FAILED {record_id}: " + line
        for record_id, line in [
            (
                "2026-11-20-web-analytics-joe",
                "filed https://github.com/acme/interviews/issues/1; filed https://github.com/acme/"
                "interviews/issues/2; added the notes to the Google Doc",
            ),
            (
                "2026-11-23-session-replay-priya",
                f"added this user as evidence on https://github.com/{PRODUCT}/issues/7; "
                "added the notes to the Google Doc",
            ),
            (
                "2026-11-24-slack-feedback-ana",
                "filed https://github.com/acme/interviews/issues/3; added the notes to the Google Doc",
            ),
        ]
    ]
    assert ran.out.count("  to retry: slack: read the channel's history: HTTP 503") == 3
    summary = world.summary_path.read_text(encoding="utf-8")
    assert summary.count("❌ slack: read the channel's history: HTTP 503") == 3
    # What succeeded is written back: the issue links and the doc entries, not the digest.
    world.checkout()
    joe = world.frontmatter(JOE)
    assert joe["requests"][0]["issue"] == "https://github.com/acme/interviews/issues/1"
    assert joe["published"] == {"doc": "feedbackloop:2026-11-20-web-analytics-joe"}
    assert world.messages() == []

    world.slack.clear_faults()
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert_exactly_once(world)
    _nothing_left(world)


def test_github_failing_leaves_slack_and_the_doc_to_finish_and_the_next_run_adds_the_links(
    world: World,
) -> None:
    world.github.inject(Fault.status(500), match="* /repos/*/issues*", times=100)
    ran = world.publish()
    assert ran.code == 1, ran.out
    assert "GitHub: stopped for this run" in ran.out
    joe = next(m for m in world.messages() if "Joe" in m["text"])
    assert "(issue to be filed)" in str(joe["blocks"])
    world.checkout()
    assert "slack" in world.frontmatter(JOE)["published"]  # Slack's and the doc's links written back

    world.github.clear_faults()
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert "(issue to be filed)" not in str(world.messages())
    assert_exactly_once(world)


def test_a_push_between_the_reads_and_the_commit_is_read_again(world: World) -> None:
    """A teammate pushes to main while publish works: its commit goes on top of theirs."""
    other = "interviews/2026/2026-11-26-teammate-bo.md"
    pushed: list[str] = []

    def push_meanwhile(request: object) -> None:
        if not pushed and getattr(request, "line", "").startswith("POST /repos/acme/interviews/git/trees"):
            pushed.append(world.github.commit_files(REPO, {other: "# a draft\n"}, message="Bo's draft"))

    world.github.on_request = push_meanwhile
    ran = world.publish()
    world.github.on_request = None
    assert ran.code == 0, ran.out
    assert pushed
    world.checkout()
    assert git(world.root, "rev-parse", "HEAD^") == pushed[0]
    assert (world.root / other).read_text(encoding="utf-8") == "# a draft\n"
    assert_exactly_once(world)


def test_an_edit_of_the_same_file_between_the_reads_and_the_commit_is_kept(tmp_path: Path) -> None:
    """One file to write back goes through the contents API; a teammate's edit of that very file
    meanwhile makes it answer 409: publish reads the file again and writes the ledger into it."""
    with world_at(tmp_path, {JOE: standard_files(7)[JOE]}) as world:
        edited: list[str] = []

        def edit_meanwhile(request: object) -> None:
            if not edited and getattr(request, "line", "").startswith("PUT /repos/acme/interviews/contents/"):
                text = world.remote_text(JOE).replace("- Funnels with 50+ steps crash.", "- Crashes at 51.")
                edited.append(world.github.commit_files(REPO, {JOE: text}, message="Fix a note"))

        world.github.on_request = edit_meanwhile
        ran = world.publish()
        world.github.on_request = None
        assert ran.code == 0, ran.out
        assert edited
        assert world.github.count("PUT /repos/*/contents/*") == 2
        text = world.remote_text(JOE)
        assert "- Crashes at 51." in text
        assert "published:" in text
        # The digest is of what was published (the old notes): the next run publishes the new ones.
        world.checkout()
        ran = world.publish()
        assert ran.code == 0, ran.out
        assert "updated the notes in the Google Doc" in ran.out
        assert "- Crashes at 51." in world.doc_text()
        assert_exactly_once(world, {JOE: "2026-11-20-web-analytics-joe"})


def test_a_doc_edited_between_the_read_and_the_batch_is_read_again(world: World) -> None:
    from fakes.google import _new_revision

    def type_meanwhile(request: object) -> None:
        if getattr(request, "line", "").endswith(":batchUpdate") and world.docs.count("POST *") == 1:
            with world.docs._lock:
                document = world.docs.document(DOC_ID)
                document.insert(1, "Agenda: ")
                document.revision_id = _new_revision()
                document.revisions.append(document.revision_id)

    world.docs.on_request = type_meanwhile
    ran = world.publish()
    world.docs.on_request = None
    assert ran.code == 0, ran.out
    assert world.docs.count("GET *") == 2
    assert world.docs.count("POST *") == 2
    assert world.doc_text().startswith("Agenda: User interviews\n")
    assert_exactly_once(world)


def test_a_github_that_refuses_the_lock_ref_does_not_stop_publishing(world: World) -> None:
    world.github.inject(
        Fault.status(422, body={"message": "Reference update failed"}),
        match="POST /repos/*/git/refs",
        times=2,
    )
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert "GitHub: could not take the publish lock, going on without it: github: GitHub refused" in ran.out
    assert_exactly_once(world)


WRITES = [at for at, line in enumerate(FULL_RUN, start=1) if not _reads(line)]


@pytest.mark.parametrize("at", WRITES, ids=[f"{at}-after" for at in WRITES])
def test_killed_after_a_write_then_a_new_run_from_main_finishes(tmp_path: Path, at: int) -> None:
    """Not a re-run of the killed job but the next workflow run (another push), once the killed run's
    lock has expired: a new checkout of main, a new run id. Nothing exists twice; the pull request
    still gets its one comment."""
    world, pull = _merged_world(tmp_path)
    try:
        killer = Killer(world.services, at=at, processed=True)
        assert world.killed(killer, "publish") == -9, killer.killed
        world.github.repo(REPO).refs.pop("refs/feedbackloop/publish", None)  # its lease ran out
        world.checkout()
        ran = world.publish(GITHUB_RUN_ID="4243", GITHUB_RUN_ATTEMPT="1")
        assert ran.code == 0, (killer.killed, ran.out)
        assert_exactly_once(world, pull=pull)
        _nothing_left(world)
    finally:
        world.stop()


def test_a_request_added_above_published_ones_gets_its_own_issue(world: World) -> None:
    """Issues are found again by `id#position`: a request inserted first takes the key of one
    already published. It must not adopt that one's issue (two requests on one issue, the new bug
    never filed): it gets an issue of its own, and the others keep theirs."""
    assert world.publish().code == 0
    published = world.frontmatter(JOE)["requests"]
    links = [request["issue"] for request in published]
    assert len(set(links)) == 2
    kept = [{key: str(value) for key, value in request.items()} for request in published]
    added = {"type": "bug", "title": "CSV exports time out after a minute"}
    world.push({JOE: interview("2026-11-20-web-analytics-joe", requests=[added, *kept])})
    before = len(world.issues())

    ran = world.publish()
    assert ran.code == 0, ran.out
    requests = world.frontmatter(JOE)["requests"]
    assert [request["issue"] for request in requests[1:]] == links
    new = [issue for issue in world.issues() if issue["html_url"] == requests[0]["issue"]]
    assert len(world.issues()) == before + 1
    assert [issue["title"] for issue in new] == [added["title"]]
    world.checkout()
    again = world.publish()
    assert again.code == 0, again.out
    assert len(world.issues()) == before + 1
