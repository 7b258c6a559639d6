"""PostHog's private REST API through httpx: surveys and cohorts of one project.

Thin: one request per method (or per page), plain dicts back, the shared retries and budget. PostHog
answers a refusal as `{"type", "code", "detail", "attr"}`; the field (`attr`) goes into the message.
"""

from __future__ import annotations

from typing import Any

import httpx

from feedbackloop.services.http import JsonService
from feedbackloop.services.retry import Budget, Policy

PAGE = 100


class PostHog(JsonService):
    name = "posthog"

    def __init__(self, host: str, api_key: str, project_id: str, policy: Policy, budget: Budget) -> None:
        super().__init__(host.rstrip("/") + "/", {"Authorization": f"Bearer {api_key}"}, policy, budget)
        self.host = host.rstrip("/")
        self.project = f"api/projects/{project_id}"
        self.project_id = project_id

    def describe_error(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("detail"):
            where = f"{body['attr']}: " if body.get("attr") else ""
            return f"HTTP {response.status_code}: {where}{body['detail']}"
        return super().describe_error(response)

    def find_survey(self, name: str) -> dict[str, Any] | None:
        """The survey named exactly `name`, archived ones included (PostHog's search matches words)."""
        url: str | None = f"{self.project}/surveys/"
        params: dict[str, Any] | None = {"search": name, "limit": PAGE}
        while url:
            page = self.request("GET", url, what="look for the survey", params=params).json()
            for survey in page.get("results") or ():
                if isinstance(survey, dict) and survey.get("name") == name:
                    return survey
            url, params = page.get("next"), None  # `next` is a full URL with the query
        return None

    def create_survey(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.request(
            "POST", f"{self.project}/surveys/", what="create the survey", json=body, idempotent=False
        )
        return dict(response.json())

    def cohort(self, cohort_id: int) -> dict[str, Any] | None:
        response = self.request(
            "GET", f"{self.project}/cohorts/{cohort_id}/", what=f"read cohort {cohort_id}", accept=(404,)
        )
        return None if response.status_code == 404 else dict(response.json())

    def survey_url(self, survey_id: str) -> str:
        return f"{self.host}/project/{self.project_id}/surveys/{survey_id}"
