"""A stateful fake of PostHog's private REST API (surveys and cohorts), served over HTTP on 127.0.0.1.

    with FakePostHog() as posthog:
        posthog.add_cohort(7, "Power users", count=120)
        httpx.post(f"{posthog.url}api/projects/2/surveys/", headers={"Authorization": "Bearer phx_test"},
                   json={...})
        posthog.surveys()                 # state
        posthog.rate_limit(retry_after=3) # next request answers 429 with Retry-After

Validation follows PostHog's own serializer (posthog/api/survey.py, SurveySerializerCreateUpdateOnly,
and the feature-flag filter checks it runs for targeting): errors are drf-exceptions-hog bodies
`{"type", "code", "detail", "attr"}`. Routes accept the trailing slash or not, as PostHog's router
(`trailing_slash = r"/?"`) does.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import re
import secrets
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlencode, urlparse

from .server import FakeService, Fault, HTTPError, Request, Response, route

SURVEY_TYPES = ("popover", "widget", "external_survey", "api")
#: question types PostHog's clients render; PostHog's serializer itself does not check `type` (see report)
QUESTION_TYPES = ("open", "link", "rating", "multiple_choice", "single_choice")
ALLOWED_LINK_URL_SCHEMES = ("https", "mailto")
EMAIL_LINK = re.compile(r"^mailto:[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$")
SCHEDULES = ("once", "recurring", "always")
NAME_MAX_LENGTH = 400
DEFAULT_PAGE_SIZE = 100
ALL_SCOPES = "*"

NOT_AUTHENTICATED = {
    "type": "authentication_error",
    "code": "not_authenticated",
    "detail": "Authentication credentials were not provided.",
    "attr": None,
}
AUTHENTICATION_FAILED = {
    "type": "authentication_error",
    "code": "authentication_failed",
    "detail": "Personal API key found in request Authorization header is invalid.",
    "attr": None,
}
NOT_FOUND = {"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None}

# Fields of a survey as PostHog's SurveySerializer returns them (read side).
_SURVEY_DEFAULTS: dict[str, Any] = {
    "description": "",
    "schedule": "once",
    "linked_flag": None,
    "linked_flag_id": None,
    "targeting_flag": None,
    "internal_targeting_flag": None,
    "questions": None,
    "conditions": None,
    "appearance": None,
    "start_date": None,
    "end_date": None,
    "archived": False,
    "responses_limit": None,
    "iteration_count": None,
    "iteration_frequency_days": None,
    "iteration_start_dates": [],
    "current_iteration": None,
    "current_iteration_start_date": None,
    "response_sampling_start_date": None,
    "response_sampling_interval_type": "week",
    "response_sampling_interval": None,
    "response_sampling_limit": None,
    "response_sampling_daily_limits": None,
    "enable_partial_responses": False,
}
_WRITABLE = {
    *_SURVEY_DEFAULTS,
    "name",
    "type",
    "targeting_flag_id",
    "targeting_flag_filters",
    "remove_targeting_flag",
    "_create_in_folder",
}
_WRITABLE -= {"linked_flag", "targeting_flag", "internal_targeting_flag", "current_iteration"}


def validation_error(detail: str, *, attr: str | None = None, code: str = "invalid") -> HTTPError:
    return HTTPError(400, {"type": "validation_error", "code": code, "detail": detail, "attr": attr})


def _isoformat(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_datetime(value: Any, attr: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return _isoformat(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    raise validation_error(
        "Datetime has wrong format. Use one of these formats instead: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        attr=attr,
    )


@dataclass
class Cohort:
    id: int
    name: str
    count: int | None = None
    is_static: bool = False
    filters: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    deleted: bool = False
    created_at: str = "2026-01-05T10:00:00Z"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "groups": [],
            "deleted": self.deleted,
            "filters": self.filters,
            "query": None,
            "is_calculating": False,
            "created_by": None,
            "created_at": self.created_at,
            "last_calculation": self.created_at,
            "errors_calculating": 0,
            "count": self.count,
            "is_static": self.is_static,
            "experiment_set": [],
        }


class FakePostHog(FakeService):
    """PostHog's private API for one project and one personal API key."""

    name = "posthog"

    def __init__(
        self,
        api_key: str = "phx_test",
        project_id: int = 2,
        *,
        scopes: Iterable[str] = (ALL_SCOPES,),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.project_id = project_id
        self.scopes = frozenset(scopes)
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self._surveys: dict[str, dict[str, Any]] = {}
        self._cohorts: dict[int, Cohort] = {}
        self._flags = 0
        self._state_lock = threading.RLock()

    # -- helpers for tests ---------------------------------------------------------------------------
    def add_cohort(
        self,
        id: int,
        name: str,
        count: int | None = None,
        is_static: bool = False,
        *,
        filters: dict[str, Any] | None = None,
    ) -> None:
        with self._state_lock:
            self._cohorts[id] = Cohort(id, name, count, is_static, filters or {"properties": {}})

    def surveys(self) -> list[dict[str, Any]]:
        """Every survey (archived too) as the API would return it, oldest first."""
        with self._state_lock:
            return [copy.deepcopy(s) for s in sorted(self._surveys.values(), key=lambda s: s["created_at"])]

    def rate_limit(self, retry_after: int = 3, *, times: int = 1, match: str = "*") -> None:
        """The next `times` matching requests answer 429 with `Retry-After`, as PostHog's throttles do."""
        body = {
            "type": "throttled_error",
            "code": "throttled",
            "detail": f"Request was throttled. Expected available in {retry_after} seconds.",
            "attr": None,
        }
        self.inject(
            Fault.status(429, headers={"Retry-After": str(retry_after)}, body=body), match=match, times=times
        )

    @property
    def surveys_url(self) -> str:
        return f"{self.url}api/projects/{self.project_id}/surveys/"

    def _dispatch(self, http: BaseHTTPRequestHandler) -> None:
        # Without TCP_NODELAY each exchange on a kept-alive connection waits ~40 ms for a delayed ACK.
        # (`disable_nagle_algorithm = True` on server.py's handler would do this for every fake.)
        with contextlib.suppress(OSError):
            http.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super()._dispatch(http)

    # -- HTTP plumbing -------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """PostHog's router takes the trailing slash as optional (`trailing_slash = r"/?"`)."""
        if not request.path.endswith("/"):
            request = dataclasses.replace(request, path=request.path + "/")
        return super().handle(request)

    def not_found(self, request: Request) -> Response:
        return Response(404, {**NOT_FOUND, "detail": "Endpoint not found."})

    def _authorize(self, request: Request, project_id: str, scope: str) -> None:
        header = request.headers.get("authorization", "")
        if not header:
            raise HTTPError(401, NOT_AUTHENTICATED, {"WWW-Authenticate": "Bearer"})
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.api_key:
            raise HTTPError(401, AUTHENTICATION_FAILED, {"WWW-Authenticate": "Bearer"})
        if ALL_SCOPES not in self.scopes and scope not in self.scopes:
            raise HTTPError(
                403,
                {
                    "type": "authentication_error",
                    "code": "permission_denied",
                    "detail": f"API key missing required scope '{scope}'",
                    "attr": None,
                },
            )
        if project_id != str(self.project_id):
            raise HTTPError(404, {**NOT_FOUND, "detail": "Project not found."})

    @staticmethod
    def _json_object(request: Request) -> dict[str, Any]:
        try:
            payload = request.json()
        except ValueError as error:
            raise HTTPError(
                400,
                {
                    "type": "validation_error",
                    "code": "parse_error",
                    "detail": f"JSON parse error - {error}",
                    "attr": None,
                },
            ) from None
        if not isinstance(payload, dict):
            raise validation_error(
                "Invalid data. Expected a dictionary, but got list.", attr="non_field_errors"
            )
        return payload

    # -- surveys -------------------------------------------------------------------------------------
    @route("GET", "/api/projects/{project_id}/surveys/")
    def list_surveys(self, request: Request, project_id: str) -> Response:
        self._authorize(request, project_id, "survey:read")
        with self._state_lock:
            found = sorted(self._surveys.values(), key=lambda s: s["created_at"], reverse=True)
        search = (request.arg("search") or "").strip().lower()
        if search:
            terms = search.split()
            found = [
                s
                for s in found
                if all(t in s["name"].lower() or t in (s["description"] or "").lower() for t in terms)
            ]
        limit = _int_arg(request.arg("limit"), DEFAULT_PAGE_SIZE)
        offset = _int_arg(request.arg("offset"), 0)
        page = found[offset : offset + limit]

        def link(new_offset: int) -> str:
            params = {k: v[-1] for k, v in request.query.items()}
            params.update({"limit": str(limit), "offset": str(new_offset)})
            if new_offset == 0:
                params.pop("offset")
            return f"{self.url.rstrip('/')}{request.path}?{urlencode(params)}"

        return Response(
            200,
            {
                "count": len(found),
                "next": link(offset + limit) if offset + limit < len(found) else None,
                "previous": link(max(offset - limit, 0)) if offset > 0 else None,
                "results": [dict(s) for s in page],
            },
        )

    @route("POST", "/api/projects/{project_id}/surveys/")
    def create_survey(self, request: Request, project_id: str) -> Response:
        self._authorize(request, project_id, "survey:write")
        data = self._json_object(request)
        with self._state_lock:
            clean = self._validate(data, existing=None)
            now = _isoformat(self.clock())
            survey: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                **_SURVEY_DEFAULTS,
                "name": clean["name"],
                "type": clean["type"],
                "created_at": now,
                "created_by": {
                    "id": 1,
                    "uuid": str(uuid.uuid4()),
                    "first_name": "API",
                    "email": "api@example.com",
                },
            }
            self._apply(survey, clean, creating=True)
            self._surveys[survey["id"]] = survey
            return Response(201, dict(survey))

    @route("GET", "/api/projects/{project_id}/surveys/{survey_id}/")
    def get_survey(self, request: Request, project_id: str, survey_id: str) -> Response:
        self._authorize(request, project_id, "survey:read")
        with self._state_lock:
            return Response(200, dict(self._survey(survey_id)))

    @route("PATCH", "/api/projects/{project_id}/surveys/{survey_id}/")
    def update_survey(self, request: Request, project_id: str, survey_id: str) -> Response:
        self._authorize(request, project_id, "survey:write")
        data = self._json_object(request)
        with self._state_lock:
            survey = self._survey(survey_id)
            clean = self._validate(data, existing=survey)
            self._apply(survey, clean, creating=False)
            return Response(200, dict(survey))

    def _survey(self, survey_id: str) -> dict[str, Any]:
        survey = self._surveys.get(survey_id)
        if survey is None:
            raise HTTPError(404, NOT_FOUND)
        return survey

    # -- cohorts -------------------------------------------------------------------------------------
    @route("GET", "/api/projects/{project_id}/cohorts/{cohort_id}/")
    def get_cohort(self, request: Request, project_id: str, cohort_id: str) -> Response:
        self._authorize(request, project_id, "cohort:read")
        with self._state_lock:
            cohort = self._cohorts.get(int(cohort_id)) if cohort_id.isdigit() else None
            if cohort is None:
                raise HTTPError(404, NOT_FOUND)
            return Response(200, cohort.as_json())

    # -- validation, in the order of PostHog's serializer ----------------------------------------------
    def _validate(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        creating = existing is None
        clean = {k: v for k, v in data.items() if k in _WRITABLE}

        if creating or "name" in data:
            name = data.get("name")
            if name is None:
                if creating and "name" not in data:
                    raise validation_error("This field is required.", attr="name", code="required")
                raise validation_error("This field may not be null.", attr="name", code="null")
            if not isinstance(name, str):
                raise validation_error("Not a valid string.", attr="name")
            if not name.strip():
                raise validation_error("This field may not be blank.", attr="name", code="blank")
            if len(name) > NAME_MAX_LENGTH:
                raise validation_error(
                    f"Ensure this field has no more than {NAME_MAX_LENGTH} characters.",
                    attr="name",
                    code="max_length",
                )
            clean["name"] = name.strip()
        if creating or "type" in data:
            kind = data.get("type")
            if kind is None:
                if creating and "type" not in data:
                    raise validation_error("This field is required.", attr="type", code="required")
                raise validation_error("This field may not be null.", attr="type", code="null")
            if kind not in SURVEY_TYPES:
                raise validation_error(f'"{kind}" is not a valid choice.', attr="type", code="invalid_choice")
        if "description" in data and not isinstance(data["description"], str):
            raise validation_error("Not a valid string.", attr="description")
        if (
            "appearance" in data
            and data["appearance"] is not None
            and not isinstance(data["appearance"], dict)
        ):
            raise validation_error("Appearance must be an object", attr="appearance")
        if "conditions" in data:
            _validate_conditions(data["conditions"])
        if "questions" in data:
            clean["questions"] = _validate_questions(data["questions"])
        if "schedule" in data and data["schedule"] is not None and data["schedule"] not in SCHEDULES:
            raise validation_error("Schedule must be one of: once, recurring, always", attr="schedule")
        for attr in ("start_date", "end_date"):
            if attr in data:
                clean[attr] = _parse_datetime(data[attr], attr)
        if "archived" in data and not isinstance(data["archived"], bool):
            raise validation_error("Must be a valid boolean.", attr="archived")

        # validate(): name uniqueness across the whole project, archived surveys included
        name = clean.get("name")
        if name is not None:
            clash = [s for s in self._surveys.values() if s["name"] == name and s is not existing]
            if clash and creating:
                raise validation_error("There is already a survey with this name.", code="unique")
            if clash and existing is not None and existing["name"] != name:
                raise validation_error("There is already another survey with this name.", code="unique")
        filters = data.get("targeting_flag_filters")
        if filters:
            self._validate_targeting(filters)
        return clean

    def _validate_targeting(self, filters: Any) -> None:
        if not isinstance(filters, dict):
            raise validation_error("Filters are not valid (can only use group properties)", attr="filters")
        groups = filters.get("groups") or []
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            raise validation_error("Filters are not valid (can only use group properties)", attr="filters")
        if any(g.get("rollout_percentage") in (100, None) and not g.get("properties") for g in groups):
            raise validation_error(
                "Invalid operation: User targeting rolls out to everyone. "
                "If you want to roll out to everyone, delete this targeting",
            )
        for group in groups:
            rollout = group.get("rollout_percentage")
            if rollout is not None and (
                isinstance(rollout, bool) or not isinstance(rollout, (int, float)) or not 0 <= rollout <= 100
            ):
                raise validation_error(
                    "Filters are not valid (rollout percentage must be between 0 and 100)", attr="filters"
                )
            for prop in group.get("properties") or []:
                if not isinstance(prop, dict) or "key" not in prop:
                    raise validation_error(
                        "Filters are not valid (property is missing a key)", attr="filters"
                    )
                if prop.get("type") == "cohort":
                    value = prop.get("value")
                    cohort_id = int(str(value)) if str(value).isdigit() else None
                    if cohort_id is None or cohort_id not in self._cohorts:
                        raise validation_error(
                            f"Cohort with id {value} does not exist",
                            attr="filters",
                            code="cohort_does_not_exist",
                        )

    def _apply(self, survey: dict[str, Any], clean: dict[str, Any], *, creating: bool) -> None:
        filters = clean.pop("targeting_flag_filters", None)
        remove = clean.pop("remove_targeting_flag", None)
        clean.pop("targeting_flag_id", None)
        clean.pop("_create_in_folder", None)
        survey.update(clean)
        if remove and survey["targeting_flag"]:
            survey["targeting_flag"] = None
        if filters:
            if survey["targeting_flag"]:
                flag = survey["targeting_flag"]
                flag["filters"] = {**flag["filters"], **filters}
            else:
                self._flags += 1
                survey["targeting_flag"] = {
                    "id": self._flags,
                    "team_id": self.project_id,
                    "name": f"Targeting flag for survey {survey['name']}",
                    "key": f"survey-targeting-{secrets.token_hex(5)}",
                    "filters": filters,
                    "deleted": False,
                    "active": False,  # created inactive by create(); update() switches it on
                }
        if survey["targeting_flag"] and not creating:
            # SurveySerializerCreateUpdateOnly.update(): the flag is on while the survey has not ended
            survey["targeting_flag"]["active"] = survey["end_date"] is None
        survey["feature_flag_keys"] = [
            {"key": "linked_flag_key", "value": None},
            {"key": "targeting_flag_key", "value": (survey["targeting_flag"] or {}).get("key")},
            {"key": "internal_targeting_flag_key", "value": f"survey-targeting-{survey['id'][:8]}-custom"},
            {"key": "internal_response_sampling_flag_key", "value": None},
        ]


def _validate_conditions(value: Any) -> None:
    if value is not None and not isinstance(value, dict):
        raise validation_error("Conditions must be an object", attr="conditions")


def _validate_questions(value: Any) -> list[dict[str, Any]] | None:
    """PostHog's validate_questions, plus the question `type` check described in QUESTION_TYPES."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise validation_error("Questions must be a list of objects", attr="questions")
    cleaned: list[dict[str, Any]] = []
    for raw in value:
        if not isinstance(raw, dict):
            raise validation_error("Questions must be a list of objects", attr="questions")
        if not raw.get("question"):
            raise validation_error("Question text is required", attr="questions")
        if raw.get("type") not in QUESTION_TYPES:
            raise validation_error(
                f"Question type must be one of: {', '.join(QUESTION_TYPES)}", attr="questions"
            )  # stricter than PostHog's serializer, see QUESTION_TYPES
        content_type = raw.get("descriptionContentType")
        if content_type and content_type not in ("text", "html"):
            raise validation_error(
                "Question descriptionContentType must be one of ['text', 'html']", attr="questions"
            )
        choices = raw.get("choices")
        if choices:
            if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
                raise validation_error("Question choices must be a list of strings", attr="questions")
            if any(not c.strip() for c in choices):
                raise validation_error("Question choices cannot be empty", attr="questions")
        link = raw.get("link")
        if link:
            parsed = urlparse(str(link))
            if parsed.scheme not in ALLOWED_LINK_URL_SCHEMES:
                raise validation_error(
                    f"Link must be a URL with one of these schemes: [{', '.join(ALLOWED_LINK_URL_SCHEMES)}]",
                    attr="questions",
                )
            if parsed.scheme == "mailto" and not EMAIL_LINK.match(str(link)):
                raise validation_error(
                    "Invalid mailto link. "
                    "Please enter a valid mailto link (e.g., mailto:example@domain.com).",
                    attr="questions",
                )
            if parsed.scheme == "https" and not parsed.netloc:
                raise validation_error(
                    "Invalid HTTPS URL. Please enter a valid HTTPS link.", attr="questions"
                )
        question = dict(raw)
        question.setdefault("id", str(uuid.uuid4()))  # ensure_question_ids, on save
        cleaned.append(question)
    return cleaned


def _int_arg(value: str | None, default: int) -> int:
    if value is None or not value.isdigit():
        return default
    return int(value)


__all__ = ["AUTHENTICATION_FAILED", "NOT_AUTHENTICATED", "NOT_FOUND", "Cohort", "FakePostHog"]
