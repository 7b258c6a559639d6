"""`feedbackloop forget PROFILE_OR_ID`: an erasure request, against FakeGitHub, FakeSlack, FakeGoogleDocs,
FakeGoogleCalendar and FakeShopify over HTTP on 127.0.0.1.

One person (sentinels for their first name, company, role and profile link: tests/helpers_privacy.py)
has a completed call (an issue filed, their evidence on an issue set by hand, the Slack summary, the
doc entry, a gift card), a scheduled call on the calendar, and a feedback note whose publishing run
stopped before it wrote its links back. Someone else's note is published beside them and must not be
touched."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from fakes.server import Fault
from fakes.slack import FakeSlack
from feedbackloop.commands.forget import REMOVED, Erasure
from feedbackloop.plan import intake as plan_intake
from feedbackloop.plan.calendar import event_id
from feedbackloop.plan.publish import marker, markers
from feedbackloop.records.parse import parse
from feedbackloop.records.writeback import DELETE, apply_changes
from helpers_intake import CALENDAR as CALENDAR_INTAKE
from helpers_intake import FEEDBACK, INTERVIEW, REPO, Desk, feedback_answers, interview_answers
from helpers_privacy import (
    CALENDAR,
    CALL,
    CALL_ID,
    NEXT,
    NEXT_ID,
    NOTE,
    NOTE_ID,
    OTHER,
    OTHER_ID,
    PERSON_IDS,
    PROFILE,
    Realm,
    leaks,
)
from helpers_publish import PRODUCT, TODAY

GUEST = "zorblatt@quuxcorp.example"
PUBLISH: dict[str, Any] = {"dry_run": False, "only": None, "include_examples": False}


def _frontmatter(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(text.split("---\n")[1])
    return loaded


def issue_of(realm: Realm, record_id: str) -> dict[str, Any]:
    [found] = [
        i
        for i in realm.world.issues()
        if any(k == "request" and f.get("id") == record_id for k, f in markers(i["body"] or ""))
    ]
    return found


def person_messages(realm: Realm) -> list[dict[str, Any]]:
    return [
        m
        for m in realm.world.messages()
        if ((m["metadata"] or {}).get("event_payload") or {}).get("id") in PERSON_IDS
    ]


def forget_requests(realm: Realm) -> None:
    realm.world.forget_requests()
    for service in (realm.shop, realm.calendar):
        with service._lock:
            service.requests.clear()


def writes(realm: Realm) -> list[str]:
    """Every request that could change something, at every service."""
    world = realm.world
    found = [f"github {r.line}" for r in world.github.requests if r.method != "GET"]
    found += [
        f"slack {r.line}"
        for r in world.slack.requests
        if r.path.rsplit("/", 1)[-1] in ("chat.postMessage", "chat.update", "chat.delete")
    ]
    found += [f"docs {r.line}" for r in world.docs.requests if r.method != "GET"]
    found += [f"calendar {r.line}" for r in realm.calendar.requests if r.method != "GET"]
    found += [f"shopify {r.line}" for r in realm.shop.requests if b"mutation" in r.body]
    return found


@pytest.fixture
def realm(tmp_path: Path) -> Iterator[Realm]:
    """Everything about the person published; then the note's publishing 'stopped' before its links
    were written back: the file on main does not know its Slack summary nor its issue."""
    with Realm.create(tmp_path) as made:
        made.merge()
        ran = made.run("publish", **PUBLISH)
        assert ran.code == 0, ran
        made.checkout()
        world = made.world
        text = world.remote_text(NOTE)
        stopped = apply_changes(
            text,
            {
                ("published", "slack"): DELETE,
                ("published", "digest"): DELETE,
                ("requests", 0, "issue"): DELETE,
                ("requests", 0, "evidence"): DELETE,
            },
        )
        world.push({NOTE: stopped}, "A run that stopped before writing back (as the fixture has it)")
        with made.calendar._lock:  # a teammate invited the person to their call by hand
            event = made.calendar.calendars[CALENDAR].events[event_id(NEXT_ID)]
            event["attendees"] = [*event.get("attendees", []), {"email": GUEST, "responseStatus": "accepted"}]
        forget_requests(made)
        yield made


def test_forget_by_profile_erases_the_person_from_the_records_and_what_was_published(realm: Realm) -> None:
    world = realm.world
    other_before = world.remote_text(OTHER)
    other_entry = world.docs.range_text("1ExampleFeedbackDoc", f"feedbackloop:{OTHER_ID}")
    other_issue = issue_of(realm, OTHER_ID)["body"]
    card = realm.shop.gift_cards()[0]
    assert PROFILE in (card["note"] or "")
    assert len(person_messages(realm)) == 2

    ran = realm.run("forget", who=PROFILE, dry_run=False)

    assert ran.code == 0, ran
    assert f"forgetting the person of 3 record(s): {CALL_ID}, {NOTE_ID}, {NEXT_ID}" in ran.stdout
    assert leaks(ran.output, PERSON_IDS) == []
    assert "git filter-repo --replace-text" in ran.stdout  # a commit cannot purge history: the steps
    assert "delete the older revisions" in ran.stdout  # GitHub keeps an edited issue's earlier versions

    # The records: the person's fields, the recording, the free text and the notes; the ledger's links.
    for path, record_id in ((CALL, CALL_ID), (NOTE, NOTE_ID), (NEXT, NEXT_ID)):
        text = world.remote_text(path)
        assert leaks(text, PERSON_IDS) == [], text
        parsed = parse(text.encode(), path)
        assert parsed.record is not None, parsed.problems
        record = parsed.record
        assert record.id == record_id
        assert record.forgotten
        assert record.user == replace(record.user, first_name=None, profile=None, company=None, role=None)
        assert record.user.forgotten_on == TODAY
        assert record.published.slack is None
        assert record.published.doc is None
        assert record.published.calendar is None
        assert record.notes == f"Notes removed on {TODAY.isoformat()} at the person's request.\n"
    call = parse(world.remote_text(CALL).encode(), CALL).record
    assert call is not None
    assert call.recording.url is None  # type: ignore[union-attr]
    assert call.recording.title is None  # type: ignore[union-attr]
    assert REMOVED in (call.summary or "")
    assert call.requests[1].issue == f"https://github.com/{PRODUCT}/issues/{world.hand_set_issue}"
    assert call.reward.card == card["id"]  # type: ignore[union-attr]
    assert world.remote_text(OTHER) == other_before

    # The issue filed for the call, and the one filed for the note whose link never came back.
    for record_id in (CALL_ID, NOTE_ID):
        issue = issue_of(realm, record_id)
        assert leaks(issue["body"] + issue["title"], PERSON_IDS) == [], issue["body"]
        assert f"| Person profile | {REMOVED} |" in issue["body"]
        assert f"| Company | {REMOVED}" in issue["body"]
        keys = [f["key"] for k, f in markers(issue["body"]) if k == "request"]
        assert keys == [f"{record_id}#1"]
    assert issue_of(realm, OTHER_ID)["body"] == other_issue
    # The evidence comment on the issue a teammate set by hand: scrubbed, its marker intact.
    comments = world.github.comments(PRODUCT, world.hand_set_issue)
    [evidence] = [c for c in comments if any(k == "evidence" for k, _ in markers(c["body"]))]
    assert leaks(evidence["body"], PERSON_IDS) == []
    assert [f["key"] for _, f in markers(evidence["body"])] == [f"{CALL_ID}#2"]

    # Slack: both summaries deleted (the note's found by its metadata alone), the other one kept.
    assert person_messages(realm) == []
    assert [m["metadata"]["event_payload"]["id"] for m in world.messages()] == [OTHER_ID]
    # The doc: the person's entries and their named ranges gone, the other entry as it was.
    ranges = world.doc_ranges()
    assert f"feedbackloop:{CALL_ID}" not in ranges
    assert f"feedbackloop:{NOTE_ID}" not in ranges
    assert world.docs.range_text("1ExampleFeedbackDoc", f"feedbackloop:{OTHER_ID}") == other_entry
    assert leaks(world.doc_text()) == []
    # The gift card's note: its key alone (so a reward run still finds it), the profile link gone.
    assert realm.shop.gift_cards()[0]["note"] == f"feedbackloop reward {CALL_ID}"
    # The calendar: the scheduled call's event has no title naming the person, and is cancelled.
    event = realm.calendar.event(CALENDAR, event_id(NEXT_ID))
    assert event is not None
    assert event["summary"] == "User interview"
    assert event["status"] == "cancelled"
    assert [a["email"] for a in event["attendees"]] == ["carol@acme.example"]
    assert leaks(str(event), PERSON_IDS) == []

    # One write-back commit, naming the records by id only.
    messages = realm.commit_messages()
    assert messages[0].startswith("feedbackloop forget:")
    assert CALL_ID in messages[0]
    assert leaks(messages[0], PERSON_IDS) == []
    assert leaks(realm.summary(), PERSON_IDS) == []


def test_by_id_is_every_record_of_the_same_person(realm: Realm) -> None:
    ran = realm.run("forget", who=NOTE_ID, dry_run=True)

    assert ran.code == 0, ran
    assert f"forgetting the person of 3 record(s): {CALL_ID}, {NOTE_ID}, {NEXT_ID}" in ran.stdout
    assert OTHER_ID not in ran.stdout


def test_the_profile_link_is_matched_however_it_is_written(realm: Realm) -> None:
    """The erasure request quotes the link with a slash, a query and capitals: the same person."""
    written = PROFILE.replace("https://us.posthog.com", "HTTPS://US.PostHog.com") + "/?utm_source=email"
    ran = realm.run("forget", who=written, dry_run=True)

    assert ran.code == 0, ran
    assert f"forgetting the person of 3 record(s): {CALL_ID}, {NOTE_ID}, {NEXT_ID}" in ran.stdout


def test_a_dry_run_changes_nothing(realm: Realm) -> None:
    before = realm.files()

    ran = realm.run("forget", who=PROFILE, dry_run=True)

    assert ran.code == 0, ran
    assert f"  {CALL}: remove or reset" in ran.stdout
    assert "user.first_name" in ran.stdout
    assert "dry run: nothing changed" in ran.stdout
    assert "git filter-repo" in ran.stdout
    assert leaks(ran.output, PERSON_IDS) == []
    assert writes(realm) == []
    assert realm.files() == before
    assert (realm.world.root / CALL).read_text(encoding="utf-8") == before[CALL]


def test_a_rerun_changes_nothing_more(realm: Realm) -> None:
    assert realm.run("forget", who=PROFILE, dry_run=False).code == 0
    realm.checkout()
    files = realm.files()
    forget_requests(realm)

    for who in (CALL_ID, NOTE_ID, NEXT_ID):
        again = realm.run("forget", who=who, dry_run=False)
        assert again.code == 0, again
        assert writes(realm) == []
    assert realm.files() == files
    # By the profile link: no record holds it any more, and the command says why.
    by_profile = realm.run("forget", who=PROFILE, dry_run=False)
    assert by_profile.code == 2
    assert "forgotten already" in by_profile.stderr
    assert writes(realm) == []


def test_a_failing_service_is_reported_to_retry_while_the_others_still_run(realm: Realm) -> None:
    world = realm.world
    world.slack.inject(Fault.status(503), match="* */chat.delete", times=100)
    files = realm.files()

    ran = realm.run("forget", who=PROFILE, dry_run=False)

    assert ran.code == 1, ran
    [retry] = [line for line in ran.stdout.splitlines() if line.startswith("to retry:")]
    assert "Slack" in retry
    assert leaks(ran.output, PERSON_IDS) == []
    # The other services did their part.
    assert leaks(issue_of(realm, CALL_ID)["body"], PERSON_IDS) == []
    assert f"feedbackloop:{CALL_ID}" not in world.doc_ranges()
    assert realm.shop.gift_cards()[0]["note"] == f"feedbackloop reward {CALL_ID}"
    event = realm.calendar.event(CALENDAR, event_id(NEXT_ID))
    assert event is not None
    assert event["status"] == "cancelled"
    # The files still hold what finishing needs (the person's values, the links): the next run does it.
    assert realm.files() == files
    assert "the files are left as they are" in ran.stdout

    world.slack.clear_faults()
    realm.checkout()
    forget_requests(realm)
    again = realm.run("forget", who=PROFILE, dry_run=False)
    assert again.code == 0, again
    assert person_messages(realm) == []
    # The retry did what was left, and only that: the two deletions, then the files.
    assert [w for w in writes(realm) if not w.startswith("github")] == ["slack POST /chat.delete"] * 2
    assert [w for w in writes(realm) if "/issues" in w] == []
    for path in (CALL, NOTE, NEXT):
        assert leaks(world.remote_text(path), PERSON_IDS) == []


def test_a_file_that_cannot_be_read_but_names_the_person_stops_the_write_back(realm: Realm) -> None:
    broken = "interviews/2026/2026-11-26-broken-p1.md"
    realm.world.push({broken: f"---\nid: [unclosed\nuser:\n  profile: {PROFILE}\n---\n"})

    ran = realm.run("forget", who=PROFILE, dry_run=False)

    assert ran.code == 1
    assert f"to retry: {broken} cannot be read" in ran.stdout
    assert leaks(ran.output, PERSON_IDS) == []
    assert PROFILE in realm.world.remote_text(CALL)  # held back until that file is fixed


def test_after_forget_nothing_publishes_reminds_or_rewards_the_person(realm: Realm) -> None:
    assert realm.run("forget", who=PROFILE, dry_run=False).code == 0
    realm.checkout()
    forget_requests(realm)

    checked = realm.run("validate", paths=(), output="text", changed=False)
    assert checked.code == 0, checked
    assert checked.stdout.startswith("4 files checked: 0 errors, 0 warnings")

    slack = realm.world.slack
    posted_before = {(c, m["ts"]) for c in list(slack.channels) for m in slack.messages(c)}
    published = realm.run("publish", **PUBLISH)
    assert published.code == 0, published
    assert "Nothing to publish." in published.stdout
    reminded = realm.run("remind", dry_run=False, include_examples=False)
    assert reminded.code == 0, reminded
    for output in (published.output, reminded.output):
        for record_id in PERSON_IDS:
            assert record_id not in output, output
    for line in writes(realm):  # the dashboard and the teammates' reminders, nothing else
        assert line.startswith(("github POST /repos/acme/interviews/issues", "github PATCH", "slack ")), line
    for channel in list(slack.channels):
        for message in slack.messages(channel):
            if (channel, message["ts"]) not in posted_before:  # the reminders just sent
                assert not any(i in str(message) for i in PERSON_IDS), message
    dashboard = [i for i in realm.world.issues() if "feedbackloop-dashboard" in str(i["labels"])]
    for record_id in PERSON_IDS:
        assert record_id not in dashboard[0]["body"]

    # Even with its reward set back to pending by hand, the record gets none: nobody to give it to.
    pending = apply_changes(
        realm.world.remote_text(CALL),
        {
            ("reward", "status"): "pending",
            ("reward", "card"): DELETE,
            ("reward", "card_last"): DELETE,
            ("reward", "issued_on"): DELETE,
        },
    )
    realm.world.push({CALL: pending}, "Set the reward back to pending")
    rewarded = realm.run("reward", interview_id=CALL_ID, dry_run=False)
    assert rewarded.code == 0, rewarded
    assert "asked to be forgotten" in rewarded.stdout
    assert len(realm.shop.gift_cards()) == 1


def test_notes_are_kept_when_the_settings_say_they_hold_no_personal_data(tmp_path: Path) -> None:
    with Realm.create(tmp_path, body_has_personal_data=False) as realm:
        realm.merge()
        before = realm.world.remote_text(CALL)

        ran = realm.run("forget", who=CALL_ID, dry_run=False)

        assert ran.code == 0, ran
        after = realm.world.remote_text(CALL)
        body = before.split("\n---\n", 1)[1]
        assert after.endswith("\n---\n" + body)
        assert _frontmatter(after)["user"] == {"forgotten_on": TODAY}


def test_the_scrub_keeps_the_markers_whatever_the_values() -> None:
    erasure = Erasure([], ["joe", "Acme", PROFILE])
    key = marker("request", id="2026-11-20-web-analytics-joe", key="2026-11-20-web-analytics-joe#1")
    text = f"| Person profile | {PROFILE} |\n| Company | Acme (joe's team) |\nAcmeCorp stays.\n\n{key}\n"

    scrubbed = erasure.scrub(text)

    assert scrubbed == (
        f"| Person profile | {REMOVED} |\n| Company | {REMOVED} ({REMOVED}'s team) |\n"
        f"AcmeCorp stays.\n\n{key}\n"
    )
    # one pass: a value found inside the replacement text is not replaced again
    assert Erasure([], ["person", "request"]).scrub("request") == REMOVED


def test_the_command_line(realm: Realm) -> None:
    ran = realm.world.cli("forget", PROFILE, "--dry-run")

    assert ran.code == 0, ran.out
    assert f"forgetting the person of 3 record(s): {CALL_ID}, {NOTE_ID}, {NEXT_ID}" in ran.out
    assert leaks(ran.out, PERSON_IDS) == []
    unknown = realm.world.cli("forget", "https://us.posthog.com/project/2/person/nobody")
    assert unknown.code == 2
    assert "no record has this id or profile link" in unknown.out
    assert "Traceback" not in unknown.out


def test_a_doc_edited_while_its_entries_are_removed_is_read_again(realm: Realm) -> None:
    from fakes.google import _new_revision

    docs = realm.world.docs

    def type_meanwhile(request: object) -> None:
        if getattr(request, "line", "").endswith(":batchUpdate") and docs.count("POST *") == 1:
            with docs._lock:
                document = docs.document("1ExampleFeedbackDoc")
                document.insert(1, "Agenda: ")
                document.revision_id = _new_revision()
                document.revisions.append(document.revision_id)

    docs.on_request = type_meanwhile
    ran = realm.run("forget", who=PROFILE, dry_run=False)
    docs.on_request = None

    assert ran.code == 0, ran
    assert "removed 2 doc entries" in ran.stdout
    assert docs.count("POST *") == 2
    assert realm.world.doc_text().startswith("Agenda: User interviews\n")
    assert leaks(realm.world.doc_text()) == []


# -- what intake made: the forms' issues, the pull requests, the stub on its branch ---------------------
LENA = "https://us.posthog.com/project/2/person/0194f2a8-lena"
LENA_STUB = "interviews/2026/2026-12-03-surveys-lena.md"
LENA_NOTE = "interviews/2026/2026-11-24-slack-feedback-lena.md"
ANA_NOTE = "interviews/2026/2026-11-24-slack-feedback-ana.md"


def lena_leaks(text: str, feedback: bool = True) -> list[str]:
    """Lena's data in `text`: her name as a word (ids and paths hold it lower case: by design), her
    profile, and the words of her feedback (which her note keeps, her name taken out of it, as any
    note's feedback is kept)."""
    values = ("Lena", "0194f2a8", "reloads the funnel") if feedback else ("Lena", "0194f2a8")
    return [v for v in values if v in text]


@contextmanager
def intake_desk(tmp_path: Path, route: str) -> Iterator[tuple[Desk, dict[str, int]]]:
    """Lena shared feedback with the form and is booked for a call with the other form; Ana shared
    feedback too. Intake ran for each, as intake.yml does."""
    desk = Desk.create(tmp_path, calendar=True, intake_notes=route)
    try:
        numbers = {
            "feedback": desk.open_issue(
                FEEDBACK,
                feedback_answers(first_name="Lena", profile=LENA, feedback="Lena reloads the funnel twice."),
                title="Feedback: Lena",
            ),
            "interview": desk.open_issue(INTERVIEW, interview_answers(), title="User interview: Lena"),
            "other": desk.open_issue(FEEDBACK, feedback_answers()),
        }
        for number in numbers.values():
            ran = desk.replay(desk.event("opened", number))
            assert ran.code == 0, ran.out
        yield desk, numbers
    finally:
        desk.stop()


def test_a_person_only_on_intakes_branches_is_forgotten_with_slack_configured(tmp_path: Path) -> None:
    """Booked by the form, never published: nothing in Slack to look for, and no traceback."""
    slack = FakeSlack().start()
    slack.add_channel("C0FEEDBACK", name="user-feedback", member=True)
    desk = Desk.create(tmp_path, slack_channel="C0FEEDBACK")
    try:
        number = desk.open_issue(INTERVIEW, interview_answers(), title="User interview: Lena")
        assert desk.replay(desk.event("opened", number)).code == 0
        ran = desk.forget(LENA, env={"SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.url})
        assert ran.code == 0, ran.out
        assert "Traceback" not in ran.out
        assert "Lena" not in (desk.text(LENA_STUB, f"intake/issue-{number}") or "")
        assert slack.requests == []  # nothing of theirs was ever posted
    finally:
        desk.stop()
        slack.stop()


def test_the_form_edited_by_forget_is_left_alone_by_intake(tmp_path: Path) -> None:
    """forget empties the form's issue; with a token that starts workflows that edit replays intake.yml,
    which must not ask for the answers again (that would invite someone to retype them)."""
    with intake_desk(tmp_path, "pull-request") as (desk, numbers):
        assert desk.forget(LENA).code == 0
        comments = len(desk.github.comments(REPO, numbers["interview"]))
        desk.github.requests.clear()

        ran = desk.replay(desk.event("edited", numbers["interview"]))

        assert ran.code == 0, ran.out
        assert "its answers were removed at the person's request" in ran.out
        assert len(desk.github.comments(REPO, numbers["interview"])) == comments
        assert [r.line for r in desk.github.requests if r.method != "GET"] == []


def intake_writes(desk: Desk) -> list[str]:
    found = [f"github {r.line}" for r in desk.github.requests if r.method != "GET"]
    assert desk.calendar is not None
    return found + [f"calendar {r.line}" for r in desk.calendar.requests if r.method != "GET"]


@pytest.mark.parametrize("route", ["main", "pull-request"])
def test_forget_follows_what_intake_made(tmp_path: Path, route: str) -> None:
    with intake_desk(tmp_path, route) as (desk, numbers):
        github, calendar = desk.github, desk.calendar
        assert calendar is not None
        feedback, interview, other = numbers["feedback"], numbers["interview"], numbers["other"]
        note_ref = "main" if route == "main" else f"intake/issue-{feedback}"
        assert "Lena" in (desk.text(LENA_NOTE, note_ref) or "")
        other_issue = github.issue(REPO, other)
        other_note_ref = "main" if route == "main" else f"intake/issue-{other}"
        other_note = desk.text(ANA_NOTE, other_note_ref)
        [other_pull] = [p for p in desk.pulls() if p["head"]["ref"] == f"intake/issue-{other}"] or [None]
        github.requests.clear()

        ran = desk.forget(LENA)

        assert ran.code == 0, ran.out
        assert lena_leaks(ran.out) == []
        # Intake's open pull requests are listed once, however many there are.
        listings = [
            r
            for r in github.requests
            if r.line == f"GET /repos/{REPO}/pulls" and r.arg("state") == "open" and not r.arg("head")
        ]
        assert len(listings) == 1
        # The forms' issues: every answer removed, the title scrubbed.
        for number in (feedback, interview):
            issue = github.issue(REPO, number)
            assert issue["body"].startswith("The answers to this form were removed on 2026-11-28")
            assert lena_leaks(issue["title"] + issue["body"]) == [], issue
            for comment in desk.comments(number):
                assert lena_leaks(comment["body"]) == [], comment
        # The draft pull request of the call, and the stub on its branch.
        [pull] = [p for p in desk.pulls() if p["head"]["ref"] == f"intake/issue-{interview}"]
        assert pull["title"] == f"User interview: Surveys with {REMOVED}"
        assert pull["state"] == "open"
        assert lena_leaks(pull["title"] + pull["body"]) == []
        assert plan_intake.pull_file(pull["body"]) == (interview, LENA_STUB)  # the marker stays
        stub = desk.text(LENA_STUB, f"intake/issue-{interview}") or ""
        assert lena_leaks(stub) == [], stub
        record = parse(stub, LENA_STUB).record
        assert record is not None
        assert record.forgotten
        assert record.published.calendar is None
        # The note, wherever it is, and its pull request when notes go by pull request.
        note = desk.text(LENA_NOTE, note_ref) or ""
        assert lena_leaks(note, feedback=False) == [], note
        quoted = REMOVED.replace("'", "''")
        assert f"feedback: '{quoted} reloads the funnel twice.'" in note
        assert parse(note, LENA_NOTE).record.forgotten  # type: ignore[union-attr]
        for listed in desk.pulls():
            assert lena_leaks(listed["title"] + listed["body"]) == [], listed
        # The call is off the calendar, its title no longer naming her.
        event = calendar.event(CALENDAR_INTAKE, event_id("2026-12-03-surveys-lena"))
        assert event is not None
        assert (event["status"], event["summary"]) == ("cancelled", "User interview")
        # Ana's issue, note and pull request are as they were.
        assert github.issue(REPO, other)["body"] == other_issue["body"]
        assert github.issue(REPO, other)["title"] == other_issue["title"]
        assert desk.text(ANA_NOTE, other_note_ref) == other_note
        if other_pull is not None:
            assert github.pull(REPO, other_pull["number"])["title"] == other_pull["title"]
        # The history steps say that branches hold her too.
        assert "intake/issue-N" in ran.out

        # Run again: by the call's id, as the profile is gone everywhere. Nothing more is written.
        github.requests.clear()
        calendar.requests.clear()
        again = desk.forget("2026-12-03-surveys-lena")
        assert again.code == 0, again.out
        assert intake_writes(desk) == []
        gone = desk.forget(LENA)
        assert gone.code == 2, gone.out


def test_forget_stopped_by_a_failure_finishes_on_the_next_run(tmp_path: Path) -> None:
    with intake_desk(tmp_path, "pull-request") as (desk, numbers):
        interview = numbers["interview"]
        desk.github.inject(Fault.status(422), match=f"PATCH /repos/{REPO}/issues/{interview}", times=100)

        failed = desk.forget(LENA)

        assert failed.code == 1, failed.out
        assert f"to retry: 2026-12-03-surveys-lena: {REPO}#{interview}" in failed.out
        # What a re-run needs to find the rest stays: the stub on its branch still names her.
        assert "Lena" in (desk.text(LENA_STUB, f"intake/issue-{interview}") or "")
        desk.github.clear_faults()

        again = desk.forget(LENA)

        assert again.code == 0, again.out
        assert lena_leaks(desk.github.issue(REPO, interview)["body"]) == []
        assert lena_leaks(desk.text(LENA_STUB, f"intake/issue-{interview}") or "") == []
        assert lena_leaks(desk.text(LENA_NOTE, f"intake/issue-{numbers['feedback']}") or "", False) == []


def merge_with_its_link(desk: Desk, interview: int, pull: dict[str, Any]) -> None:
    """Lena's stub merged, holding the link of the pull request that added it (as publish writes it)."""
    branch = f"intake/issue-{interview}"
    stub = desk.text(LENA_STUB, branch) or ""
    linked = apply_changes(stub, {("published", "pull_request"): pull["html_url"]})
    desk.github.commit_files(REPO, {LENA_STUB: linked}, branch=branch)
    desk.github.merge_pull(REPO, pull["number"])


def test_a_pull_request_that_closes_another_issue_leaves_that_issue_alone(tmp_path: Path) -> None:
    """A teammate rewrote the pull request's text ("Closes #N", about dark mode): only intake's own
    marker for this very file leads forget to a form; the dark-mode issue keeps its text."""
    import requests

    with intake_desk(tmp_path, "main") as (desk, numbers):
        interview = numbers["interview"]
        unrelated = desk.github.seed_issue(REPO, "Dark mode", "Please add dark mode.")
        [pull] = [p for p in desk.pulls() if p["head"]["ref"] == f"intake/issue-{interview}"]
        edited = requests.patch(
            f"{desk.github.url.rstrip('/')}/repos/{REPO}/pulls/{pull['number']}",
            json={"body": f"Closes #{unrelated}\n\nAdds Lena's call."},
            headers={"Authorization": f"token {desk.github.token}"},
            timeout=5,
        )
        assert edited.status_code == 200, edited.text
        merge_with_its_link(desk, interview, pull)

        ran = desk.forget(LENA)

        assert ran.code == 0, ran.out
        assert desk.github.issue(REPO, unrelated)["body"] == "Please add dark mode."
        assert "Lena" not in desk.github.pull(REPO, pull["number"])["body"]


def test_a_merged_interview_leads_to_its_pull_request_and_form_by_its_link(tmp_path: Path) -> None:
    with intake_desk(tmp_path, "main") as (desk, numbers):
        interview = numbers["interview"]
        [pull] = [p for p in desk.pulls() if p["head"]["ref"] == f"intake/issue-{interview}"]
        merge_with_its_link(desk, interview, pull)

        ran = desk.forget(LENA)

        assert ran.code == 0, ran.out
        merged = desk.github.pull(REPO, pull["number"])
        assert merged["title"] == f"User interview: Surveys with {REMOVED}"
        issue = desk.github.issue(REPO, interview)
        assert lena_leaks(issue["title"] + issue["body"]) == [], issue
        assert lena_leaks(desk.text(LENA_STUB, "main") or "") == []
