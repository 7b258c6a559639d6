"""Personal data stays where the feature needs it: logs, job summaries, commit messages, the dashboard and
the pull request comment name records by id, never the person.

One person, whose first name, company, role and profile link are sentinels (tests/helpers_privacy.py),
goes through everything: a full publish (issues, the evidence comment, Slack, the doc, the gift card,
the calendar, the write-back, the pull request comment), remind (the dashboard, direct messages),
report, status, validate, reward --dry-run, follow-up, intake on both forms, and forget. The sentinels
may appear only in the filed issue (profile, company, role), the Slack summary, the doc entry, an
interviewer's direct message, the follow-up draft on standard output, and what intake files in the
repository itself (the interview file, the pull request's title, the calendar event)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers_intake import FEEDBACK, INTERVIEW, Desk
from helpers_privacy import (
    CALENDAR,
    CALL,
    CALL_ID,
    COMPANY,
    FIRST,
    NEXT_ID,
    NOTE_ID,
    PERSON_IDS,
    PROFILE,
    ROLE,
    Realm,
    leaks,
)
from helpers_publish import PRODUCT, REPO
from helpers_repo import git

BAD_TITLE = "interviews/2026/2026-12-05-bad-title-p1.md"
BAD_PROFILE = "interviews/2026/2026-12-06-bad-profile-p1.md"


def _bad(record_id: str, profile: str, title: str) -> str:
    return "\n".join(
        [
            "---",
            f"id: {record_id}",
            "topic: Surveys",
            f"date: {record_id[:10]}",
            "status: scheduled",
            "interviewers: [carol]",
            "user:",
            f"  first_name: {FIRST}",
            f"  profile: {profile}",
            f"  company: {COMPANY}",
            "recording:",
            "  consent: true",
            f"  title: {json.dumps(title)}",
            "---",
            "",
        ]
    )


def test_the_person_is_named_only_where_the_feature_needs_it(tmp_path: Path) -> None:
    with Realm.create(tmp_path / "team") as realm:
        world = realm.world
        pull = realm.merge()
        # an unanswered question that names the person: the follow-up warns about it on stderr
        text = world.remote_text(CALL).replace(
            "    answer: Yes, from the cohort page (CSV).\n",
            "    answer: Yes, from the cohort page (CSV).\n"
            f"  - question: {json.dumps(f'Can {FIRST} share dashboards with {COMPANY} contractors?')}\n",
        )
        world.push({CALL: text}, "Another question")

        before = realm.run("reward", interview_id=CALL_ID, dry_run=True)
        assert before.code == 0, before
        assert "would issue it" in before.stdout

        published = realm.run(
            "publish", dry_run=False, only=None, include_examples=False, env={"GITHUB_EVENT_NAME": "push"}
        )
        assert published.code == 0, published
        realm.checkout()

        # The sentinels reach where the feature needs them (else this test would prove nothing).
        filed = [i for i in world.issues() if CALL_ID in i["body"]]
        assert len(filed) == 1
        for value in (PROFILE, COMPANY, ROLE):
            assert value in filed[0]["body"]
        evidence = [c["body"] for c in world.github.comments(PRODUCT, world.hand_set_issue)]
        assert any(PROFILE in body for body in evidence)
        assert any(FIRST in json.dumps(m["blocks"]) for m in world.messages())
        assert FIRST in world.doc_text()
        assert any(FIRST in m["text"] + json.dumps(m["blocks"]) for m in world.slack.dms("U0ALICE"))
        [event] = realm.calendar.events(CALENDAR)
        assert FIRST in event["summary"]
        assert realm.shop.gift_cards()[0]["note"] == f"feedbackloop reward {CALL_ID}\nprofile: {PROFILE}"

        # The request shipped: remind tells its interviewers, in their own direct messages only.
        world.github.close_issue(REPO, filed[0]["number"], "completed")
        reminded = realm.run("remind", dry_run=False, include_examples=False)
        assert reminded.code == 0, reminded
        dms = json.dumps(world.slack.dms("U0ALICE"))
        assert f"Tell {FIRST}" in dms

        realm.run("remind", dry_run=True, include_examples=False)
        realm.run("report", include_examples=False)
        realm.run("status", output="text", show_all=True)
        realm.run("status", output="markdown", show_all=True)
        drafted = realm.run("follow_up", interview_id=CALL_ID)
        assert drafted.code == 1  # a question without an answer
        assert FIRST in drafted.stdout  # the draft is for the person: it greets them
        realm.outputs.remove(drafted.stdout)
        realm.run("reward", interview_id=CALL_ID, dry_run=True)

        # validate, with two files whose problems are about the person's own fields
        world.push(
            {
                BAD_TITLE: _bad("2026-12-05-bad-title-p1", PROFILE, f"Chat with {FIRST}"),
                BAD_PROFILE: _bad(
                    "2026-12-06-bad-profile-p1",
                    "us.posthog.com/person/sentinel-7f3a9",
                    f"Surveys user interview with {FIRST}",
                ),
            }
        )
        for output in ("text", "github", "json"):
            checked = realm.run("validate", paths=(), output=output, changed=False)
            assert checked.code == 1
            assert "recording-title" in checked.stdout
            assert "bad-url" in checked.stdout
        world.push({BAD_TITLE: None, BAD_PROFILE: None})

        forgotten = realm.run("forget", who=PROFILE, dry_run=True)
        assert forgotten.code == 0, forgotten
        forgotten = realm.run("forget", who=PROFILE, dry_run=False)
        assert forgotten.code == 0, forgotten

        # Where the person must not be.
        ids = (*PERSON_IDS, "2026-12-05-bad-title-p1", "2026-12-06-bad-profile-p1")
        found = [line for output in realm.outputs for line in output.splitlines() if leaks(line, ids)]
        assert found == [], "\n".join(found)
        assert leaks(realm.summary(), ids) == [], realm.summary()
        messages = realm.commit_messages()
        assert any("feedbackloop publish" in m for m in messages)
        assert any("feedbackloop forget" in m for m in messages)
        for message in messages:
            assert leaks(message, ids) == [], message
        [dashboard] = [i for i in world.issues() if "feedbackloop-dashboard" in str(i["labels"])]
        assert leaks(dashboard["body"], ids) == []
        comments = world.github.comments(REPO, pull)
        assert comments
        for comment in comments:
            assert leaks(comment["body"], ids) == [], comment["body"]
        # The ledger's links hold no personal data either (a Slack permalink, a range name, an event id).
        for record_id in (CALL_ID, NEXT_ID, NOTE_ID):
            assert record_id in git(world.root, "log", "--format=%B", "main")


def test_intake_names_the_issue_and_the_record_never_the_person(tmp_path: Path) -> None:
    desk = Desk.create(tmp_path, calendar=True)
    try:
        interview = desk.open_issue(
            INTERVIEW,
            {
                "topic": "Web analytics",
                "first_name": FIRST,
                "profile": PROFILE,
                "date": "2026-12-10",
                "time": "14:30",
                "interviewers": "alice, bob",
                "recruited_via": "survey",
                "consent": ["I will ask for consent before recording"],
            },
        )
        feedback = desk.open_issue(
            FEEDBACK,
            {
                "first_name": FIRST,
                "profile": PROFILE,
                "received_via": "slack",
                "feedback": f"{FIRST} says exports time out.",
                "request_type": "bug",
                "request_title": "Exports time out",
            },
        )
        broken = desk.open_issue(
            INTERVIEW,
            {"topic": "Surveys", "first_name": FIRST, "profile": "sentinel-7f3a9", "date": "soon"},
        )
        runs = [
            desk.replay(desk.event("opened", interview)),
            desk.replay(desk.event("opened", feedback)),
            desk.replay(desk.event("opened", broken)),
        ]
        assert [r.code for r in runs] == [0, 0, 1], [r.out for r in runs]

        # What intake filed in the repository names the person: that is its purpose.
        pulls = desk.pulls()
        assert any(FIRST in p["title"] for p in pulls)
        assert desk.calendar is not None
        assert any(FIRST in e["summary"] for e in desk.calendar.events(CALENDAR))

        # Its logs, job summaries and commit messages do not.
        for ran in runs:
            assert leaks(ran.out) == [], ran.out
        for summary in tmp_path.glob("run-*/step_summary.md"):
            text = summary.read_text(encoding="utf-8")
            assert leaks(text) == [], text
        desk.github.export_git(REPO, desk.root, branch=None)
        log = git(desk.root, "log", "--all", "--format=%B")
        assert "intake:" in log
        assert leaks(log) == [], log
        # The comments on the issues name the problem, the file and the pull request, not the person.
        for number in (interview, feedback, broken):
            for comment in desk.comments(number):
                assert leaks(comment["body"]) == [], comment["body"]
    finally:
        desk.stop()
