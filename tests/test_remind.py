"""`feedbackloop remind` and `report` against FakeGitHub and FakeSlack over HTTP on 127.0.0.1: the
dashboard issue (created once, found by its marker, rewritten only when it changed, reopened), the
Slack reminders (each owner their own items, at most once a day for the same set, exactly once when a
run is killed half way), what is skipped without a token, the dry run, and faults."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from fakes.server import Fault
from fakes.slack import Ping
from helpers_publish import REPO, ROSTER, TODAY
from helpers_remind import (
    CHANNEL,
    DASHBOARD_LABEL,
    PAGE,
    ROSTER_WITH_DAVE,
    SENTINEL,
    KillAt,
    Owed,
    Team,
    interview_file,
)
from helpers_repo import feedbackloop, make_repo

MARKER = "<!-- feedbackloop:dashboard {} -->"
BLOB = f"https://github.com/{REPO}/blob/main/"
REMINDED = re.compile(r"<!-- feedbackloop:reminded (\{.*?\}) -->")


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    with Team.create(tmp_path) as made:
        yield made


def owed(team: Team) -> Owed:
    assert team.owed is not None
    return team.owed


def text_of(message: dict[str, Any]) -> str:
    return str(message["text"])


def ledger(body: str) -> dict[str, str]:
    import json

    found = REMINDED.findall(body)
    assert len(found) == 1, body
    loaded: dict[str, str] = json.loads(found[0])
    return loaded


def content_of(body: str) -> str:
    """The dashboard markdown inside the issue body (between its marker and what remind keeps)."""
    assert body.startswith(MARKER + "\n"), body[:200]
    return body.removeprefix(MARKER + "\n").split("\n<!-- feedbackloop:")[0].rstrip("\n") + "\n"


# -- the dashboard issue ------------------------------------------------------------------------------


def test_the_first_run_files_one_dashboard_with_every_kind_of_flag(team: Team) -> None:
    ran = team.remind()
    assert ran.code == 0, ran.out
    issue = team.dashboard()
    body = issue["body"]
    assert issue["state"] == "open"
    assert issue["title"] == "User feedback dashboard"
    assert [label["name"] for label in issue["labels"]] == [DASHBOARD_LABEL]
    assert body.startswith(MARKER)
    o = owed(team)
    for section, ids in [
        ("Rewards to send (3)", [o.issued, o.open_collective, o.merch]),  # most overdue first
        ("Follow-ups to send (1)", [o.follow_up]),
        ("Calls without notes (1)", [o.notes]),
        ("Shipped: tell the user (2)", [o.shipped, o.note_shipped]),
        ("No user call this month (1)", []),
    ]:
        assert f"### {section}" in body
        part = body.split(f"### {section}\n")[1].split("\n\n")[0]
        boxes = part.splitlines()
        assert all(line.startswith("- [ ] ") for line in boxes), part
        linked = [re.match(r"- \[ \] \[`([^`]+)`\]\(([^)]+)\):", line) for line in boxes]
        assert [m[1] for m in linked if m] == ids
        for m in linked:
            if m:
                assert m[2] == f"{BLOB}interviews/{m[1][:4]}/{m[1]}.md"  # the file, on the branch
    merch = f"[`{o.merch}`]({BLOB}interviews/2026/{o.merch}.md)"
    assert f"{merch}: issue the merch gift card (30 USD): `feedbackloop reward {o.merch}`" in body
    assert f"on {PAGE}" in body
    assert "gift card of 30 USD" in body
    assert "send the gift card (ending Q7RT)" in body
    assert f"`feedbackloop follow-up {o.follow_up}`" in body
    assert f"“Break down funnels by cohort” shipped ({o.shipped_url})" in body
    assert "Export to CSV" not in body  # closed as not planned
    assert "Dark mode" not in body  # still open
    assert "- [ ] @dave has joined no user call in November 2026" in body
    assert "— @alice @bob" in body  # the open-collective reward: both interviewers
    for not_flagged in ("seven-days", "settled", "cancelled", "no-show", "example-late"):
        assert f"-{not_flagged}`" not in body
    assert "| @dave | 0 |" in body
    assert "```mermaid\nxychart-beta" in body
    assert "```mermaid\npie title" in body
    assert SENTINEL not in body
    assert SENTINEL not in ran.out
    assert team.github.count("POST /repos/*/issues") == 1


def test_a_rerun_the_same_day_changes_nothing_in_two_reads(team: Team) -> None:
    assert team.remind().code == 0
    before = team.dashboard()
    team.world.forget_requests()
    ran = team.remind()
    assert ran.code == 0, ran.out
    assert team.dashboard()["body"] == before["body"]
    assert team.github_writes() == []
    assert len(team.github.requests) == 2  # the closed request issues; the dashboard
    assert team.slack.requests == []
    assert "dashboard unchanged" in ran.out


def test_the_body_is_rewritten_only_when_it_changed(team: Team) -> None:
    assert team.remind().code == 0
    patches = team.patches()
    o = owed(team)
    assert team.remind().code == 0
    assert team.patches() == patches
    # a teammate sends the follow-up: bob's set shrinks, the dashboard changes once
    path = next(p for p in team.world.root.rglob(f"{o.follow_up}.md"))
    text = path.read_text(encoding="utf-8").replace(
        "  status: pending", f"  status: done\n  done_on: {TODAY.isoformat()}"
    )
    team.world.push({path.relative_to(team.world.root).as_posix(): text})
    team.world.forget_requests()
    reminded = team.reminder_counts()
    ran = team.remind()
    assert ran.code == 0, ran.out
    assert o.follow_up not in team.dashboard()["body"]
    assert team.github.count("POST /repos/*/issues") == 0
    assert team.reminder_counts() == reminded  # a set that shrank is no news: no second message
    assert team.remind().code == 0
    writes = team.github_writes()
    assert 1 <= len(writes) <= 2, writes
    assert all(w.startswith("PATCH") for w in writes)


def test_the_dashboard_is_found_again_by_its_marker_not_its_title(team: Team) -> None:
    assert team.remind().code == 0
    number = team.dashboard()["number"]
    # a teammate renames it, and someone files another issue with the label but no marker
    team.github.repo(REPO).issues[number].title = "Our feedback dashboard"
    team.github.seed_issue(REPO, "User feedback dashboard", "A copy", labels=[DASHBOARD_LABEL])
    team.next_day()
    assert team.remind().code == 0
    marked = [i for i in team.dashboards() if (i["body"] or "").startswith(MARKER)]
    assert [i["number"] for i in marked] == [number]
    assert team.github.count("POST /repos/*/issues") == 1


def test_closed_by_hand_it_is_reopened_on_the_next_run(team: Team) -> None:
    assert team.remind().code == 0
    number = team.dashboard()["number"]
    team.github.close_issue(REPO, number, "completed", by="alice")
    ran = team.remind()
    assert ran.code == 0, ran.out
    issue = team.dashboard()
    assert issue["number"] == number
    assert issue["state"] == "open"
    assert team.reminders()
    assert team.reminder_counts() == {"alice": 1, "bob": 1, "carol": 1, "dave": 1}
    assert team.github.count("POST /repos/*/issues") == 1


# -- Slack reminders ----------------------------------------------------------------------------------


def test_each_owner_gets_one_direct_message_with_only_their_own_items(team: Team) -> None:
    ran = team.remind()
    assert ran.code == 0, ran.out
    o = owed(team)
    everything = {i for ids in o.by_owner.values() for i in ids}
    for login, ids in o.by_owner.items():
        dms = team.dms(login)
        assert len(dms) == 1, (login, dms)
        text = text_of(dms[0])
        for record_id in everything:
            assert (record_id in text) == (record_id in ids), (login, record_id, text)
        meta = dms[0]["metadata"]
        assert meta["event_type"] == "feedbackloop_reminder"
        assert meta["event_payload"]["owner"] == login
        assert meta["event_payload"]["day"] == TODAY.isoformat()
        assert f"reminded @{login} of" in ran.out
    assert "You have joined no user call in November 2026" in text_of(team.dms("dave")[0])
    assert f"Tell {SENTINEL} that “Break down funnels by cohort” shipped" in text_of(team.dms("alice")[0])
    assert team.world.messages() == []  # nothing in the channel
    assert team.slack.pings == []  # a direct message needs no mention
    assert team.slack.calls("conversations.open") == 0  # posted to the member id: one request each


def test_at_most_once_a_day_again_the_next_day_and_when_the_set_changes(team: Team) -> None:
    assert team.remind().code == 0
    assert team.remind().code == 0
    assert team.cli("remind").code == 0
    assert team.reminder_counts() == {"alice": 1, "bob": 1, "carol": 1, "dave": 1}
    team.next_day()
    ran = team.remind()
    assert ran.code == 0, ran.out
    assert team.reminder_counts() == {"alice": 2, "bob": 2, "carol": 2, "dave": 2}
    assert team.remind().code == 0
    assert team.reminder_counts() == {"alice": 2, "bob": 2, "carol": 2, "dave": 2}
    # a new overdue item for carol only: she alone hears again the same day
    path, text = interview_file(
        "carol-late",
        team.today - timedelta(days=8),
        interviewers=["carol"],
        reward={"kind": "merch", "status": "pending"},
    )
    team.world.push({path: text})
    ran = team.remind()
    assert ran.code == 0, ran.out
    assert team.reminder_counts() == {"alice": 2, "bob": 2, "carol": 3, "dave": 2}
    assert "carol-late" in text_of(team.dms("carol")[-1])


def test_channel_mode_sends_one_message_per_owner_mentioning_them(team: Team) -> None:
    team.settings(slack_reminders="channel")
    ran = team.remind()
    assert ran.code == 0, ran.out
    messages = team.world.messages()
    assert len(messages) == 4
    o = owed(team)
    for message in messages:
        owner = message["metadata"]["event_payload"]["owner"]
        member = dict(ROSTER, dave="U0DAVE")[owner]
        assert text_of(message).startswith(f"<@{member}> feedbackloop:")
        for record_id in o.by_owner[owner]:
            assert record_id in text_of(message)
    assert sorted(p.what for p in team.slack.pings) == sorted(
        f"<@{m}>" for m in ("U0ALICE", "U0BOB", "U0CAROL", "U0DAVE")
    )
    assert all(team.dms(login) == [] for login in ("alice", "bob", "carol", "dave"))
    assert team.remind().code == 0
    assert len(team.world.messages()) == 4


def test_channel_mode_without_a_channel_says_so(team: Team) -> None:
    team.settings(slack_reminders="channel", slack_channel="")
    ran = team.remind()
    assert ran.code == 0, ran.out
    assert team.reminders() == []
    assert len([line for line in ran.out.splitlines() if "slack_channel" in line]) == 1, ran.out


def test_nothing_due_sends_nothing(tmp_path: Path) -> None:
    files = dict(
        [
            interview_file("alice-call", TODAY - timedelta(days=3), interviewers=["alice"]),
            interview_file("bob-carol", TODAY - timedelta(days=20), interviewers=["bob", "carol"]),
        ]
    )
    with Team.create(tmp_path, files, roster=[{"github": k, "slack": v} for k, v in ROSTER.items()]) as team:
        ran = team.remind()
        assert ran.code == 0, ran.out
        assert "Nothing is overdue. 🎉" in team.dashboard()["body"]
        assert team.slack.requests == []
        assert team.remind().code == 0
        assert team.slack.requests == []


def test_an_owner_without_a_slack_id_is_skipped_with_a_line_every_day_without_rewrites(
    tmp_path: Path,
) -> None:
    roster = [*ROSTER_WITH_DAVE[:3], {"github": "dave"}]
    with Team.create(tmp_path, roster=roster) as team:
        ran = team.remind()
        assert ran.code == 0, ran.out
        assert ran.lines("no Slack reminder for @dave") == [
            "no Slack reminder for @dave: add their Slack member id to `roster`"
        ]
        assert team.reminder_counts() == {"alice": 1, "bob": 1, "carol": 1}
        body = team.dashboard()["body"]
        assert "dave" not in ledger(body)
        patches = team.patches()
        ran = team.remind()
        assert ran.code == 0, ran.out
        assert team.patches() == patches, "a re-run the same day rewrote the dashboard"
        assert team.dashboard()["body"] == body
        assert "dave" not in ledger(team.dashboard()["body"])


def test_hostile_text_in_records_pings_nobody(tmp_path: Path) -> None:
    hostile = "<!channel> <!here|here> @here @channel <@U0BOB> &lt;"
    github_issue = "https://github.com/acme/interviews/issues/1"
    with Team.create(tmp_path, files={}) as team:
        number = team.github.seed_issue(REPO, "Request", "Body", labels=["user-feedback"])
        team.github.close_issue(REPO, number, "completed")
        path, text = interview_file(
            "hostile",
            TODAY - timedelta(days=40),
            interviewers=["alice"],
            first_name="@here",
            reward={"kind": "merch", "status": "pending"},
            requests=[{"title": hostile, "issue": github_issue, "evidence": github_issue}],
        )
        team.world.push({path: text})
        for mode in ("dm", "channel"):
            team.settings(slack_reminders=mode)
            ran = team.remind()
            assert ran.code == 0, ran.out
            team.next_day()
        messages = team.reminders()
        assert len([m for m in messages if m["metadata"]["event_payload"]["owner"] == "alice"]) == 2
        assert "&lt;!channel&gt;" in text_of(team.dms("alice")[0])
        assert "@here" in text_of(team.dms("alice")[0])  # shown, and verbatim: no ping
        members = dict(ROSTER, dave="U0DAVE")
        channel = team.world.messages()
        assert "alice" in [m["metadata"]["event_payload"]["owner"] for m in channel]
        # the only notifications: each owner, by the mention of their own message
        assert sorted(team.slack.pings) == sorted(
            Ping(CHANNEL, m["ts"], f"<@{members[m['metadata']['event_payload']['owner']]}>") for m in channel
        )


# -- killed half way ----------------------------------------------------------------------------------


def _killed_then_rerun(team: Team, kill: KillAt) -> None:
    with kill:
        process = team.spawn("remind")
        kill.start(process.pid)
        out, _ = process.communicate(timeout=60)
    assert kill.killed is not None, out
    assert process.returncode == -9, out
    ran = team.cli("remind")
    assert ran.code == 0, ran.out
    assert team.reminder_counts() == {"alice": 1, "bob": 1, "carol": 1, "dave": 1}, ran.out
    assert ledger(team.dashboard()["body"]).keys() == {"day", "alice", "bob", "carol", "dave"}
    assert not any(v.startswith("pending:") for v in ledger(team.dashboard()["body"]).values())
    assert team.remind().code == 0
    assert team.reminder_counts() == {"alice": 1, "bob": 1, "carol": 1, "dave": 1}


def _posts(_: object, request: Any) -> bool:
    return str(request.path).endswith("/chat.postMessage")


def _nth_post(n: int) -> Any:
    seen = []

    def wanted(_: object, request: Any) -> bool:
        if _posts(_, request):
            seen.append(request)
        return len(seen) == n and _posts(_, request)

    return wanted


@pytest.mark.parametrize("processed", [False, True], ids=["before-the-message", "after-the-message"])
def test_killed_at_the_first_message_then_rerun_sends_exactly_one_per_owner(
    team: Team, processed: bool
) -> None:
    _killed_then_rerun(team, KillAt([team.github, team.slack], _posts, processed))


def test_killed_before_the_confirming_patch_then_rerun_sends_exactly_one_per_owner(team: Team) -> None:
    patches: list[object] = []

    def second_patch(_: object, request: Any) -> bool:
        if request.method == "PATCH":
            patches.append(request)
        return request.method == "PATCH" and len(patches) == 2

    _killed_then_rerun(team, KillAt([team.github, team.slack], second_patch, processed=False))


def test_killed_between_two_owners_messages_then_rerun_sends_exactly_one_per_owner(team: Team) -> None:
    _killed_then_rerun(team, KillAt([team.github, team.slack], _nth_post(3), processed=True))


# -- without tokens; the dry run; report ----------------------------------------------------------------


def test_without_a_slack_token_the_dashboard_is_kept_and_reminders_skipped_with_one_line(team: Team) -> None:
    ran = team.remind(SLACK_BOT_TOKEN=None)
    assert ran.code == 0, ran.out
    assert ran.lines("Slack: skipped") == ["Slack: skipped, SLACK_BOT_TOKEN is not set"]
    assert team.dashboard()["body"].startswith(MARKER)
    assert team.slack.requests == []
    assert not any(v.startswith("pending:") for k, v in ledger(team.dashboard()["body"]).items())
    ran = team.remind()  # the token is back: the reminders go out
    assert team.reminder_counts() == {"alice": 1, "bob": 1, "carol": 1, "dave": 1}


def test_without_a_github_token_the_dashboard_is_printed_with_one_line(team: Team) -> None:
    ran = team.remind(GITHUB_TOKEN=None)
    assert ran.code == 0, ran.out
    assert ran.lines("GitHub: skipped") == ["GitHub: skipped, GITHUB_TOKEN is not set"], ran.out
    assert "## To do (" in ran.out
    assert "```mermaid" in ran.out
    assert team.github.requests == []
    assert team.slack.requests == []
    assert SENTINEL not in ran.out


def test_dry_run_reads_only_and_prints_the_plan(team: Team) -> None:
    assert team.remind().code == 0
    team.next_day()
    team.world.forget_requests()
    before = team.dashboard()["body"]
    ran = team.remind("--dry-run")
    assert ran.code == 0, ran.out
    assert {r.method for r in team.github.requests} == {"GET"}
    assert team.slack.requests == []
    assert team.dashboard()["body"] == before
    assert "Dry run: the dashboard issue would read:" in ran.out
    for login in ("alice", "bob", "carol", "dave"):
        assert f"Slack reminder for @{login} (dm)" in ran.out
    assert SENTINEL not in ran.out


def test_dry_run_through_the_cli_on_the_examples(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", examples=True)
    plain = feedbackloop("remind", "--dry-run", "--today", "2026-11-28", cwd=root)
    assert plain.code == 0, plain.output
    plan = plain.stdout.split("Dry run:")[0]
    kinds = {line.split(":")[0] for line in plan.splitlines() if re.match(r"[A-Za-z-]+: ", line)}
    assert kinds == {"GitHub", "no-call"}, plain.stdout  # the examples' calls do not count either
    ran = feedbackloop("remind", "--dry-run", "--include-examples", "--today", "2026-11-28", cwd=root)
    assert ran.code == 0, ran.output
    assert "reward: 2026-11-18-web-analytics-joe" in ran.stdout
    assert "follow-up: 2026-11-12-feature-flags-marco" in ran.stdout
    assert "Slack reminder for @alice (dm)" in ran.stdout
    for name in ("Joe", "Marco", "Priya", "Lena", "Sam", "Ana"):
        assert not re.search(rf"\b{name}\b", ran.stdout), name


def test_report_prints_the_dashboard_the_issue_holds_and_both_write_the_job_summary(team: Team) -> None:
    assert team.remind().code == 0
    body = team.dashboard()["body"]
    summary = team.world.summary_path.read_text(encoding="utf-8")
    team.world.summary_path.unlink()
    team.world.forget_requests()
    code, stdout, stderr = team.cli_split("report")
    assert code == 0, stderr
    assert stdout == f"## User feedback dashboard\n\n{content_of(body)}"
    assert summary == stdout + "\n"
    assert team.world.summary_path.read_text(encoding="utf-8") == stdout + "\n"
    listings = [(r.method, r.arg("labels"), r.arg("state")) for r in team.github.requests]
    assert listings == [("GET", DASHBOARD_LABEL, "all"), ("GET", "user-feedback", "all")]
    assert team.slack.requests == []


def test_report_without_github_still_prints_only_the_markdown(team: Team) -> None:
    code, stdout, stderr = team.cli_split("report", GITHUB_TOKEN=None)
    assert code == 0, stderr
    assert stdout.startswith("## User feedback dashboard\n\n## To do (")
    assert "GitHub: skipped" in stderr


# -- faults ---------------------------------------------------------------------------------------------


def test_rate_limits_and_server_errors_are_retried_with_recorded_waits(team: Team) -> None:
    team.github.inject(Fault.status(429, headers={"Retry-After": "7"}), match="GET /repos/*/issues")
    team.github.inject(Fault.status(502), match="PATCH /repos/*/issues/*", times=2)
    team.slack.rate_limit("chat.postMessage", retry_after=3)
    ran = team.remind()
    assert ran.code == 0, ran.out
    assert team.world.waits == [7, 1, 2, 3]  # Retry-After, then backoff for the 502s, then Slack's
    assert team.reminder_counts() == {"alice": 1, "bob": 1, "carol": 1, "dave": 1}
    assert len(team.dashboards()) == 1


def test_a_dropped_answer_to_the_dashboards_creation_files_no_second_one(team: Team) -> None:
    team.github.inject(Fault.drop(), match="POST /repos/*/issues", after=True)
    ran = team.remind()
    assert ran.code == 0, ran.out
    assert len(team.dashboards()) == 1
    assert team.reminder_counts() == {"alice": 1, "bob": 1, "carol": 1, "dave": 1}


def test_a_lost_answer_to_a_message_fails_the_run_and_the_next_run_sends_no_double(team: Team) -> None:
    team.slack.inject(Fault.drop(), match="* */chat.postMessage", after=True)
    ran = team.remind()
    assert ran.code == 1, ran.out
    assert len(ran.lines("to retry: Slack reminder for @")) == 1, ran.out
    assert "it may have gone through" in ran.out
    ran = team.remind()
    assert ran.code == 0, ran.out
    assert team.reminder_counts() == {"alice": 1, "bob": 1, "carol": 1, "dave": 1}


def test_a_slack_internal_error_after_the_message_sends_no_double(team: Team) -> None:
    """`internal_error` may come after Slack posted the message: it is not simply retried."""
    team.slack.fail("internal_error", "chat.postMessage", after=True)
    ran = team.remind()
    assert ran.code == 1, ran.out
    assert "it may have gone through" in ran.out
    ran = team.remind()
    assert ran.code == 0, ran.out
    assert team.reminder_counts() == {"alice": 1, "bob": 1, "carol": 1, "dave": 1}


def test_github_failing_for_good_ends_with_exit_1_and_a_clear_line(team: Team) -> None:
    team.github.inject(Fault.status(502), match="GET /repos/*/issues", times=50)
    ran = team.remind()
    assert ran.code == 1, ran.out
    assert ran.lines("to retry: github: list acme/interviews issues labelled feedbackloop-dashboard")
    assert "Traceback" not in ran.out
    assert team.slack.requests == []


def test_a_retry_after_longer_than_the_policy_allows_stops_the_run_cleanly(team: Team) -> None:
    team.github.inject(
        Fault.status(429, headers={"Retry-After": "3600"}), match="GET /repos/*/issues", times=5
    )
    ran = team.remind()
    assert ran.code == 1, ran.out
    assert "rate limited for 3600 s" in ran.out
    assert team.world.waits == []


# -- reading the request issues: what changed since the last run, not the years before ---------------------


def issues_marker(body: str) -> dict[str, str]:
    import json

    found = re.findall(r"<!-- feedbackloop:issues (\{.*?\}) -->", body)
    assert len(found) == 1, body[-400:]
    loaded: dict[str, str] = json.loads(found[0])
    return loaded


def listing(team: Team) -> list[tuple[str | None, str | None]]:
    """(state, since) of each listing of the request issues this run made."""
    return [
        (r.arg("state"), r.arg("since"))
        for r in team.github.requests
        if r.method == "GET" and r.arg("labels") == "user-feedback"
    ]


def test_the_first_run_reads_back_to_the_oldest_request_then_only_what_changed(team: Team) -> None:
    o = owed(team)
    assert team.remind().code == 0
    # from the earliest moment the oldest request's day is a date anywhere (UTC+14)
    oldest = TODAY - timedelta(days=61)
    assert listing(team) == [("closed", f"{oldest.isoformat()}T10:00:00Z")]
    kept = issues_marker(team.dashboard()["body"])
    assert kept["repo"] == REPO
    assert kept["completed"] == "1 4"  # closed as completed, a request not told: not #2 (not planned)
    assert kept["since"] == "2026-11-26T09:00:00+00:00"  # the latest closing seen, on GitHub's clock
    team.world.forget_requests()
    team.next_day()
    # the open request is done, the shipped one reopened: only the issues updated since are listed
    team.github.close_issue(REPO, 3, "completed")
    team.github.reopen_issue(REPO, 1)
    ran = team.remind()
    assert ran.code == 0, ran.out
    assert listing(team) == [("all", "2026-11-26T08:00:00Z")]  # an hour early: closings while paging
    body = team.dashboard()["body"]
    assert "“Dark mode” shipped" in body
    assert "Break down funnels by cohort" not in body
    assert issues_marker(body)["completed"] == "3 4"
    assert issues_marker(body)["since"] == "2026-11-29T09:00:00+00:00"
    assert o.shipped in text_of(team.dms("alice")[-1])


def test_closed_again_as_not_planned_is_no_longer_shipped(team: Team) -> None:
    assert team.remind().code == 0
    team.github.repo(REPO).issues[1].state_reason = "not_planned"
    team.github.repo(REPO).issues[1].updated_at = team.github.now()
    team.next_day()
    assert team.remind().code == 0
    body = team.dashboard()["body"]
    assert "Break down funnels by cohort" not in body
    assert issues_marker(body)["completed"] == "4"


def test_a_told_request_is_forgotten_and_a_closing_alone_rewrites_nothing(team: Team) -> None:
    o = owed(team)
    assert team.remind().code == 0
    path = f"interviews/{o.shipped[:4]}/{o.shipped}.md"
    text = (team.world.root / path).read_text(encoding="utf-8")
    line = f'    evidence: "{o.shipped_url}"\n'
    team.world.push({path: text.replace(line, f"{line}    told_on: {TODAY.isoformat()}\n", 1)})
    ran = team.remind()
    assert ran.code == 0, ran.out
    body = team.dashboard()["body"]
    assert issues_marker(body)["completed"] == "4"
    assert "Break down funnels by cohort" not in body
    # an issue no request waits on closes: GitHub's clock moves, the dashboard does not
    other = team.github.seed_issue(REPO, "Someone else's", "Body", labels=["user-feedback"])
    team.github.advance(3600)
    team.github.close_issue(REPO, other, "completed")
    team.world.forget_requests()
    ran = team.remind()
    assert ran.code == 0, ran.out
    assert team.patches() == 0
    assert listing(team) == [("all", "2026-11-26T08:00:00Z")]
    assert issues_marker(team.dashboard()["body"])["since"] == "2026-11-26T09:00:00+00:00"


def test_a_record_with_a_problem_for_a_day_keeps_its_shipped_request(team: Team) -> None:
    o = owed(team)
    assert team.remind().code == 0
    path = f"interviews/{o.shipped[:4]}/{o.shipped}.md"
    good = (team.world.root / path).read_text(encoding="utf-8")
    team.world.push({path: good.replace("status: completed", "status: complted")})
    ran = team.remind()
    assert ran.lines(f"skipped {path}")
    assert o.shipped not in team.dashboard()["body"]
    assert issues_marker(team.dashboard()["body"])["completed"] == "1 4"
    team.world.push({path: good})
    team.world.forget_requests()
    assert team.remind().code == 0
    assert f"`{o.shipped}`" in team.dashboard()["body"]
    assert [state for state, _ in listing(team)] == ["all"]


def test_another_issues_repository_is_read_from_the_start_again(team: Team) -> None:
    assert team.remind().code == 0
    team.settings(issues_repository="acme/product")
    team.world.forget_requests()
    ran = team.remind()
    assert ran.code == 0, ran.out
    assert [state for state, _ in listing(team)] == ["closed"]
    assert issues_marker(team.dashboard()["body"])["repo"] == "acme/product"


def test_when_the_listing_fails_the_dashboard_remembers_what_shipped(team: Team) -> None:
    o = owed(team)
    assert team.remind().code == 0
    body = team.dashboard()["body"]

    def fail_the_request_issues(request: Any) -> None:  # the dashboard's own listing still answers
        if request.arg("labels") == "user-feedback":
            team.github.inject(Fault.status(502), match=request.line)

    team.github.on_request = fail_the_request_issues
    try:
        ran = team.remind()
    finally:
        team.github.on_request = None
    assert ran.code == 1, ran.out
    assert "Traceback" not in ran.out
    assert ran.lines(
        "shipped requests not checked: github: list acme/interviews issues labelled user-feedback"
    )
    assert ran.lines("to retry: github: list acme/interviews issues labelled user-feedback")
    assert team.dashboard()["body"] == body  # nothing lost, nothing rewritten
    assert f"`{o.shipped}`" in body
    assert team.patches() == 2


def test_a_hand_set_issue_elsewhere_is_read_by_the_link_the_request_holds(tmp_path: Path) -> None:
    with Team.create(tmp_path, files={}) as team:
        product = "acme/product"
        number = team.github.seed_issue(product, "Existing", "Body", labels=["enhancement"])
        team.github.close_issue(product, number, "completed")
        link = f"https://github.com/Acme/Product/issues/{number}"  # as a teammate pasted it
        comment = f"https://github.com/acme/product/issues/{number}#issuecomment-1"
        path, text = interview_file(
            "hand-set",
            TODAY - timedelta(days=30),
            interviewers=["bob"],
            requests=[{"title": "Cohort export", "issue": link, "evidence": comment}],
        )
        team.world.push({path: text})
        ran = team.remind()
        assert ran.code == 0, ran.out
        assert f"“Cohort export” shipped ({link})" in team.dashboard()["body"]
        assert team.github.count(f"GET /repos/Acme/Product/issues/{number}") == 1


def test_a_backlog_fits_in_the_issue_and_in_each_message(tmp_path: Path) -> None:
    files = dict(
        interview_file(
            f"backlog-{n:03d}",
            TODAY - timedelta(days=20 + n),
            interviewers=["alice"],
            reward={"kind": "merch", "status": "pending"},
            follow_up="pending",
        )
        for n in range(150)
    )
    with Team.create(tmp_path, files) as team:
        ran = team.remind()
        assert ran.code == 0, ran.out
        body = team.dashboard()["body"]
        assert "### Rewards to send (150)" in body
        assert "- … and 130 more: `feedbackloop remind --dry-run` lists them all" in body
        [message] = team.dms("alice")
        text = text_of(message)
        assert len(text) <= 3000
        assert text.startswith("feedbackloop: 300 things to do from user interviews\n")
        items = text.splitlines()[1:]
        assert all(line.startswith("• ") and line.endswith("`") for line in items[:-1])
        assert re.fullmatch(r"… and \d+ more: see the dashboard issue", items[-1])


def test_a_spent_api_budget_stops_between_owners_and_the_next_run_sends_the_rest(tmp_path: Path) -> None:
    """`api_budget` caps a run: reminders stop between two owners, say which setting to raise, and the
    owners not reminded yet get theirs on the next run, once each."""
    with Team.create(tmp_path, api_budget=7) as team:
        ran = team.remind()
        assert ran.code == 1
        assert "the API budget (7 requests) is spent" in ran.out
        assert "raise `api_budget`" in ran.out
        sent = team.reminder_counts()
        assert sent
        assert all(count == 1 for count in sent.values())
        assert len(sent) < 4
        roomy = (team.world.root / "pyproject.toml").read_text().replace("api_budget = 7", "api_budget = 300")
        team.world.push({"pyproject.toml": roomy}, "More budget")
        again = team.remind()
        assert again.code == 0, again.out
        assert team.reminder_counts() == {"alice": 1, "bob": 1, "carol": 1, "dave": 1}
