"""The PostHog fake, exercised through httpx the way feedbackloop's `recruit` command talks to PostHog."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from fakes.posthog import AUTHENTICATION_FAILED, NOT_AUTHENTICATED, NOT_FOUND, FakePostHog
from fakes.server import Fault

START = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

# PostHog's "User interview" survey template (frontend/src/scenes/surveys/constants.tsx), filled in.
INTERVIEW_SURVEY: dict[str, Any] = {
    "name": "User interview: web analytics (2026-11)",
    "description": "Recruited by feedbackloop",
    "type": "popover",
    "questions": [
        {
            "type": "link",
            "question": "Would you be interested in participating in a customer interview?",
            "description": "We are looking for feedback on our product and would love to hear from you!",
            "descriptionContentType": "text",
            "buttonText": "Schedule",
            "link": "https://cal.com/acme/user-interview",
        }
    ],
    "appearance": {"thankYouMessageHeader": "Looking forward to chatting with you!"},
    "conditions": {"seenSurveyWaitPeriodInDays": 30},
    "targeting_flag_filters": {
        "groups": [{"properties": [{"key": "id", "type": "cohort", "value": 7}], "rollout_percentage": 50}]
    },
    "start_date": "2026-11-20T09:30:00Z",
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def posthog() -> Iterator[FakePostHog]:
    fake = FakePostHog(clock=Clock(START))
    with fake:
        fake.add_cohort(7, "Power users (interview pool)", count=120, is_static=False)
        yield fake


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module: building one (its TLS context) costs more than a test."""
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture
def client(posthog: FakePostHog, http: httpx.Client) -> httpx.Client:
    http.base_url = httpx.URL(posthog.url)
    http.headers["Authorization"] = f"Bearer {posthog.api_key}"
    return http


