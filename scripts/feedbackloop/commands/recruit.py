"""`feedbackloop recruit`: a PostHog survey that asks a cohort for an interview, made once.

The survey is PostHog's "User interview" template: a popover with one link question whose button
("Schedule") opens the team's scheduling link. It is found again by its name before it is made, so a
re-run says where it is instead of failing on PostHog's unique names or making a second one; a
survey found that differs from what recruit would make is reported, not changed (a teammate may have
raised its rollout on purpose). `--dry-run` prints the request and needs no credentials.
"""

from __future__ import annotations

import json
from typing import Any

import click

from feedbackloop.context import Context
from feedbackloop.errors import OK, UsageError
from feedbackloop.plan import recruit as plan
from feedbackloop.services.posthog import PostHog
from feedbackloop.services.retry import Ambiguous

KEY, PROJECT = "POSTHOG_PERSONAL_API_KEY", "POSTHOG_PROJECT_ID"


def run(
    context: Context, cohort_id: int, cohort_size: int, link: str, name: str | None, dry_run: bool
) -> int:
    if cohort_size < 0:
        raise UsageError("--cohort-size cannot be negative", "give the number of people in the cohort")
    link = link.strip()
    if not link.startswith(plan.LINK_SCHEMES):
        raise UsageError(
            f"--link {link!r} is not an https:// (or mailto:) link", "give the scheduling page's full link"
        )
    settings = context.settings
    percent = plan.rollout(cohort_size, settings.recruit_rollout)
    name = (name or "").strip() or plan.default_name(cohort_id)
    body = plan.survey(name, cohort_id, link, percent, settings.recruit_wait_days, context.today)
    env = context.env
    project = env.get(PROJECT)
    if dry_run:
        click.echo("Would send (dry run: nothing is sent):")
        click.echo(f"POST {env.posthog_host}/api/projects/{project or '<' + PROJECT + '>'}/surveys/")
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        click.echo(_rollout_line(cohort_size, percent))
        click.echo(plan.STATIC_ADVICE)
        return OK
    missing = env.missing(KEY, PROJECT)
    if missing:
        raise UsageError(
            f"{missing} is not set",
            f"set {KEY} (a personal API key with survey:write and cohort:read) and {PROJECT}; "
            "or pass --dry-run to see the request",
        )
    posthog = PostHog(env.posthog_host, env.get(KEY), project, context.policy, context.budget)
    try:
        return _recruit(posthog, cohort_id, cohort_size, percent, name, body)
    finally:
        posthog.close()
        click.echo(context.budget.line())


def _rollout_line(cohort_size: int, percent: int) -> str:
    if percent == 100:
        return f"Rollout: 100% (the cohort has {cohort_size:,} people, not over {plan.LARGE_COHORT:,})."
    return (
        f"Rollout: {percent}% (the cohort has {cohort_size:,} people, over {plan.LARGE_COHORT:,}: "
        "raise it in PostHog if too few people answer; `recruit_rollout` sets it)."
    )


def _recruit(
    posthog: PostHog, cohort_id: int, cohort_size: int, percent: int, name: str, body: dict[str, Any]
) -> int:
    cohort = posthog.cohort(cohort_id)
    if cohort is None:
        raise UsageError(f"PostHog has no cohort {cohort_id} in this project", "check --cohort")
    if not cohort.get("is_static"):
        click.echo(f"Cohort {cohort_id} is dynamic. {plan.STATIC_ADVICE}")
    count = cohort.get("count")
    if isinstance(count, int) and (count > plan.LARGE_COHORT) != (cohort_size > plan.LARGE_COHORT):
        click.echo(
            f"PostHog counts {count:,} people in cohort {cohort_id}, but --cohort-size is {cohort_size:,}: "
            f"the rollout ({percent}%) follows --cohort-size."
        )
    found = posthog.find_survey(name)
    if found is None:
        try:
            found = posthog.create_survey(body)
        except Ambiguous:
            found = posthog.find_survey(name) or posthog.create_survey(body)  # it may have been made
        click.echo(f"Created the survey {name!r}: {posthog.survey_url(str(found['id']))}")
        click.echo(_rollout_line(cohort_size, percent))
        return OK
    click.echo(f"Found the survey {name!r} (made before): {posthog.survey_url(str(found['id']))}")
    differs = plan.differences(found, body)
    if differs:
        click.echo(
            "It differs from what recruit would make: " + "; ".join(differs) + ". It is left as it is: "
            "change it in PostHog, or pass another --name for a new survey."
        )
    return OK
