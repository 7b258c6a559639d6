"""`feedbackloop follow-up ID`: the follow-up e-mail's draft, from `templates/follow-up.md.j2`.

It prints the draft (on standard output, for the interviewer to send), warns on standard error about
every question still without an answer, and exits 1 while there is one. `draft` gives the same text to
the reminder, which sends it to the interviewer privately.
"""

from __future__ import annotations

from dataclasses import dataclass

import click

from feedbackloop import actions
from feedbackloop.context import Context
from feedbackloop.errors import FAILED, OK, FeedbackloopError
from feedbackloop.plan.follow_up import answers, issue_links, reward_note, unanswered
from feedbackloop.records.model import Interview, Record
from feedbackloop.render import render

TEMPLATE = "follow-up.md.j2"


@dataclass(frozen=True, slots=True)
class Draft:
    """A follow-up e-mail to send, and the questions it still lacks answers to."""

    record_id: str
    text: str
    unanswered: tuple[str, ...] = ()


def draft(context: Context, record: Record) -> Draft:
    """The follow-up e-mail for a completed interview, rendered from the team's template."""
    if not isinstance(record, Interview):
        raise FeedbackloopError(
            f"{record.id} is a feedback note: the follow-up e-mail is for interviews",
            "thank the person where they shared the feedback",
        )
    if record.status != "completed":
        raise FeedbackloopError(
            f"{record.id} is {record.status}: a follow-up comes after a completed call",
            "set `status: completed` once the call has happened",
        )
    settings = context.settings
    day = record.date
    text = render(
        context.root / settings.templates_dir,
        TEMPLATE,
        first_name=record.user.first_name or "there",
        topic=record.topic,
        date=f"{day:%B} {day.day}",
        interviewers=list(record.interviewers),
        reward=reward_note(record, settings),
        requests=issue_links(record, settings),
        questions=answers(record),
    )
    return Draft(record.id, text, tuple(unanswered(record)))


def run(context: Context, interview_id: str) -> int:
    record = context.repository.record(interview_id)
    found = draft(context, record)
    click.echo(found.text, nl=not found.text.endswith("\n"))
    # By number, not by its text: a question may name the person, and stderr is a log.
    assert isinstance(record, Interview)  # draft() refused anything else
    for number, question in enumerate(record.questions, start=1):
        if question.question in found.unanswered and not (question.answer or "").strip():
            actions.stderr(
                f"warning: {record.id}: question {number} has no answer yet: write its `answer` "
                f"(questions[{number - 1}].answer) in {record.path}, then draft the follow-up again"
            )
    return FAILED if found.unanswered else OK
