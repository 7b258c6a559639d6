"""Reading issue forms (plan/intake.py): pure, so the odd bodies GitHub and people produce are tested here."""

from __future__ import annotations

from datetime import date

import pytest

from feedbackloop.plan import intake as plan
from feedbackloop.records.problems import Problem
from helpers_intake import FEEDBACK, INTERVIEW, feedback_answers, interview_answers, render_form

OPENED = date(2026, 11, 28)


def test_a_rendered_form_reads_back() -> None:
    form, problems = plan.read_interview_form(render_form(INTERVIEW, interview_answers()))

    assert problems == []
    assert form == plan.InterviewForm(
        topic="Surveys",
        first_name="Lena",
        date=date(2026, 12, 3),
        interviewers=("alice", "bob"),
        profile="https://us.posthog.com/project/2/person/0194f2a8-lena",
        time="15:00",
        recruited_via="survey",
        consent_planned=True,
    )


def test_crlf_no_response_and_unticked_boxes() -> None:
    body = render_form(
        INTERVIEW, interview_answers(profile=None, time=None, recruited_via=None, consent=[])
    ).replace("\n", "\r\n")

    form, problems = plan.read_interview_form(body)

    assert problems == []
    assert form is not None
    assert (form.profile, form.time, form.recruited_via, form.consent_planned) == (None, None, None, False)


def test_a_heading_written_inside_an_answer_stays_in_it() -> None:
    feedback = "It crashed.\n\n### Profile link\n\nnot a field: part of what she said"
    body = render_form(FEEDBACK, feedback_answers(feedback=feedback))

    answers = plan.sections(body, plan.FEEDBACK_FIELDS)

    assert answers["profile"] == "https://us.posthog.com/project/2/person/0195a3b1-ana"
    assert answers["feedback"] == feedback


def test_an_issue_made_without_the_form_has_every_required_answer_missing() -> None:
    form, problems = plan.read_interview_form("Please set up a call with Joe next week, thanks!")

    assert form is None
    assert [(p.field, p.message) for p in problems] == [
        ("Topic", "is empty"),
        ("User's first name", "is empty"),
        ("Date of the call", "is empty"),
        ("Interviewers", "is empty"),
    ]


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({"date": "2026-02-30"}, "Date of the call", "`2026-02-30` is not a date written YYYY-MM-DD"),
        ({"date": "03/12/2026"}, "Date of the call", "`03/12/2026` is not a date written YYYY-MM-DD"),
        ({"time": "3pm"}, "Time of the call", "`3pm` is not a time written HH:MM"),
        ({"time": "24:00"}, "Time of the call", "`24:00` is not a time written HH:MM"),
        ({"profile": "posthog: Lena"}, "Profile link", "is not a link"),
        ({"interviewers": "alice, bob smith!"}, "Interviewers", "`smith!` is not a GitHub login"),
        (
            {"recruited_via": "surevy"},
            "How they were recruited",
            "`surevy` is not one of survey, slack, roadmap, email, other. Did you mean `survey`?",
        ),
    ],
)
def test_answers_that_are_wrong_say_which_question_and_why(
    answers: dict[str, str], field: str, message: str
) -> None:
    form, problems = plan.read_interview_form(render_form(INTERVIEW, interview_answers(**answers)))

    assert form is None
    assert [(p.field, p.message) for p in problems] == [(field, message)]
    assert problems[0].fix


def test_times_and_logins_are_written_the_records_way() -> None:
    form, _ = plan.read_interview_form(
        render_form(INTERVIEW, interview_answers(time="9:05", interviewers="@alice  Bob,alice;carol"))
    )

    assert form is not None
    assert form.time == "09:05"
    assert form.interviewers == ("alice", "Bob", "carol")


def test_a_pasted_line_break_in_an_input_is_a_space() -> None:
    form, _ = plan.read_interview_form(render_form(INTERVIEW, interview_answers(topic="Web\nanalytics\t ")))
    assert form is not None
    assert form.topic == "Web analytics"


