"""The recruiting survey, decided: PostHog's "User interview" template, pointed at a cohort. Pure.

The handbook's advice, as numbers: target a cohort (a static copy of it, so the audience does not shift
while the survey runs), a wait period of 14 days since the person's last survey, and a rollout of 100%,
or of 20 to 30% for a cohort of more than 1,000 people so the calls do not all come at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

QUESTION = "Would you be interested in participating in a customer interview?"
DESCRIPTION = "We are looking for feedback on our product and would love to hear from you!"
BUTTON = "Schedule"
THANK_YOU = "Looking forward to chatting with you!"
LARGE_COHORT = 1000
LINK_SCHEMES = ("https://", "mailto:")  # what PostHog accepts for a link question

STATIC_ADVICE = (
    "Target a static cohort. The handbook recommends creating the cohort first, with a static copy, "
    "and using that copy as the survey's display condition: a dynamic cohort changes while the survey "
    "runs (and one with behavioural criteria cannot target a survey at all). In PostHog, open the "
    "cohort, choose Duplicate as a static cohort, and run recruit again with the copy's id."
)


def default_name(cohort_id: int) -> str:
    return f"User interviews: cohort {cohort_id}"


def rollout(cohort_size: int, large_rollout: int) -> int:
    """100%, or `large_rollout` (20 to 30, a setting) for a cohort over 1,000 people."""
    return large_rollout if cohort_size > LARGE_COHORT else 100


def survey(name: str, cohort_id: int, link: str, percent: int, wait_days: int, start: date) -> dict[str, Any]:
    """The request body of `POST /api/projects/:id/surveys/`: a popover with one link question,
    launched (`start_date`), shown to `percent`% of the cohort, to people who saw no survey for
    `wait_days` days."""
    return {
        "name": name,
        "description": "Recruits users for interviews (made by feedbackloop recruit).",
        "type": "popover",
        "questions": [
            {
                "type": "link",
                "question": QUESTION,
                "description": DESCRIPTION,
                "descriptionContentType": "text",
                "buttonText": BUTTON,
                "link": link,
            }
        ],
        "appearance": {"thankYouMessageHeader": THANK_YOU},
        "conditions": {"seenSurveyWaitPeriodInDays": wait_days},
        "targeting_flag_filters": {
            "groups": [
                {
                    "properties": [{"key": "id", "type": "cohort", "value": cohort_id}],
                    "rollout_percentage": percent,
                }
            ]
        },
        "start_date": f"{start.isoformat()}T00:00:00Z",
    }


def differences(found: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """How a survey PostHog holds differs from the one recruit would make, in words."""
    out = []
    flag = found.get("targeting_flag") or {}
    groups = ((flag.get("filters") or {}).get("groups")) or []
    wanted_group = wanted["targeting_flag_filters"]["groups"][0]
    cohorts = [p.get("value") for g in groups for p in g.get("properties") or () if p.get("type") == "cohort"]
    if [str(c) for c in cohorts] != [str(wanted_group["properties"][0]["value"])]:
        out.append(f"it targets cohort {', '.join(map(str, cohorts)) or 'nobody'}")
    rollouts = [g.get("rollout_percentage") for g in groups]
    if rollouts and rollouts != [wanted_group["rollout_percentage"]]:
        out.append(f"its rollout is {', '.join(f'{r}%' for r in rollouts)}")
    links = [q.get("link") for q in found.get("questions") or () if q.get("type") == "link"]
    if links != [wanted["questions"][0]["link"]]:
        out.append("its link is another")
    wait = (found.get("conditions") or {}).get("seenSurveyWaitPeriodInDays")
    if wait != wanted["conditions"]["seenSurveyWaitPeriodInDays"]:
        out.append(f"its wait period is {wait} days")
    if found.get("archived"):
        out.append("it is archived")
    elif found.get("end_date"):
        out.append("it has ended")
    return out
