"""Replay .github/workflows/publish.yml as a runner would, against FakeGitHub, FakeSlack and Google's
fakes on 127.0.0.1: a pull request adding an interview is merged, and the push runs the workflow."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers_privacy import CALL, CALL_ID, Realm
from helpers_publish import (
    CHANNEL,
    DOC_ID,
    PRODUCT,
    REPO,
    World,
    assert_exactly_once,
    interview,
    markers_in,
    world_at,
)
from helpers_repo import git
from workflow_replay import JobRun, Replay, Workflow

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
NEW = "interviews/2026/2026-11-25-feature-flags-marco.md"
NEW_ID = "2026-11-25-feature-flags-marco"


def test_it_runs_on_pushes_of_interviews_to_main_and_by_hand() -> None:
    workflow = Workflow.load(WORKFLOW)
    assert set(workflow.triggers) == {"push", "workflow_dispatch"}
    push = workflow.triggers["push"]
    assert push["branches"] == ["main"]
    assert push["paths"] == ["interviews/**"]  # interviews and feedback notes both live there


def test_least_privilege_one_run_at_a_time_never_cancelled() -> None:
    workflow = Workflow.load(WORKFLOW)
    assert workflow.permissions == {}
    assert workflow.jobs == ["publish", "rewards"]
    job = workflow.job("publish")
    # issues: write and contents: write, as asked; and reading which pull request merged an
    # interview (for its comment) needs pull-requests: read (FakeGitHub refuses it otherwise).
    assert job["permissions"] == {"contents": "write", "issues": "write", "pull-requests": "read"}
    assert job["environment"] == "feedback"
    assert workflow.concurrency["group"]
    assert workflow.concurrency["cancel-in-progress"] == "false"
    assert 0 < int(job["timeout-minutes"]) <= 15
    assert "env" not in workflow.data  # secrets reach the one step that needs them, nowhere else
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["persist-credentials"] == "false"
    assert checkout["with"]["fetch-depth"] == "0"  # to find the pull request that added each file
    scripts = [step["run"].strip() for step in job["steps"] if "run" in step]
    assert scripts[-1] == "feedbackloop publish"
    secrets_in = [s.get("name") for s in job["steps"] if "secrets." in json.dumps(s.get("env", {}))]
    assert secrets_in == ["Google credentials", "Publish"]
    # The gift cards: a job of its own, in the environment that alone holds the Shopify token.
    rewards = workflow.job("rewards")
    assert rewards["environment"] == "shopify"
    assert rewards["needs"] == "publish"
    assert rewards["permissions"] == {"contents": "write"}
    assert 0 < int(rewards["timeout-minutes"]) <= 15
    assert rewards["steps"][0]["with"]["persist-credentials"] == "false"
    assert [step["run"].strip() for step in rewards["steps"] if "run" in step][
        -1
    ] == "feedbackloop reward --pending"
    assert "SHOPIFY" not in json.dumps(job)


def _push_event(world: World, before: str, pull: int) -> dict[str, Any]:
    """The push event GitHub sends when a pull request is merged (the fields a runner's file has)."""
    after = world.sha
    owner, name = REPO.split("/")
    message = git(world.root, "log", "-1", "--format=%B", after)
    return {
        "ref": "refs/heads/main",
        "before": before,
        "after": after,
        "created": False,
        "deleted": False,
        "forced": False,
        "base_ref": None,
        "compare": f"https://github.com/{REPO}/compare/{before[:12]}...{after[:12]}",
        "commits": [
            {
                "id": after,
                "tree_id": git(world.root, "rev-parse", f"{after}^{{tree}}"),
                "distinct": True,
                "message": message,
                "timestamp": "2026-11-28T09:00:00Z",
                "url": f"https://github.com/{REPO}/commit/{after}",
                "author": {"name": "alice", "email": "alice@users.noreply.github.com", "username": "alice"},
                "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
                "added": [],
                "removed": [],
                "modified": [NEW],
            }
        ],
        "head_commit": {"id": after, "message": message},
        "repository": {
            "id": 1001,
            "name": name,
            "full_name": REPO,
            "private": True,
            "owner": {"login": owner, "type": "Organization"},
            "default_branch": "main",
            "master_branch": "main",
        },
        "pusher": {"name": "alice", "email": "alice@users.noreply.github.com"},
        "sender": {"login": "alice", "type": "User"},
        "_test_pull_request": pull,  # not GitHub's: how the test remembers which pull request it was
    }


@pytest.fixture
def merged(tmp_path: Path) -> Iterator[tuple[World, int, dict[str, Any]]]:
    """The team's repository with one published interview; a pull request adds Marco's, and is merged."""
    existing = {
        "interviews/2026/2026-11-20-web-analytics-joe.md": interview(
            "2026-11-20-web-analytics-joe",
            requests=[{"type": "feature", "title": "Break down funnels by cohort"}],
        )
    }
    with world_at(tmp_path, existing) as world:
        assert world.publish().code == 0  # published long ago
        world.checkout()
        before = world.sha
        world.forget_requests()
        pull = world.merge_pull_request(
            {
                NEW: interview(
                    NEW_ID,
                    topic="Feature flags",
                    first_name="Marco",
                    interviewers=["carol", "alice"],
                    company="Initech",
                    role="Staff engineer",
                    summary="Rolls out flags per cohort; wants a kill switch; local evaluation is slow.",
                    requests=[
                        {"type": "feature", "title": "A kill switch for every flag"},
                        {"type": "bug", "title": "Local evaluation takes 2 s on cold start"},
                    ],
                )
            },
            title="Interview with Marco",
            branch="interview-marco",
        )
        yield world, pull, _push_event(world, before, pull)


def replay(world: World, event: dict[str, Any], run_id: int = 7001, **secrets: str) -> JobRun:
    return Replay(
        Workflow.load(WORKFLOW),
        "publish",
        workspace=world.root,
        event_name="push",
        event=event,
        repository=REPO,
        environments={"feedback": {"SLACK_BOT_TOKEN": world.slack.token, **secrets}},
        grant=world.github.grant,  # the job's GITHUB_TOKEN, with its `permissions:`
        env={
            "GITHUB_API_URL": world.github.url.rstrip("/"),
            "SLACK_API_URL": world.slack.url,
            "GOOGLE_DOCS_API_URL": world.docs.url,
        },
        sha=world.sha,
        run_id=run_id,
    ).run()


def _key(world: World) -> str:
    return json.dumps(world.auth.service_account_info())  # its token_uri is the fake's


def test_merging_a_pull_request_publishes_its_interview_once(
    merged: tuple[World, int, dict[str, Any]],
) -> None:
    world, pull, event = merged
    sha = world.sha
    job = replay(world, event, GOOGLE_SERVICE_ACCOUNT_KEY=_key(world))
    assert job.ok, job.output
    assert job.skipped == [
        "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",
        "actions/setup-python@42375524e23c412d93fb67b49958b491fce71c38",
    ]
    output = job.step("Publish").output
    assert "skipped" not in output, output

    # The issues, filed from the template, with the labels.
    filed = {i["title"]: i for i in world.issues() if NEW_ID in i["body"]}
    assert set(filed) == {"A kill switch for every flag", "Local evaluation takes 2 s on cold start"}
    kill_switch = filed["A kill switch for every flag"]
    assert f"https://github.com/{REPO}/blob/{sha}/{NEW}" in kill_switch["body"]
    assert {label["name"] for label in kill_switch["labels"]} == {"user-feedback", "enhancement"}
    # The summary, posted once, mentioning the interviewers; the doc entry, appended once.
    marco = [m for m in world.messages() if "Marco" in m["text"]]
    assert len(marco) == 1
    assert "<@U0CAROL>, <@U0ALICE>" in json.dumps(marco[0]["blocks"])
    assert world.docs.range_text(DOC_ID, f"feedbackloop:{NEW_ID}").startswith(
        "Feature flags user interview with Marco (2026-11-25)\n"
    )
    # The Google token came from the key, through the workflow's key-file step.
    assert world.auth.assertions, "google-auth signed no assertion with the key"
    credentials = job.step("Google credentials")
    assert credentials.code == 0
    key_file = Path(world.tmp / "runner-7001" / "temp" / "google-key.json")
    assert json.loads(key_file.read_text(encoding="utf-8"))["token_uri"] == world.auth.token_uri
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The links, written back once: one commit on top of the merge, changing Marco's ledger only.
    head = world.github.export_git(REPO, world.root, branch="main")
    assert head is not None
    assert git(world.root, "rev-parse", f"{head}^") == sha
    assert git(world.root, "diff", "--name-only", sha, head) == NEW
    message = git(world.root, "log", "-1", "--format=%B", head)
    assert NEW_ID in message
    assert "Initech" not in message
    # The record keeps the pull request that added it (forget follows it to the pull request's text).
    added_by = world.frontmatter(NEW)["published"]["pull_request"]
    assert added_by == f"https://github.com/{REPO}/pull/{pull}"
    # The pull request: one comment with every link.
    comments = [c for c in world.github.comments(REPO, pull) if markers_in(c["body"])]
    assert len(comments) == 1
    for issue in filed.values():
        assert f"]({issue['html_url']})" in comments[0]["body"]
    assert "acme.slack.com/archives/" + CHANNEL in comments[0]["body"]
    # The job summary.
    assert "### Published" in job.summary
    assert f"`{NEW_ID}`" in job.summary
    assert_exactly_once(world, {NEW: NEW_ID}, pull=pull)

    # "Re-run all jobs": the same commit, the same event. Nothing doubles, no second comment.
    world.forget_requests()
    again = replay(world, event, GOOGLE_SERVICE_ACCOUNT_KEY=_key(world))
    assert again.ok, again.output
    assert_exactly_once(world, {NEW: NEW_ID}, pull=pull)
    assert world.github.count("POST /repos/*/issues") == 0
    assert world.slack.calls("chat.postMessage") == 0
    # The next push (say the write-back commit's, with a token that triggers workflows): nothing to do.
    world.checkout()
    world.forget_requests()
    later = replay(world, {**event, "before": sha, "after": world.sha}, run_id=7002)
    assert later.ok, later.output
    assert "Nothing to publish." in later.step("Publish").output
    assert sum(world.request_count().values()) == 0
    assert not world.issues(PRODUCT)[7:]  # nothing landed in the other repository


def test_without_the_google_secret_the_doc_is_skipped_with_one_line(
    merged: tuple[World, int, dict[str, Any]],
) -> None:
    world, pull, event = merged
    job = replay(world, event)
    assert job.ok, job.output
    output = job.step("Publish").output
    assert output.count("Google Docs: skipped,") == 1
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in job.step("Google credentials").env
    assert not (world.tmp / "runner-7001" / "temp" / "google-key.json").exists()
    assert f"feedbackloop:{NEW_ID}" not in world.doc_ranges()
    assert len([m for m in world.messages() if "Marco" in m["text"]]) == 1
    assert len([c for c in world.github.comments(REPO, pull) if markers_in(c["body"])]) == 1


def test_a_second_token_from_a_secret_is_used_instead_of_the_jobs(
    merged: tuple[World, int, dict[str, Any]],
) -> None:
    """FEEDBACKLOOP_GITHUB_TOKEN (an app's token, to file issues in another repository) wins."""
    world, _, event = merged
    job = replay(world, event, FEEDBACKLOOP_GITHUB_TOKEN="ghs_not_the_fakes_token")
    assert not job.ok
    assert job.step("Publish").env["GITHUB_TOKEN"] == "ghs_not_the_fakes_token"
    assert "Bad credentials" in job.step("Publish").output
    assert world.issues() == world.issues()[:1]  # nothing filed with a token GitHub refuses


def test_one_run_for_two_merged_pull_requests_comments_on_each_with_its_own_links(
    merged: tuple[World, int, dict[str, Any]],
) -> None:
    """A second pull request merged while the first's run waited: the concurrency group keeps only the
    newest pending run, which publishes both. Each pull request hears about its own interview."""
    world, first, _ = merged
    before = world.sha
    other = "interviews/2026/2026-11-26-surveys-lena.md"
    second = world.merge_pull_request(
        {other: interview("2026-11-26-surveys-lena", topic="Surveys", first_name="Lena")},
        title="Interview with Lena",
        branch="interview-lena",
    )
    job = replay(world, _push_event(world, before, second), GOOGLE_SERVICE_ACCOUNT_KEY=_key(world))
    assert job.ok, job.output
    bodies = {}
    for number in (first, second):
        comments = [c["body"] for c in world.github.comments(REPO, number) if markers_in(c["body"])]
        assert len(comments) == 1, (number, comments)
        bodies[number] = comments[0]
    assert f"`{NEW_ID}`" in bodies[first]
    assert "2026-11-26-surveys-lena" not in bodies[first]
    assert "`2026-11-26-surveys-lena`" in bodies[second]
    assert NEW_ID not in bodies[second]
    assert_exactly_once(world, {NEW: NEW_ID, other: "2026-11-26-surveys-lena"})


def test_the_rewards_job_issues_the_gift_cards_with_the_shopify_environment_alone(tmp_path: Path) -> None:
    """rewards_on_publish: the publish job (no Shopify token in its environment) leaves the pending gift
    card to the rewards job, which its output starts; that job's checkout is the pushed commit, behind
    publish's write-back, and its own write-back lands on top of it."""
    with Realm.create(tmp_path) as realm:
        world = realm.world
        pull = realm.merge()
        pushed = world.sha
        event = {
            "ref": "refs/heads/main",
            "after": pushed,
            "repository": {"full_name": REPO, "private": True},
        }
        endpoints = {
            "GITHUB_API_URL": world.github.url.rstrip("/"),
            "SLACK_API_URL": world.slack.url,
            "GOOGLE_DOCS_API_URL": world.docs.url,
            "GOOGLE_CALENDAR_API_URL": realm.calendar.base_url,
            "SHOPIFY_ADMIN_API_URL": realm.shop.url,  # the fake store (SHOPIFY_STORE names the real one)
        }

        def job(name: str, run_id: int, **needs: JobRun) -> JobRun:
            return Replay(
                Workflow.load(WORKFLOW),
                name,
                workspace=world.root,
                event_name="push",
                event=event,
                repository=REPO,
                environments={
                    "feedback": {
                        "SLACK_BOT_TOKEN": world.slack.token,
                        "GOOGLE_SERVICE_ACCOUNT_KEY": _key(world),
                    },
                    "shopify": {
                        "SHOPIFY_ADMIN_TOKEN": realm.shop.token,
                        "SLACK_BOT_TOKEN": world.slack.token,
                    },
                },
                environment_variables={"shopify": {"SHOPIFY_STORE": "feedbackloop-test.myshopify.com"}},
                needs=needs,
                grant=world.github.grant,
                env=endpoints,
                sha=pushed,
                run_id=run_id,
            ).run()

        publish = job("publish", 8001)
        assert publish.ok, publish.output
        assert publish.outputs == {"rewards": "true"}
        assert "1 pending merch reward wait for Shopify" in publish.step("Publish").output
        assert realm.shop.gift_cards() == []
        published = world.head()
        assert world.frontmatter(CALL)["requests"][0]["issue"]  # publish's ledger is on main

        rewards = job("rewards", 8001, publish=publish)
        assert rewards.ok, rewards.output
        step = rewards.step("Issue the pending gift cards")
        assert sorted(step.env) == ["GITHUB_TOKEN", "SHOPIFY_ADMIN_TOKEN", "SHOPIFY_STORE", "SLACK_BOT_TOKEN"]
        # the job's own token: it writes this repository's files only
        assert world.github.permissions_of(step.env["GITHUB_TOKEN"]) == {"contents": "write"}
        [card] = realm.shop.gift_cards()
        assert card["note"].startswith(f"feedbackloop reward {CALL_ID}\n")
        code = realm.shop.issued_codes[0]
        assert code in str(world.slack.dms("U0ALICE"))
        assert [line for line in rewards.output.splitlines() if code in line] == [f"::add-mask::{code}"]
        assert code not in rewards.summary
        # Both ledgers on main: the reward's commit re-read the file at publish's write-back.
        ledger = world.frontmatter(CALL)
        assert ledger["reward"]["status"] == "issued"
        assert ledger["requests"][0]["issue"]
        head = world.github.export_git(REPO, world.root, branch="main")
        assert head is not None
        assert git(world.root, "rev-parse", f"{head}^") == published
        assert pull

        # The next run has no reward to issue: the rewards job does not start (no approval asked).
        world.checkout()
        again = job("publish", 8002)
        assert again.ok, again.output
        assert again.outputs == {"rewards": ""}
        skipped = job("rewards", 8002, publish=again)
        assert not skipped.ran
        assert len(realm.shop.gift_cards()) == 1
