"""`feedbackloop recruit` against FakePostHog over HTTP on 127.0.0.1: the survey PostHog's "User interview"
template makes, targeted at a cohort, made once; and its dry run, which needs no credentials."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fakes.posthog import FakePostHog
from feedbackloop.commands import recruit
from feedbackloop.config import Environment
from feedbackloop.context import Context
from feedbackloop.errors import FeedbackloopError, UsageError
from feedbackloop.plan import recruit as plan
from feedbackloop.services.retry import Policy, ServiceError
from helpers_repo import assert_no_traceback, feedbackloop, make_repo

LINK = "https://cal.com/acme/user-interview"
TODAY = "2026-11-28"


@pytest.fixture
def posthog() -> Iterator[FakePostHog]:
    with FakePostHog(api_key="phx_recruit", project_id=2) as fake:
        fake.add_cohort(7, "Power users (static copy)", count=120, is_static=True)
        fake.add_cohort(8, "Power users", count=5400, is_static=False)
        yield fake


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", pyproject='[tool.feedbackloop]\nroster = [{ github = "alice" }]\n')


def env(posthog: FakePostHog, **extra: str) -> dict[str, str]:
    return {
        "POSTHOG_HOST": posthog.url.rstrip("/"),
        "POSTHOG_PERSONAL_API_KEY": posthog.api_key,
        "POSTHOG_PROJECT_ID": str(posthog.project_id),
        **extra,
    }


class Run:
    """`recruit` in this process: every wait of the shared retry policy recorded, never slept."""

    def __init__(self, root: Path, posthog: FakePostHog) -> None:
        self.root, self.posthog = root, posthog
        self.waited: list[float] = []

    def __call__(
        self, cohort: int, size: int, name: str | None = None, **environment: str
    ) -> tuple[int, str]:
        context = Context(
            self.root,
            Environment(env(self.posthog, **environment)),
            date.fromisoformat(TODAY),
            policy=Policy(sleep=self.waited.append),
        )
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = recruit.run(context, cohort, size, LINK, name, dry_run=False)
        return code, out.getvalue()


@pytest.fixture
def run(root: Path, posthog: FakePostHog) -> Run:
    return Run(root, posthog)


def test_the_survey_is_the_user_interview_template_aimed_at_the_cohort(
    run: Run, posthog: FakePostHog
) -> None:
    code, out = run(7, 120)

    assert code == 0, out
    [survey] = posthog.surveys()
    assert survey["name"] == "User interviews: cohort 7"
    assert survey["type"] == "popover"
    [question] = survey["questions"]
    assert question["type"] == "link"
    assert question["question"] == "Would you be interested in participating in a customer interview?"
    assert (question["buttonText"], question["link"]) == ("Schedule", LINK)
    assert survey["appearance"] == {"thankYouMessageHeader": "Looking forward to chatting with you!"}
    assert survey["conditions"] == {"seenSurveyWaitPeriodInDays": 14}
    assert survey["targeting_flag"]["filters"] == {
        "groups": [{"properties": [{"key": "id", "type": "cohort", "value": 7}], "rollout_percentage": 100}]
    }
    assert survey["start_date"] == f"{TODAY}T00:00:00Z"  # launched
    assert f"/project/2/surveys/{survey['id']}" in out
    assert "Rollout: 100%" in out
    assert "dynamic" not in out  # a static cohort: no advice needed


def test_a_cohort_over_a_thousand_people_gets_the_rollout_setting(
    tmp_path: Path, posthog: FakePostHog
) -> None:
    settings = "[tool.feedbackloop]\nrecruit_rollout = 30\nrecruit_wait_days = 21\n"
    root = make_repo(tmp_path / "repo", pyproject=settings)
    code, out = Run(root, posthog)(8, 5400, name="Interviews: power users (2026-11)")

    assert code == 0, out
    [survey] = posthog.surveys()
    [group] = survey["targeting_flag"]["filters"]["groups"]
    assert group["rollout_percentage"] == 30
    assert survey["conditions"] == {"seenSurveyWaitPeriodInDays": 21}
    assert "Rollout: 30%" in out


def test_rollout_is_100_up_to_a_thousand_and_the_setting_over_it() -> None:
    assert [plan.rollout(n, 25) for n in (0, 999, 1000, 1001, 50_000)] == [100, 100, 100, 25, 25]


def test_a_dynamic_cohort_gets_the_handbooks_advice(run: Run) -> None:
    code, out = run(8, 5400)

    assert code == 0
    assert "Cohort 8 is dynamic." in out
    assert "static copy" in out
    assert "Duplicate as a static cohort" in out


def test_a_rerun_finds_its_survey_by_name_instead_of_making_another(run: Run, posthog: FakePostHog) -> None:
    assert run(7, 120)[0] == 0
    posthog.requests.clear()

    code, out = run(7, 120)

    assert code == 0, out
    assert len(posthog.surveys()) == 1
    assert posthog.count("POST *") == 0
    assert posthog.count("GET /api/projects/2/surveys/") == 1  # one search, by name
    assert "Found the survey 'User interviews: cohort 7' (made before)" in out
    assert "differs" not in out

    code, out = run(7, 5000)  # the same name, another rollout: reported, not changed
    assert code == 0
    assert "It differs from what recruit would make: its rollout is 100%" in out
    assert len(posthog.surveys()) == 1


def test_a_name_found_among_similar_ones_is_matched_exactly(run: Run, posthog: FakePostHog) -> None:
    assert run(7, 120, name="User interviews: cohort 77")[0] == 0

    code, _ = run(7, 120)

    assert code == 0
    assert sorted(s["name"] for s in posthog.surveys()) == [
        "User interviews: cohort 7",
        "User interviews: cohort 77",
    ]


def test_429_waits_as_retry_after_says_through_the_shared_policy(run: Run, posthog: FakePostHog) -> None:
    posthog.rate_limit(retry_after=3, match="POST *")

    code, _ = run(7, 120)

    assert code == 0
    assert run.waited == [3.0]  # recorded, not slept
    assert len(posthog.surveys()) == 1


def test_posthogs_validation_error_is_one_clean_line(run: Run) -> None:
    with pytest.raises(ServiceError) as refused:
        run(7, 120, name="x" * 401)

    assert str(refused.value).splitlines()[0] == (
        "posthog: create the survey: HTTP 400: name: Ensure this field has no more than 400 characters."
    )


def test_a_bad_key_is_refused_with_what_to_check(run: Run) -> None:
    with pytest.raises(FeedbackloopError) as refused:
        run(7, 120, POSTHOG_PERSONAL_API_KEY="phx_wrong")

    assert "HTTP 401: Personal API key found in request Authorization header is invalid." in str(
        refused.value
    )
    assert "check the token and its scopes" in str(refused.value)


def test_an_unknown_cohort_is_a_usage_error(run: Run, posthog: FakePostHog) -> None:
    with pytest.raises(UsageError, match="no cohort 99"):
        run(99, 10)
    assert posthog.surveys() == []


def test_through_the_cli_errors_are_lines_not_tracebacks(root: Path, posthog: FakePostHog) -> None:
    ran = feedbackloop(
        "recruit",
        "--cohort",
        "7",
        "--cohort-size",
        "120",
        "--link",
        LINK,
        "--name",
        "y" * 401,
        cwd=root,
        env=env(posthog),
    )
    assert ran.code == 1
    assert_no_traceback(ran)
    assert "error: posthog: create the survey: HTTP 400: name: Ensure this field" in ran.stderr

    insecure = feedbackloop(
        "recruit", "--cohort", "7", "--cohort-size", "1", "--link", "http://cal.com/x", cwd=root
    )
    assert insecure.code == 2
    assert "is not an https:// (or mailto:) link" in insecure.stderr

    missing = feedbackloop("recruit", "--cohort", "7", "--cohort-size", "1", "--link", LINK, cwd=root)
    assert missing.code == 2
    assert "POSTHOG_PERSONAL_API_KEY is not set" in missing.stderr


def test_the_dry_run_prints_the_request_and_needs_no_credentials(root: Path) -> None:
    ran = feedbackloop(
        "recruit",
        "--cohort",
        "8",
        "--cohort-size",
        "5400",
        "--link",
        LINK,
        "--dry-run",
        "--today",
        TODAY,
        cwd=root,
    )

    assert ran.code == 0, ran.output
    assert_no_traceback(ran)
    lines = ran.stdout.splitlines()
    assert lines[1] == "POST https://us.posthog.com/api/projects/<POSTHOG_PROJECT_ID>/surveys/"
    body: dict[str, Any] = json.loads("\n".join(lines[2 : lines.index("}") + 1]))
    assert body == plan.survey("User interviews: cohort 8", 8, LINK, 25, 14, date(2026, 11, 28))
    assert "Rollout: 25% (the cohort has 5,400 people, over 1,000" in ran.stdout
    assert "static copy" in ran.stdout
