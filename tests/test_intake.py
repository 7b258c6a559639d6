"""intake.yml, replayed: issue-form events in, a branch, the interview file, a draft pull request and one
comment out (or a feedback note), against FakeGitHub (and FakeGoogleCalendar) over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes.server import Fault
from feedbackloop.plan import intake as plan
from feedbackloop.plan.calendar import event_id, interview_of
from feedbackloop.records.model import RECEIVED_VIA, RECRUITED_VIA, Interview, Note
from feedbackloop.records.parse import parse
from helpers_intake import (
    CALENDAR,
    FEEDBACK,
    FORMS,
    INSTALL,
    INTERVIEW,
    REPO,
    Desk,
    feedback_answers,
    if_labels,
    interview_answers,
    load_form,
    load_workflow,
)
from helpers_repo import assert_no_traceback, feedbackloop, git

STUB = "interviews/2026/2026-12-03-surveys-lena.md"
BRANCH = "intake/issue-1"
_PING = re.compile(r"@(?!\u200b)[A-Za-z0-9]")  # an @mention GitHub would act on


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    made = Desk.create(tmp_path)
    try:
        yield made
        assert made.github.errors == [], made.github.errors
    finally:
        made.stop()


@pytest.fixture
def calendar_desk(tmp_path: Path) -> Iterator[Desk]:
    made = Desk.create(tmp_path, calendar=True)
    try:
        yield made
    finally:
        made.stop()


def writes(desk: Desk) -> list[str]:
    return [r.line for r in desk.github.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]


def ours(desk: Desk, number: int) -> list[dict[str, Any]]:
    return [c for c in desk.comments(number) if plan.find_marker(c["body"], "intake", number)]


def no_pings(*texts: str) -> None:
    for text in texts:
        assert not _PING.search(text), text


# -- the workflow itself ---------------------------------------------------------------------------
def test_the_workflow_runs_on_form_issues_with_least_privilege() -> None:
    workflow = load_workflow()
    assert workflow["on"] == {"issues": {"types": ["opened", "edited"]}}
    assert workflow["permissions"] == {}
    assert workflow["concurrency"] == {
        "group": "intake-${{ github.event.issue.number }}",
        "cancel-in-progress": False,
    }
    [(_name, job)] = workflow["jobs"].items()
    assert sorted(if_labels(job["if"])) == sorted(plan.LABELS)
    assert job["permissions"] == {"contents": "write", "pull-requests": "write", "issues": "write"}
    assert 0 < job["timeout-minutes"] <= 15
    raw = (Path(__file__).parent.parent / ".github/workflows/intake.yml").read_text()
    for step in job["steps"]:
        if "uses" in step:
            action, _, ref = step["uses"].partition("@")
            assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{action} is not pinned to a commit"
            assert re.search(re.escape(ref) + r" # v\d+\.\d+\.\d+", raw), f"{action}: no version comment"
            if action == "actions/checkout":
                assert step["with"]["persist-credentials"] is False
        else:
            assert "${{" not in step["run"], "an expression inside run: (use env: or the event file)"
    runs = [step["run"].strip() for step in job["steps"] if "run" in step]
    assert runs[0] == INSTALL
    assert runs[-1] == "feedbackloop intake"  # the step that reads the event runs the command, nothing else


def test_the_forms_are_what_intake_reads() -> None:
    for name, label, fields in (
        (INTERVIEW, plan.INTERVIEW_LABEL, plan.INTERVIEW_FIELDS),
        (FEEDBACK, plan.FEEDBACK_LABEL, plan.FEEDBACK_FIELDS),
    ):
        form = load_form(name)
        assert form["labels"] == [label]
        items = [item for item in form["body"] if item["type"] != "markdown"]
        assert [(i["id"], i["attributes"]["label"]) for i in items] == [(f.id, f.label) for f in fields]
        required = {i["id"] for i in items if (i.get("validations") or {}).get("required")}
        assert required == {f.id for f in fields if f.required}
    interview = {i["id"]: i for i in load_form(INTERVIEW)["body"] if "id" in i}
    assert tuple(interview["recruited_via"]["attributes"]["options"]) == RECRUITED_VIA
    assert [o["label"] for o in interview["consent"]["attributes"]["options"]] == [plan.CONSENT_OPTION]
    feedback = {i["id"]: i for i in load_form(FEEDBACK)["body"] if "id" in i}
    assert tuple(feedback["received_via"]["attributes"]["options"]) == RECEIVED_VIA
    assert sorted(p.name for p in FORMS.glob("*.yml")) == sorted([INTERVIEW, FEEDBACK])


# -- a new interview -------------------------------------------------------------------------------
def test_a_valid_form_becomes_a_draft_pull_request_with_the_stub(desk: Desk) -> None:
    number = desk.open_issue(INTERVIEW, interview_answers())

    ran = desk.replay(desk.event("opened", number))

    assert ran.code == 0, ran.out
    assert ran.steps == ["Google credentials", "Intake"]
    stub = desk.text(STUB, BRANCH)
    assert stub is not None
    record = parse(stub, STUB).record
    assert isinstance(record, Interview)
    assert (record.id, record.topic, record.status, record.time) == (
        "2026-12-03-surveys-lena",
        "Surveys",
        "scheduled",
        "15:00",
    )
    assert record.interviewers == ("alice", "bob")
    assert record.user.first_name == "Lena"
    assert record.recruited_via == "survey"
    assert "(the form says you will)" in stub
    assert desk.text(STUB, "main") is None  # only on the branch, until it is merged
    [pull] = desk.pulls()
    assert pull["title"] == "User interview: Surveys with Lena"
    assert pull["draft"] is True
    assert (pull["head"]["ref"], pull["base"]["ref"]) == (BRANCH, "main")
    assert pull["body"].startswith(f"Closes #{number}:")
    assert "- [ ] The notes are written below the frontmatter" in pull["body"]  # the checklist
    assert [a["login"] for a in pull["assignees"]] == ["alice", "bob"]
    [comment] = desk.comments(number)
    assert pull["html_url"] in comment["body"]
    assert STUB in comment["body"]
    assert plan.find_marker(comment["body"], "intake", number) == {"issue": str(number), "state": "ready"}
    assert f"issue #{number}: draft pull request #{pull['number']} holds 2026-12-03-surveys-lena" in ran.out
    assert "Lena" not in ran.out
    assert "0194f2a8" not in ran.out
    assert "calendar" not in ran.out.lower()  # no calendar in the settings: nothing said about one


def test_a_redelivered_event_creates_nothing_new(calendar_desk: Desk) -> None:
    desk = calendar_desk
    number = desk.open_issue(INTERVIEW, interview_answers())
    event = desk.event("opened", number)
    assert desk.replay(event).code == 0
    before = (desk.pulls(), desk.comments(number), desk.github.repo(REPO).refs.copy())
    desk.github.requests.clear()
    assert desk.calendar is not None
    events = desk.calendar.events(CALENDAR)

    again = desk.replay(event)

    assert again.code == 0, again.out
    assert (desk.pulls(), desk.comments(number), desk.github.repo(REPO).refs) == before
    assert writes(desk) == []  # found, compared, nothing sent
    assert desk.calendar.events(CALENDAR) == events
    assert "already holds 2026-12-03-surveys-lena: nothing to change" in again.out


def test_an_invalid_form_gets_one_comment_which_the_fix_resolves(desk: Desk) -> None:
    number = desk.open_issue(INTERVIEW, interview_answers(date="next Tuesday", interviewers=None))

    first = desk.replay(desk.event("opened", number))

    assert first.code == 1
    assert desk.pulls() == []
    assert desk.github.ref(REPO, BRANCH) is None
    [comment] = desk.comments(number)
    assert "**Date of the call**: `next Tuesday` is not a date written YYYY-MM-DD" in comment["body"]
    assert "**Interviewers**: is empty" in comment["body"]

    # Still wrong, differently: the rules of a record find what the form cannot (the roster).
    second = desk.replay(desk.edit_issue(number, INTERVIEW, interview_answers(interviewers="alice, bobb")))

    assert second.code == 1
    [edited] = desk.comments(number)
    assert edited["id"] == comment["id"]
    assert "**Interviewers**: `bobb` is not on the team roster. Did you mean `bob`?" in edited["body"]
    assert "Date of the call" not in edited["body"]

    fixed = desk.replay(desk.edit_issue(number, INTERVIEW, interview_answers()))

    assert fixed.code == 0, fixed.out
    [pull] = desk.pulls()
    [resolved] = desk.comments(number)
    assert resolved["id"] == comment["id"]
    assert resolved["body"].startswith("**Ready for the call.**")
    assert pull["html_url"] in resolved["body"]
    assert "bobb" not in resolved["body"]


def test_an_edit_updates_the_untouched_stub_and_moves_the_call(tmp_path: Path) -> None:
    desk = Desk.create(tmp_path, calendar=True, delegation=True)
    desk.variables["GOOGLE_CALENDAR_SUBJECT"] = "alice@acme.example"
    try:
        assert desk.calendar is not None
        number = desk.open_issue(INTERVIEW, interview_answers())
        assert desk.replay(desk.event("opened", number)).code == 0
        event = event_id("2026-12-03-surveys-lena")
        assert interview_of(event) == "2026-12-03-surveys-lena"
        [made] = desk.calendar.events(CALENDAR)
        assert made["id"] == event
        assert made["start"] == {"dateTime": "2026-12-03T15:00:00", "timeZone": "Europe/Paris"}
        assert [a["email"] for a in made["attendees"]] == ["alice@acme.example", "bob@acme.example"]
        assert desk.calendar.notifications[-1].recipients == ["alice@acme.example", "bob@acme.example"]

        ran = desk.replay(
            desk.edit_issue(
                number, INTERVIEW, interview_answers(date="2026-12-04", time="10:30", topic="Surveys")
            )
        )

        assert ran.code == 0, ran.out
        moved = "interviews/2026/2026-12-04-surveys-lena.md"
        files = desk.files_on(BRANCH)
        assert list(files) == [moved]  # the old file is gone from the branch
        record = parse(files[moved], moved).record
        assert isinstance(record, Interview)
        assert (record.id, record.time) == ("2026-12-04-surveys-lena", "10:30")
        assert record.published.calendar == event  # the event keeps its id: it was made for the first date
        [pull] = desk.pulls()
        assert plan.find_marker(pull["body"], "intake-stub", number)["path"] == moved  # type: ignore[index]
        [again] = desk.calendar.events(CALENDAR)
        assert again["id"] == event
        assert again["start"] == {"dateTime": "2026-12-04T10:30:00", "timeZone": "Europe/Paris"}
        assert again["end"] == {"dateTime": "2026-12-04T11:00:00", "timeZone": "Europe/Paris"}
        assert [n.action for n in desk.calendar.notifications] == ["insert", "update"]
        assert "moved on the calendar" in ran.out

        # A teammate writes in the stub: the issue's next edit no longer touches it.
        desk.github.commit_files(REPO, {moved: files[moved] + "Prepared questions.\n"}, branch=BRANCH)
        later = desk.replay(desk.edit_issue(number, INTERVIEW, interview_answers(date="2026-12-05")))

        assert later.code == 0, later.out
        assert list(desk.files_on(BRANCH)) == [moved]
        assert "Prepared questions." in desk.files_on(BRANCH)[moved]
        [comment] = desk.comments(number)
        assert "was not copied into it" in comment["body"]
        assert desk.calendar.events(CALENDAR)[0]["start"]["dateTime"] == "2026-12-04T10:30:00"
    finally:
        desk.stop()


def test_a_service_account_without_delegation_puts_the_call_on_without_invitations(
    calendar_desk: Desk,
) -> None:
    desk = calendar_desk
    assert desk.calendar is not None
    number = desk.open_issue(INTERVIEW, interview_answers())

    ran = desk.replay(desk.event("opened", number))

    assert ran.code == 0, ran.out
    [event] = desk.calendar.events(CALENDAR)
    assert "attendees" not in event
    assert desk.calendar.notifications == []
    [comment] = desk.comments(number)
    assert "The call is on the shared calendar" in comment["body"]
    assert "GOOGLE_CALENDAR_SUBJECT" in comment["body"]  # how to get invitations


def test_a_hostile_title_and_body_execute_nothing_and_ping_nobody(desk: Desk, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = (
        f'$(touch {marker}) `touch {marker}` "; touch {marker}; rm -rf ~ ${{{{ github.token }}}} '
        "<!channel> @everyone ' \\ # {{ nope }}"
    )
    number = desk.open_issue(
        INTERVIEW, interview_answers(topic=hostile, first_name="Zoë"), title=f"User interview: {hostile}"
    )

    ran = desk.replay(desk.event("opened", number))

    assert ran.code == 0, ran.out
    assert not marker.exists()
    [path] = desk.files_on(BRANCH)
    stub = desk.files_on(BRANCH)[path]
    record = parse(stub, path).record
    assert isinstance(record, Interview), stub
    assert record.topic == hostile  # quoted in the YAML, and read back identically
    assert record.recording.title == f"{hostile} user interview with Zoë"
    assert re.fullmatch(r"interviews/2026/2026-12-03-[a-z0-9-]+\.md", path)  # the slug keeps a-z, 0-9
    [pull] = desk.pulls()
    comments = [c["body"] for c in desk.comments(number)]
    no_pings(pull["title"], pull["body"], *comments)
    assert desk.github.token not in ran.out + stub + pull["body"] + "".join(comments)

    from feedbackloop.config import Settings
    from feedbackloop.render import slack_message

    _, blocks = slack_message(desk.root / "templates", record, Settings(), "https://example.invalid")
    assert "<!channel>" not in json.dumps(blocks)  # escaped when it is published

    # A hostile answer where a value is echoed back (a bad date): quoted, and still no ping.
    broken = desk.replay(
        desk.edit_issue(number, INTERVIEW, interview_answers(date=f"@everyone $(touch {marker})"))
    )
    assert broken.code == 1
    assert not marker.exists()
    [comment] = ours(desk, number)
    no_pings(comment["body"])
    assert "@\u200beveryone" in comment["body"]


def test_an_issue_without_a_form_label_is_left_alone(desk: Desk) -> None:
    number = desk.github.seed_issue(REPO, "A question", plan.NO_RESPONSE, user="carol")
    event = desk.event("opened", number)

    assert desk.replay(event).ran is False  # the job's if: skips it
    path = desk.tmp / "event.json"
    path.write_text(json.dumps(event))
    direct = feedbackloop("intake", "--event", path, cwd=desk.root, env={"GITHUB_REPOSITORY": REPO})
    assert direct.code == 0
    assert "not from an intake form" in direct.stdout
    assert desk.comments(number) == []


def test_an_issue_from_outside_the_team_is_not_acted_on(desk: Desk) -> None:
    number = desk.open_issue(INTERVIEW, interview_answers(), user="mallory")

    ran = desk.replay(desk.event("opened", number))

    assert ran.code == 0
    assert "outside the team (NONE): nothing done" in ran.out
    assert desk.comments(number) == []
    assert desk.pulls() == []


def test_without_draft_pull_requests_it_opens_a_ready_one_and_says_so(desk: Desk) -> None:
    refusal = {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": "Draft pull requests are not supported in this repository.",
            }
        ],
        "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
    }
    desk.github.inject(Fault.status(422, body=refusal), match=f"POST /repos/{REPO}/pulls")
    number = desk.open_issue(INTERVIEW, interview_answers())

    ran = desk.replay(desk.event("opened", number))

    assert ran.code == 0, ran.out
    [pull] = desk.pulls()
    assert pull["draft"] is False
    assert "not a draft" in desk.comments(number)[0]["body"]


def test_when_actions_may_not_open_pull_requests_the_fix_is_named(desk: Desk) -> None:
    refusal = {
        "message": "GitHub Actions is not permitted to create or approve pull requests.",
        "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
    }
    desk.github.inject(Fault.status(403, body=refusal), match=f"POST /repos/{REPO}/pulls")
    number = desk.open_issue(INTERVIEW, interview_answers())

    ran = desk.replay(desk.event("opened", number))

    assert ran.code == 1
    assert_no_traceback_text(ran.out)
    assert "allow GitHub Actions to create pull requests" in ran.out
    assert "::error::" in ran.out
    [told] = desk.comments(number)  # the person who filed the form hears of it, not only the run's log
    assert "could not finish with this issue" in told["body"]
    assert "allow GitHub Actions to create pull requests" in told["body"]
    # The next event (or a re-run) finishes the job: the branch is there, the pull request is made.
    again = desk.replay(desk.event("opened", number))
    assert again.code == 0, again.out
    assert len(desk.pulls()) == 1
    assert len(desk.github.repo(REPO).refs) == 2
    [resolved] = desk.comments(number)
    assert resolved["id"] == told["id"]
    assert resolved["body"].startswith("**Ready for the call.**")


def assert_no_traceback_text(out: str) -> None:
    assert "Traceback" not in out, out


# -- feedback received anywhere -------------------------------------------------------------------
@pytest.mark.parametrize("route", ["main", "pull-request"])
def test_shared_feedback_becomes_a_note_and_closes_the_issue(tmp_path: Path, route: str) -> None:
    desk = Desk.create(tmp_path, intake_notes=route)
    try:
        main_before = desk.github.ref(REPO, "main")
        number = desk.open_issue(FEEDBACK, feedback_answers(), user="carol")
        opened = desk.event("opened", number)

        ran = desk.replay(opened)

        assert ran.code == 0, ran.out
        path = "interviews/2026/2026-11-24-slack-feedback-ana.md"
        ref = "main" if route == "main" else BRANCH
        text = desk.text(path, ref)
        assert text is not None
        note = parse(text, path).record
        assert isinstance(note, Note)
        assert (note.received_by, note.received_via, note.user.first_name) == ("carol", "slack", "Ana")
        assert note.feedback == feedback_answers()["feedback"]
        assert [(r.type, r.title) for r in note.requests] == [("bug", "SQL editor loses the query on reload")]
        assert f"https://github.com/{REPO}/issues/{number}" in note.notes
        issue = desk.github.issue(REPO, number)
        assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
        [comment] = desk.comments(number)
        assert comment["body"].startswith("**Recorded.**")
        assert path in comment["body"]
        if route == "main":
            head = desk.github.ref(REPO, "main")
            assert head != main_before
            assert f"/commit/{head}" in comment["body"]
            assert desk.pulls() == []
        else:
            assert desk.github.ref(REPO, "main") == main_before
            [pull] = desk.pulls()
            assert pull["html_url"] in comment["body"]
            assert pull["draft"] is False
            assert pull["body"].startswith(f"From #{number}")  # not "Closes": the issue is closed already
        assert "Ana" not in ran.out

        # The event delivered again, and an edit after it was recorded: nothing more happens.
        desk.github.requests.clear()
        assert desk.replay(opened).code == 0
        assert writes(desk) == []
        closed_edit = desk.edit_issue(number, FEEDBACK, feedback_answers(first_name="Anna"))
        assert closed_edit["issue"]["state"] == "closed"
        assert desk.replay(closed_edit).code == 0
        assert writes(desk) == []
        assert len(desk.comments(number)) == 1
    finally:
        desk.stop()


def test_feedback_with_problems_is_not_recorded(desk: Desk) -> None:
    number = desk.open_issue(
        FEEDBACK,
        feedback_answers(profile="their profile", request_title=None, first_name="Ana Maria", feedback=None),
    )

    ran = desk.replay(desk.event("opened", number))

    assert ran.code == 1
    [comment] = desk.comments(number)
    assert "**Profile link**: is not a link" in comment["body"]
    assert "**The feedback**: is empty" in comment["body"]
    assert "**Request title**: is empty, but a request type is chosen" in comment["body"]
    assert desk.github.issue(REPO, number)["state"] == "open"
    assert desk.files_on("main") == {}


def test_a_feedback_note_does_not_overwrite_another(desk: Desk) -> None:
    taken = "interviews/2026/2026-11-24-slack-feedback-ana.md"
    other = feedback_answers(feedback="Another day, another Ana: dashboards load slowly.")
    first = desk.open_issue(FEEDBACK, other)
    desk.replay(desk.event("opened", first))  # recorded on its branch; merged, as a teammate would
    desk.github.commit_files(REPO, {taken: desk.text(taken, BRANCH)}, message="Merge the first note")
    _checkout_main(desk)
    number = desk.open_issue(FEEDBACK, feedback_answers())

    ran = desk.replay(desk.event("opened", number))

    assert ran.code == 0, ran.out
    ours_now = f"interviews/2026/2026-11-24-slack-feedback-ana-{number}.md"
    assert ours_now in desk.files_on(f"intake/issue-{number}")
    assert "another Ana" in (desk.text(taken, "main") or "")


def test_two_notes_waiting_in_pull_requests_take_two_paths(desk: Desk) -> None:
    """Two people called Ana shared feedback on Slack the same day; neither pull request is merged yet.
    The second takes a path of its own, or merging both would be an add/add conflict."""
    first = desk.open_issue(FEEDBACK, feedback_answers(feedback="Dashboards load slowly."))
    assert desk.replay(desk.event("opened", first)).code == 0
    other_ana = "https://us.posthog.com/project/2/person/0196ffff-another-ana"
    second = desk.open_issue(FEEDBACK, feedback_answers(profile=other_ana))

    ran = desk.replay(desk.event("opened", second))

    assert ran.code == 0, ran.out
    path = "interviews/2026/2026-11-24-slack-feedback-ana"
    assert f"{path}.md" in desk.files_on(f"intake/issue-{first}")
    assert f"{path}-{second}.md" in desk.files_on(f"intake/issue-{second}")
    assert f"{path}.md" not in desk.files_on(f"intake/issue-{second}")


def _checkout_main(desk: Desk) -> None:
    """What actions/checkout does at the start of the next run: the remote's main in the work tree."""
    desk.github.export_git(REPO, desk.root, branch="main")
    git(desk.root, "reset", "--quiet", "--hard", "main")


