"""`feedbackloop follow-up ID`: the e-mail draft, through the CLI in a real git repository."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from feedbackloop.commands.follow_up import draft
from feedbackloop.config import Environment, settings_from_table
from feedbackloop.context import Context
from feedbackloop.plan.follow_up import public
from helpers_repo import assert_no_traceback, clean_env, commit, feedbackloop, make_repo

TODAY = "2026-11-28"
ID = "2026-11-18-web-analytics-joe"
PATH = f"interviews/2026/{ID}.md"

PYPROJECT = """\
[tool.feedbackloop]
public_repositories = ["acme/product"]
roster = [{ github = "alice", slack = "U0ALICE" }]
"""


def interview(
    *,
    questions: str = (
        "  - question: Can cohorts be exported?\n    answer: Yes, from the cohort page (CSV).\n"
        "  - question: Is there an API for the web analytics dashboard?\n"
    ),
    reward: str = "  kind: merch\n  amount: 30\n  status: issued\n  issued_on: 2026-11-20\n",
    status: str = "completed",
) -> str:
    return (
        "---\n"
        f"id: {ID}\n"
        "topic: Web analytics\n"
        "date: 2026-11-18\n"
        f"status: {status}\n"
        "interviewers: [alice]\n"
        "user:\n"
        "  first_name: Joe\n"
        "  profile: https://us.posthog.com/project/2/person/0192c1d9-joe\n"
        "summary: Uses funnels daily.\n"
        "requests:\n"
        "  - type: bug\n"
        "    title: Funnel breakdown crashes with more than 50 steps\n"
        "    issue: https://github.com/acme/product/issues/123\n"
        "  - type: feature\n"
        "    title: Break down funnels by cohort\n"
        "    issue: https://github.com/Acme/Internal-Roadmap/issues/77\n"
        "  - type: feature\n"
        "    title: Export cohorts to the warehouse\n"
        "questions:\n"
        f"{questions}"
        "reward:\n"
        f"{reward}"
        "follow_up:\n"
        "  status: pending\n"
        "---\n"
        "## Notes\n\n- Moved from Google Analytics in September.\n"
    )


def repo(tmp_path: Path, text: str, pyproject: str = PYPROJECT) -> Path:
    root = make_repo(tmp_path / "repo", pyproject=pyproject)
    (root / PATH).parent.mkdir(parents=True)
    (root / PATH).write_text(text, encoding="utf-8")
    commit(root, "An interview")
    return root


def test_the_draft_thanks_links_only_public_issues_and_warns_about_the_unanswered_question(
    tmp_path: Path,
) -> None:
    root = repo(tmp_path, interview())

    ran = feedbackloop("follow-up", ID, "--today", TODAY, cwd=root)

    assert_no_traceback(ran)
    assert ran.code == 1
    text = ran.stdout
    assert text.startswith("Subject: Thank you for talking with us about Web analytics\n\nHi Joe,\n")
    assert "talk with us on November 18 about Web analytics" in text
    # the public repository's issue is linked; the private one and the unfiled one are not
    assert (
        "- Funnel breakdown crashes with more than 50 steps: https://github.com/acme/product/issues/123"
        in text
    )
    assert "- Break down funnels by cohort: the team is tracking it" in text
    assert "Internal-Roadmap" not in text
    assert "- Export cohorts to the warehouse: the team is tracking it" in text
    # each question with its answer; the unanswered one is marked in the draft and warned about
    assert "> Can cohorts be exported?\n\nYes, from the cohort page (CSV).\n" in text
    assert "> Is there an API for the web analytics dashboard?\n\n[ANSWER NEEDED" in text
    assert ran.stderr == (
        f"warning: {ID}: question 2 has no answer yet: write its `answer` (questions[1].answer) in "
        f"{PATH}, then draft the follow-up again\n"
    )
    # the reward, and how it arrives: the code is pasted from Slack, never in the draft
    assert "here is a $30 gift card for our merch store." in text
    assert "Your gift card code: [paste the code feedbackloop sent you in a Slack direct message]" in text
    assert text.endswith("Thanks again,\n[your name]\n")


def test_every_question_answered_exits_0(tmp_path: Path) -> None:
    answered = "  - question: Can cohorts be exported?\n    answer: Yes, as CSV.\n"
    root = repo(tmp_path, interview(questions=answered))

    ran = feedbackloop("follow-up", ID, "--today", TODAY, cwd=root)

    assert ran.code == 0, ran.output
    assert ran.stderr == ""
    assert "ANSWER NEEDED" not in ran.stdout


@pytest.mark.parametrize(
    ("reward", "setting", "says", "not_says"),
    [
        (
            "  kind: merch\n  status: pending\n",
            'gift_card_delivery = "shopify"\n',
            "here is a $30 gift card for our merch store: it arrives in a separate e-mail from the store.",
            "paste the code",
        ),
        (
            "  kind: open-collective\n  amount: 25\n  status: pending\n",
            "",
            "an Open Collective gift card of $25: it arrives by\ne-mail from Open Collective",
            "merch store",
        ),
        ("  kind: none\n  status: not-applicable\n", "", "Thank you for taking the time", "gift card"),
        (
            "  kind: merch\n  amount: 30\n  status: declined\n",
            "",
            "Thank you for taking the time",
            "gift card",
        ),
    ],
)
def test_what_the_reward_is_and_how_it_arrives(
    tmp_path: Path, reward: str, setting: str, says: str, not_says: str
) -> None:
    pyproject = PYPROJECT.replace("[tool.feedbackloop]\n", f"[tool.feedbackloop]\n{setting}")
    root = repo(tmp_path, interview(reward=reward), pyproject)

    ran = feedbackloop("follow-up", ID, "--today", TODAY, cwd=root)

    assert_no_traceback(ran)
    assert says in ran.stdout
    assert not_says not in ran.stdout


def test_the_draft_for_the_reminder_is_the_printed_text(tmp_path: Path) -> None:
    root = repo(tmp_path, interview())
    context = Context(root, Environment(clean_env()), date.fromisoformat(TODAY))

    found = draft(context, context.repository.record(ID))

    assert found.record_id == ID
    assert found.unanswered == ("Is there an API for the web analytics dashboard?",)
    assert found.text == feedbackloop("follow-up", ID, "--today", TODAY, cwd=root).stdout


def test_a_call_that_has_not_happened_has_no_follow_up(tmp_path: Path) -> None:
    text = interview(reward="  kind: merch\n  status: pending\n", status="scheduled")
    text = text.replace("summary: Uses funnels daily.\n", "")
    root = repo(tmp_path, text)

    ran = feedbackloop("follow-up", ID, "--today", TODAY, cwd=root)

    assert_no_traceback(ran)
    assert ran.code == 1
    assert f"error: {ID} is scheduled: a follow-up comes after a completed call" in ran.stderr


def test_an_unknown_id_is_bad_usage(tmp_path: Path) -> None:
    root = repo(tmp_path, interview())

    ran = feedbackloop("follow-up", "2026-11-18-nobody", "--today", TODAY, cwd=root)

    assert_no_traceback(ran)
    assert ran.code == 2
    assert "no interview has the id 2026-11-18-nobody" in ran.stderr


def test_only_issues_of_public_repositories_are_linked() -> None:
    settings = settings_from_table({"public_repositories": ["acme/product"]})
    assert public("https://github.com/Acme/Product/issues/1", settings)
    assert not public("https://github.com/acme/internal/issues/1", settings)
    assert not public("https://example.com/acme/product", settings)