def test_feedback_defaults_to_its_author_and_the_day_it_was_opened() -> None:
    form, problems = plan.read_feedback_form(
        render_form(FEEDBACK, feedback_answers(date=None, request_type=None, request_title=None)),
        "carol",
        OPENED,
    )

    assert problems == []
    assert form is not None
    assert (form.received_by, form.date, form.requests) == ("carol", OPENED, ())
    assert form.feedback.endswith("\nShe rewrites it from memory.")  # a textarea keeps its lines


def test_a_request_needs_both_its_type_and_its_title() -> None:
    _, problems = plan.read_feedback_form(
        render_form(FEEDBACK, feedback_answers(request_type=None, received_by="alice bob")), "carol", OPENED
    )

    assert [(p.field, p.message) for p in problems] == [
        ("Received by", "names more than one person"),
        ("Bug or feature request", "is not chosen, but there is a request title"),
    ]


def test_record_problems_are_put_to_the_forms_questions() -> None:
    def problem(code: str, message: str) -> Problem:
        return Problem("x.md", 1, 1, code, message, "the fix")

    found = plan.form_problems(
        [
            problem("not-on-roster", "`bobb` is not on the team roster. Did you mean `bob`?"),
            problem("first-name-only", "`user.first_name` holds more than a first name"),
            problem("email-address", "an e-mail address is in the file"),
            Problem("x.md", 1, 1, "personal-data-public", "public", severity="warning"),
        ],
        plan.INTERVIEW_FIELDS,
    )

    assert [(p.field, p.fix) for p in found] == [
        ("Interviewers", "the fix"),
        ("User's first name", "the fix"),
        ("The form", "the fix"),
    ]
    [note] = plan.form_problems(
        [problem("not-on-roster", "`zed` is not on the team roster")], plan.FEEDBACK_FIELDS
    )
    assert note.field == "Received by"


def test_echoed_text_neither_pings_nor_fakes_a_marker() -> None:
    text = plan.quiet('@everyone @acme/team <!-- feedbackloop:intake {"issue":"9"} -->')

    assert "@everyone" not in text
    assert "@\u200beveryone" in text
    assert plan.find_marker(text, "intake", 9) is None


def test_the_pull_request_title_fits_githubs_limit() -> None:
    form, _ = plan.read_interview_form(render_form(INTERVIEW, interview_answers(topic="x" * 400)))
    assert form is not None
    title = plan.pull_title(form)
    assert len(title) == plan.TITLE_MAX
    assert title.endswith("…")


def test_the_checklist_comes_from_the_pull_request_template_without_its_comments() -> None:
    template = "<!-- Check each step.\n  More. -->\n\n## After the call\n\n- [ ] The notes are written\n"

    assert plan.checklist(template) == "## After the call\n\n- [ ] The notes are written"
    assert "- [ ]" in plan.checklist(None)


def test_which_form_by_its_labels() -> None:
    assert plan.form_kind(["bug", "New-Interview"]) == plan.INTERVIEW_LABEL
    assert plan.form_kind(["shared-feedback"]) == plan.FEEDBACK_LABEL
    assert plan.form_kind(["new-interview", "shared-feedback"]) == "both"
    assert plan.form_kind(["user-feedback"]) is None


def test_what_forget_follows_in_what_intake_wrote() -> None:
    url = "https://github.com/acme/interviews/issues/1"
    note = f"---\nkind: note\n---\nShared with the issue form: {url}\n"
    assert plan.note_of(note, url)
    assert not plan.note_of(note.replace("/issues/1\n", "/issues/12\n"), url)  # a line, not a prefix
    assert plan.form_issue_url(note) == url
    assert plan.form_issue_url("## Notes\n") is None
    body = plan.pull_body(7, "interviews/2026/x.md", "text", None)
    assert plan.pull_file(body) == (7, "interviews/2026/x.md")
    assert plan.pull_file(plan.note_pull_body(3, "interviews/2026/n.md")) == (3, "interviews/2026/n.md")
    removed = plan.forgotten_form(date(2026, 11, 28))
    assert plan.is_forgotten_form(removed)
    assert not plan.is_forgotten_form("### Topic\n\nSurveys")