def test_dry_run_reads_only_the_event(desk: Desk) -> None:
    number = desk.open_issue(INTERVIEW, interview_answers())
    path = desk.tmp / "event.json"
    path.write_text(json.dumps(desk.event("opened", number)))
    desk.github.requests.clear()

    ran = feedbackloop("intake", "--event", path, "--dry-run", cwd=desk.root)

    assert ran.code == 0, ran.output
    assert_no_traceback(ran)
    assert f"Would commit {STUB} on {BRANCH}" in ran.stdout
    assert "id: 2026-12-03-surveys-lena" in ran.stdout
    assert "--- draft pull request: User interview: Surveys with Lena" in ran.stdout
    assert desk.github.requests == []


def test_a_note_is_not_taken_for_another_whose_issue_number_starts_with_its_own(tmp_path: Path) -> None:
    """Issue #1's link is the start of #12's: #1 must not take #12's note for its own and overwrite it."""
    desk = Desk.create(tmp_path, intake_notes="main")
    try:
        taken = "interviews/2026/2026-11-24-slack-feedback-ana.md"
        first = desk.open_issue(FEEDBACK, feedback_answers(profile="their profile"))
        assert desk.replay(desk.event("opened", first)).code == 1  # what to fix: said in a comment
        for filler in range(2, 12):
            desk.github.seed_issue(REPO, f"Something else {filler}", "Not from a form.")
        twelfth = desk.open_issue(
            FEEDBACK,
            feedback_answers(
                profile="https://us.posthog.com/project/2/person/0196ffff-another-ana",
                feedback="Dashboards load slowly on Mondays.",
            ),
        )
        assert twelfth == 12
        assert desk.replay(desk.event("opened", twelfth)).code == 0
        _checkout_main(desk)  # the next run's checkout holds #12's note

        fixed = desk.replay(desk.edit_issue(first, FEEDBACK, feedback_answers()))

        assert fixed.code == 0, fixed.out
        twelfths = desk.text(taken, "main") or ""
        assert "Dashboards load slowly on Mondays." in twelfths
        assert twelfths.rstrip().endswith(f"/{REPO}/issues/12")
        firsts = desk.text("interviews/2026/2026-11-24-slack-feedback-ana-1.md", "main") or ""
        assert "The SQL editor loses the query" in firsts
        assert firsts.rstrip().endswith(f"/{REPO}/issues/1")
    finally:
        desk.stop()