def survey(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(INTERVIEW_SURVEY)
    body.update(changes)
    return body


# -- surveys -------------------------------------------------------------------------------------------


def test_create_the_interview_survey(posthog: FakePostHog, client: httpx.Client) -> None:
    response = client.post("api/projects/2/surveys/", json=INTERVIEW_SURVEY)

    assert response.status_code == 201
    created = response.json()
    uuid.UUID(created["id"])
    assert created["name"] == INTERVIEW_SURVEY["name"]
    assert created["type"] == "popover"
    assert created["start_date"] == "2026-11-20T09:30:00Z"  # set: the survey is launched
    assert created["end_date"] is None
    assert created["archived"] is False
    assert created["created_at"] == "2026-11-20T09:30:00Z"
    assert created["conditions"] == {"seenSurveyWaitPeriodInDays": 30}
    [question] = created["questions"]
    uuid.UUID(question["id"])  # PostHog gives every question an id on save
    assert question["link"] == "https://cal.com/acme/user-interview"
    flag = created["targeting_flag"]
    assert flag["filters"] == INTERVIEW_SURVEY["targeting_flag_filters"]
    assert flag["key"].startswith("survey-targeting-")
    assert "targeting_flag_filters" not in created  # write-only: read back as targeting_flag.filters
    assert posthog.surveys() == [created]


def test_a_survey_is_found_again_by_name(posthog: FakePostHog, client: httpx.Client) -> None:
    for name in ("NPS 2026", "User interview: web analytics (2026-11)", "User interview: funnels (2026-12)"):
        assert client.post("api/projects/2/surveys/", json=survey(name=name)).status_code == 201

    listing = client.get("api/projects/2/surveys/", params={"search": "user interview: web analytics"})
    assert listing.status_code == 200
    page = listing.json()
    assert page["count"] == 1
    assert page["next"] is None
    assert page["previous"] is None
    assert [s["name"] for s in page["results"]] == ["User interview: web analytics (2026-11)"]

    found = client.get(f"api/projects/2/surveys/{page['results'][0]['id']}/").json()
    assert found == page["results"][0]


def test_survey_list_is_paginated(posthog: FakePostHog, client: httpx.Client) -> None:
    for index in range(5):
        assert (
            client.post("api/projects/2/surveys/", json=survey(name=f"User interview {index}")).status_code
            == 201
        )
    names: list[str] = []
    url: str | None = "api/projects/2/surveys/?limit=2&search=interview"
    while url:
        page = client.get(url).json()
        assert page["count"] == 5
        names += [s["name"] for s in page["results"]]
        url = page["next"]
    assert sorted(names) == [f"User interview {i}" for i in range(5)]
    second = client.get("api/projects/2/surveys/", params={"limit": 2, "offset": 2}).json()
    assert second["previous"] is not None
    assert "offset" not in second["previous"]


def test_trailing_slash_is_optional(posthog: FakePostHog, client: httpx.Client) -> None:
    created = client.post("api/projects/2/surveys", json=INTERVIEW_SURVEY)
    assert created.status_code == 201
    assert client.get(f"api/projects/2/surveys/{created.json()['id']}").status_code == 200
    assert client.get("api/projects/2/cohorts/7").status_code == 200


def test_patch_launches_renames_and_archives(posthog: FakePostHog, client: httpx.Client) -> None:
    draft = client.post("api/projects/2/surveys/", json=survey(start_date=None)).json()
    assert draft["start_date"] is None
    assert draft["targeting_flag"]["active"] is False

    url = f"api/projects/2/surveys/{draft['id']}/"
    launched = client.patch(url, json={"start_date": "2026-11-21T08:00:00Z"})
    assert launched.status_code == 200
    assert launched.json()["start_date"] == "2026-11-21T08:00:00Z"
    assert launched.json()["targeting_flag"]["active"] is True

    renamed = client.patch(url, json={"name": "User interview: renamed", "archived": True}).json()
    assert renamed["name"] == "User interview: renamed"
    assert renamed["archived"] is True
    assert client.get(url).json()["name"] == "User interview: renamed"

    missing = client.patch(f"api/projects/2/surveys/{uuid.uuid4()}/", json={"archived": True})
    assert missing.status_code == 404
    assert missing.json() == NOT_FOUND


def test_names_are_unique_in_the_project_archived_surveys_included(
    posthog: FakePostHog, client: httpx.Client
) -> None:
    first = client.post("api/projects/2/surveys/", json=INTERVIEW_SURVEY).json()
    client.patch(f"api/projects/2/surveys/{first['id']}/", json={"archived": True})

    again = client.post("api/projects/2/surveys/", json=INTERVIEW_SURVEY)
    assert again.status_code == 400
    assert again.json() == {
        "type": "validation_error",
        "code": "unique",
        "detail": "There is already a survey with this name.",
        "attr": None,
    }

    other = client.post("api/projects/2/surveys/", json=survey(name="Other")).json()
    clash = client.patch(f"api/projects/2/surveys/{other['id']}/", json={"name": INTERVIEW_SURVEY["name"]})
    assert clash.status_code == 400
    assert clash.json()["detail"] == "There is already another survey with this name."
    assert len(posthog.surveys()) == 2


@pytest.mark.parametrize(
    ("changes", "attr", "code", "detail"),
    [
        ({"name": None}, "name", "required", "This field is required."),
        ({"name": "   "}, "name", "blank", "This field may not be blank."),
        ({"name": "x" * 401}, "name", "max_length", "Ensure this field has no more than 400 characters."),
        ({"type": None}, "type", "required", "This field is required."),
        ({"type": "modal"}, "type", "invalid_choice", '"modal" is not a valid choice.'),
        ({"questions": {"type": "open"}}, "questions", "invalid", "Questions must be a list of objects"),
        ({"questions": [{"type": "open"}]}, "questions", "invalid", "Question text is required"),
        (
            {"questions": [{"type": "essay", "question": "Why?"}]},
            "questions",
            "invalid",
            "Question type must be one of: open, link, rating, multiple_choice, single_choice",
        ),
        (
            {"questions": [{"type": "link", "question": "Book?", "link": "http://cal.com/acme"}]},
            "questions",
            "invalid",
            "Link must be a URL with one of these schemes: [https, mailto]",
        ),
        (
            {"questions": [{"type": "link", "question": "Book?", "link": "https:///no-host"}]},
            "questions",
            "invalid",
            "Invalid HTTPS URL. Please enter a valid HTTPS link.",
        ),
        (
            {"questions": [{"type": "link", "question": "Book?", "link": "mailto:not-an-address"}]},
            "questions",
            "invalid",
            "Invalid mailto link. Please enter a valid mailto link (e.g., mailto:example@domain.com).",
        ),
        (
            {"questions": [{"type": "single_choice", "question": "Role?", "choices": ["CTO", " "]}]},
            "questions",
            "invalid",
            "Question choices cannot be empty",
        ),
        (
            {"conditions": ["seenSurveyWaitPeriodInDays"]},
            "conditions",
            "invalid",
            "Conditions must be an object",
        ),
        ({"schedule": "weekly"}, "schedule", "invalid", "Schedule must be one of: once, recurring, always"),
        (
            {"start_date": "next monday"},
            "start_date",
            "invalid",
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        ),
        (
            {"targeting_flag_filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}},
            None,
            "invalid",
            "Invalid operation: User targeting rolls out to everyone. "
            "If you want to roll out to everyone, delete this targeting",
        ),
        (
            {
                "targeting_flag_filters": {
                    "groups": [
                        {
                            "properties": [{"key": "id", "type": "cohort", "value": 99}],
                            "rollout_percentage": 50,
                        }
                    ]
                }
            },
            "filters",
            "cohort_does_not_exist",
            "Cohort with id 99 does not exist",
        ),
        (
            {
                "targeting_flag_filters": {
                    "groups": [
                        {
                            "properties": [{"key": "id", "type": "cohort", "value": 7}],
                            "rollout_percentage": 150,
                        }
                    ]
                }
            },
            "filters",
            "invalid",
            "Filters are not valid (rollout percentage must be between 0 and 100)",
        ),
    ],
)
def test_create_validation(
    posthog: FakePostHog,
    client: httpx.Client,
    changes: dict[str, Any],
    attr: str | None,
    code: str,
    detail: str,
) -> None:
    body = survey(**changes)
    for key, value in changes.items():
        if value is None and key in ("name", "type"):
            del body[key]
    response = client.post("api/projects/2/surveys/", json=body)
    assert response.status_code == 400
    assert response.json() == {"type": "validation_error", "code": code, "detail": detail, "attr": attr}
    assert posthog.surveys() == []


def test_valid_variants_are_accepted(posthog: FakePostHog, client: httpx.Client) -> None:
    questions = [
        {"type": "open", "question": "What is hard?"},
        {"type": "rating", "question": "How likely?", "scale": 10, "display": "number"},
        {"type": "multiple_choice", "question": "Which?", "choices": ["Funnels", "Trends"]},
        {"type": "link", "question": "Write to us", "link": "mailto:research@example.com"},
    ]
    response = client.post("api/projects/2/surveys/", json=survey(type="api", questions=questions))
    assert response.status_code == 201, response.text
    assert [q["type"] for q in response.json()["questions"]] == ["open", "rating", "multiple_choice", "link"]


def test_a_request_that_is_not_json_is_a_parse_error(posthog: FakePostHog, client: httpx.Client) -> None:
    response = client.post(
        "api/projects/2/surveys/", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


# -- cohorts -------------------------------------------------------------------------------------------


def test_cohort_is_read(posthog: FakePostHog, client: httpx.Client) -> None:
    posthog.add_cohort(8, "Interviewed already", count=12, is_static=True)
    cohort = client.get("api/projects/2/cohorts/8/")
    assert cohort.status_code == 200
    body = cohort.json()
    assert (body["id"], body["name"], body["count"], body["is_static"]) == (
        8,
        "Interviewed already",
        12,
        True,
    )
    assert "filters" in body
    assert body["deleted"] is False

    missing = client.get("api/projects/2/cohorts/404/")
    assert missing.status_code == 404
    assert missing.json() == NOT_FOUND


# -- auth, scopes, faults --------------------------------------------------------------------------------


def test_missing_or_wrong_key_is_401(posthog: FakePostHog, http: httpx.Client) -> None:
    http.headers.pop("Authorization", None)
    url = posthog.surveys_url
    missing = http.get(url)
    assert missing.status_code == 401
    assert missing.json() == NOT_AUTHENTICATED
    wrong = http.get(url, headers={"Authorization": "Bearer phx_wrong"})
    assert wrong.status_code == 401
    assert wrong.json() == AUTHENTICATION_FAILED
    project_key = http.post(url, headers={"Authorization": "phc_project_token"}, json=INTERVIEW_SURVEY)
    assert project_key.status_code == 401
    assert posthog.surveys() == []


def test_another_project_is_not_found(posthog: FakePostHog, client: httpx.Client) -> None:
    response = client.get("api/projects/3/surveys/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_key_without_the_write_scope_is_403(http: httpx.Client) -> None:
    posthog = FakePostHog(scopes={"survey:read", "cohort:read"})
    with posthog:
        headers = {"Authorization": "Bearer phx_test"}
        assert http.get(posthog.surveys_url, headers=headers).status_code == 200
        response = http.post(posthog.surveys_url, headers=headers, json=INTERVIEW_SURVEY)
        assert response.status_code == 403
        assert response.json() == {
            "type": "authentication_error",
            "code": "permission_denied",
            "detail": "API key missing required scope 'survey:write'",
            "attr": None,
        }


def test_429_with_retry_after(posthog: FakePostHog, client: httpx.Client) -> None:
    posthog.rate_limit(retry_after=7, match="POST /api/projects/2/surveys/")
    throttled = client.post("api/projects/2/surveys/", json=INTERVIEW_SURVEY)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "7"
    assert throttled.json() == {
        "type": "throttled_error",
        "code": "throttled",
        "detail": "Request was throttled. Expected available in 7 seconds.",
        "attr": None,
    }
    assert posthog.surveys() == []
    assert client.post("api/projects/2/surveys/", json=INTERVIEW_SURVEY).status_code == 201


def test_dropped_connection_after_create_leaves_a_survey_to_find(
    posthog: FakePostHog, client: httpx.Client
) -> None:
    posthog.inject(Fault.drop(), match="POST /api/projects/2/surveys/", after=True)
    with pytest.raises(httpx.TransportError):
        client.post("api/projects/2/surveys/", json=INTERVIEW_SURVEY)
    found = client.get("api/projects/2/surveys/", params={"search": INTERVIEW_SURVEY["name"]}).json()
    assert found["count"] == 1
    assert client.post("api/projects/2/surveys/", json=INTERVIEW_SURVEY).status_code == 400  # name taken
    assert posthog.count("POST /api/projects/2/surveys/") == 2
