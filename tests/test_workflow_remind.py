"""Replay .github/workflows/remind.yml as a runner would, against FakeGitHub and FakeSlack on 127.0.0.1,
on interviews owing every kind of reminder; then again the same day, and nothing is sent twice."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpers_publish import REPO
from helpers_remind import DASHBOARD_LABEL, SENTINEL, Team
from workflow_replay import JobRun, Replay, Workflow

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "remind.yml"


def test_it_runs_on_weekday_mornings_and_by_hand() -> None:
    workflow = Workflow.load(WORKFLOW)
    assert set(workflow.triggers) == {"schedule", "workflow_dispatch"}
    crons = [entry["cron"] for entry in workflow.triggers["schedule"]]
    assert len(crons) == 1
    minute, hour, day, month, weekday = crons[0].split()
    assert (day, month, weekday) == ("*", "*", "1-5")  # Monday to Friday
    assert minute.isdigit()
    assert hour.isdigit()
    assert int(minute) not in (0, 30)  # off the hour, when GitHub's scheduler drops runs


def test_least_privilege_one_run_at_a_time_and_a_timeout() -> None:
    workflow = Workflow.load(WORKFLOW)
    assert workflow.permissions == {}
    assert workflow.jobs == ["remind"]
    job = workflow.job("remind")
    assert job["permissions"] == {"contents": "read", "issues": "write"}
    assert job["environment"] == "feedback"  # its secrets live there, not in the repository's
    assert workflow.concurrency["group"]
    assert workflow.concurrency["cancel-in-progress"] == "false"  # never stop a run between its writes
    assert 0 < int(job["timeout-minutes"]) <= 15
    scripts = [step["run"].strip() for step in job["steps"] if "run" in step]
    assert scripts[-1] == "feedbackloop remind"
    assert all(re.fullmatch(r"python -m pip install [\w -]*\.|feedbackloop remind", s) for s in scripts)


def replay(team: Team, **secrets: str) -> JobRun:
    workflow = Workflow.load(WORKFLOW)
    schedule = workflow.triggers["schedule"][0]["cron"]
    return Replay(
        workflow,
        "remind",
        workspace=team.world.root,
        event_name="schedule",
        event={"schedule": schedule},
        repository=REPO,
        environments={"feedback": {"SLACK_BOT_TOKEN": team.slack.token, **secrets}},
        grant=team.github.grant,  # the job's GITHUB_TOKEN, with its `permissions:`
        env={"GITHUB_API_URL": team.github.url.rstrip("/"), "SLACK_API_URL": team.slack.url},
        sha=team.world.sha,
        run_id=len(list(team.world.tmp.glob("runner-*"))) + 1,
    ).run()


def owners_of(message: dict[str, Any]) -> str:
    return str(message["metadata"]["event_payload"]["owner"])


def test_the_scheduled_run_keeps_the_dashboard_and_reminds_each_owner_once_a_day(tmp_path: Path) -> None:
    # The step runs `feedbackloop remind` without --today: the records are dated from the real day,
    # and every teammate is checked for this month's call whatever the day (monthly_call_day = 1).
    now = datetime.now(UTC).replace(microsecond=0)
    with Team.create(tmp_path, now=now, monthly_call_day=1) as team:
        job = replay(team)
        assert job.ok, job.output
        assert [name.split("@")[0] for name in job.skipped] == ["actions/checkout", "actions/setup-python"]
        assert "feedbackloop is installed (pip install skipped)" in job.step("Install feedbackloop").output
        remind = job.step("Remind")
        token = remind.env["GITHUB_TOKEN"]  # no FEEDBACKLOOP_GITHUB_TOKEN: the job's own
        assert team.github.permissions_of(token) == {"contents": "read", "issues": "write"}
        assert remind.env["SLACK_BOT_TOKEN"] == team.slack.token
        assert team.slack.token not in job.output
        assert token not in job.output

        # the dashboard issue: every kind of flag, with its owners
        assert team.owed is not None
        owed = team.owed
        issue = team.dashboard()
        body = issue["body"]
        assert issue["state"] == "open"
        assert [label["name"] for label in issue["labels"]] == [DASHBOARD_LABEL]
        for heading, record_id, owners in [
            ("Rewards to send", owed.merch, "@alice"),
            ("Rewards to send", owed.open_collective, "@alice @bob"),
            ("Rewards to send", owed.issued, "@bob"),
            ("Follow-ups to send", owed.follow_up, "@bob"),
            ("Calls without notes", owed.notes, "@carol"),
            ("Shipped: tell the user", owed.shipped, "@alice"),
            ("Shipped: tell the user", owed.note_shipped, "@carol"),
        ]:
            section = body.split(f"### {heading} (")[1].split("\n\n")[0]
            line = next(line for line in section.splitlines() if f"`{record_id}`" in line)
            assert line.startswith("- [ ] ")
            assert line.endswith(f"— {owners}")
        calls = body.split("### No user call this month (")[1].split("\n\n")[0]
        assert f"- [ ] @dave has joined no user call in {now:%B %Y}" in calls
        assert body.count("```mermaid") == 3
        assert SENTINEL not in body
        assert SENTINEL not in job.output
        content = body.split("<!-- feedbackloop:dashboard {} -->\n")[1].split("\n<!-- feedbackloop:")[0]
        assert content in job.summary  # the job summary shows the same dashboard

        # Slack: each owner one direct message with their own items, and nothing in the channel
        messages = team.reminders()
        assert sorted(owners_of(m) for m in messages) == sorted({owners_of(m) for m in messages})
        assert {"alice", "bob", "carol", "dave"} <= {owners_of(m) for m in messages}
        everything = {i for ids in owed.by_owner.values() for i in ids}
        for login, ids in owed.by_owner.items():
            [message] = team.dms(login)
            for record_id in everything:
                assert (record_id in message["text"]) == (record_id in ids), (login, record_id)
        assert team.world.messages() == []
        assert team.slack.pings == []

        # again the same day (a re-run, or the next scheduled run): nothing sent twice, nothing rewritten
        team.world.forget_requests()
        again = replay(team)
        assert again.ok, again.output
        assert team.reminders() == messages
        assert team.dashboard()["body"] == body
        assert [r.line for r in team.github.requests if r.method != "GET"] == []
        assert team.slack.requests == []
        assert "dashboard unchanged" in again.step("Remind").output


def test_a_token_of_its_own_wins_over_the_jobs_token(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    with Team.create(tmp_path, files={}, now=now) as team:
        job = replay(team, FEEDBACKLOOP_GITHUB_TOKEN="ghs_not_the_fakes")
        assert job.step("Remind").env["GITHUB_TOKEN"] == "ghs_not_the_fakes"
        assert not job.ok  # FakeGitHub knows only its own token: the step used the secret
        assert "401" in job.step("Remind").output
        assert "Traceback" not in job.output