def test_overlapping_runs_for_two_notes_of_the_same_name_do_not_overwrite_each_other(
    tmp_path: Path,
) -> None:
    """Runs of two issues overlap (the workflow's concurrency group is per issue): the other issue's
    note lands on main between this run's look at the path and its commit."""
    from feedbackloop.render import render
    from helpers_repo import PROJECT

    desk = Desk.create(tmp_path, intake_notes="main")
    try:
        taken = "interviews/2026/2026-11-24-slack-feedback-ana.md"
        first = desk.open_issue(FEEDBACK, feedback_answers())
        second = desk.open_issue(FEEDBACK, feedback_answers(feedback="Dashboards load slowly on Mondays."))
        form, _ = plan.read_feedback_form(
            desk.github.issue(REPO, second)["body"], "carol", desk.github.now().date()
        )
        assert form is not None
        url = desk.github.issue(REPO, second)["html_url"]
        theirs = render(
            PROJECT / "templates",
            "note.md.j2",
            **plan.note_values(form, "2026-11-24-slack-feedback-ana", url),
        )
        landed: list[str] = []

        def the_other_run_commits_meanwhile(request: Any) -> None:
            if request.line.startswith("POST") and request.line.endswith("/git/trees") and not landed:
                landed.append(request.line)
                desk.github.commit_files(REPO, {taken: theirs}, message=f"intake: the note of #{second}")

        desk.github.on_request = the_other_run_commits_meanwhile
        ran = desk.replay(desk.event("opened", first))
        desk.github.on_request = None

        assert landed, "the race was not staged"
        assert ran.code == 0, ran.out
        assert desk.text(taken, "main") == theirs
        ours_now = desk.text(f"interviews/2026/2026-11-24-slack-feedback-ana-{first}.md", "main") or ""
        assert "The SQL editor loses the query" in ours_now
        [comment] = desk.comments(first)
        assert f"2026-11-24-slack-feedback-ana-{first}.md" in comment["body"]
    finally:
        desk.stop()
