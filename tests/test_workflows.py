"""Every workflow is attack surface: least privilege, pinned actions, timeouts, concurrency, and no
event data expanded by `${{ }}` inside a shell script. Checked here by our own reading of the YAML, and
by zizmor and check-jsonschema, the tools the field uses."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
FORMS = sorted(p for p in (ROOT / ".github" / "ISSUE_TEMPLATE").glob("*.yml") if p.name != "config.yml")
BIN = Path(sys.executable).parent

# Expressions a `run:` script may contain: none. Values reach scripts through `env:` only, where the
# runner passes them as environment variables instead of pasting them into the script's text.
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict[str, Any]:
    # BaseLoader builds only strings, lists and mappings (so `on:` stays the string "on").
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # noqa: S506
    assert isinstance(data, dict), f"{path.name} is not a mapping"
    return data


def steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_name, step) for job_name, job in workflow["jobs"].items() for step in job.get("steps", [])]


def test_there_are_workflows() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "check.yml", "publish.yml", "remind.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_inside_a_script(path: Path) -> None:
    for job, step in steps(load(path)):
        script = step.get("run", "")
        assert not EXPRESSION.search(script), f"{path.name} job {job}: `${{{{ }}}}` inside run: {script!r}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege(path: Path) -> None:
    workflow = load(path)
    assert workflow.get("permissions") in ({}, "{}"), f"{path.name}: start from `permissions: {{}}`"
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{path.name} job {name}: give the job its own permissions"
        assert "write-all" not in str(permissions)
        for scope, level in permissions.items():
            assert level in ("read", "write", "none"), f"{path.name} job {name}: {scope}: {level}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_timeouts_and_concurrency(path: Path) -> None:
    workflow = load(path)
    assert "concurrency" in workflow, f"{path.name}: add a concurrency group"
    for name, job in workflow["jobs"].items():
        assert int(job.get("timeout-minutes", 0)) > 0, f"{path.name} job {name}: add timeout-minutes"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_pinned_and_checkout_without_credentials(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for job, step in steps(load(path)):
        uses = step.get("uses")
        if uses is None:
            continue
        assert PINNED.match(uses), f"{path.name} job {job}: pin {uses} to a full commit SHA"
        line = next(line for line in text.splitlines() if uses in line)
        assert re.search(r"#\s*v\d", line), f"{path.name}: say the version of {uses} in a comment"
        if uses.startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") == "false", (
                f"{path.name}: persist-credentials"
            )


SECRET = re.compile(r"\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)")
# Each service's secrets, and the environments that may hold them: a team protects each environment
# (required reviewers, deployment branches), so the Shopify token can need an approval of its own.
ENVIRONMENTS = {
    "FEEDBACKLOOP_GITHUB_TOKEN": {"feedback"},
    "SLACK_BOT_TOKEN": {"feedback", "shopify"},  # shopify's sends a gift card's code to an interviewer
    "GOOGLE_SERVICE_ACCOUNT_KEY": {"feedback"},
    "SHOPIFY_ADMIN_TOKEN": {"shopify"},
    "POSTHOG_PERSONAL_API_KEY": {"posthog"},
}


def environment_of(job: dict[str, Any]) -> str | None:
    environment = job.get("environment")
    name = environment.get("name") if isinstance(environment, dict) else environment
    return str(name) if name else None


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_secrets_only_in_jobs_bound_to_their_environment(path: Path) -> None:
    workflow = load(path)
    outside = SECRET.findall(json.dumps({k: v for k, v in workflow.items() if k != "jobs"}))
    assert not outside, f"{path.name}: secrets {outside} outside every job"
    for name, job in workflow["jobs"].items():
        # GITHUB_TOKEN is the job's own token, given to every job by the runner: not a team's secret.
        used = sorted(set(SECRET.findall(json.dumps(job))) - {"GITHUB_TOKEN"})
        if not used:
            continue
        environment = environment_of(job)
        assert environment, f"{path.name} job {name}: secrets {used} in a job without an environment"
        for secret in used:
            allowed = ENVIRONMENTS.get(secret)
            assert allowed is not None, f"{path.name} job {name}: which service is {secret} for?"
            assert environment in allowed, f"{path.name} job {name}: {secret} in `{environment}`"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_dangerous_triggers(path: Path) -> None:
    triggers = load(path)["on"]
    names = (
        set(triggers)
        if isinstance(triggers, dict)
        else {triggers}
        if isinstance(triggers, str)
        else set(triggers)
    )
    assert not names & {"pull_request_target", "workflow_run"}, f"{path.name}: {names}"


def test_the_checker_catches_what_it_should(tmp_path: Path) -> None:
    """The checks above can fail: a workflow with each mistake is refused by them."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: [issues]\n"
        "permissions: write-all\n"
        "jobs:\n"
        "  j:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ github.event.issue.title }}"\n'
    )
    for check in (test_no_expression_inside_a_script, test_least_privilege, test_timeouts_and_concurrency):
        with pytest.raises(AssertionError):
            check(bad)
    with pytest.raises(AssertionError):
        test_actions_pinned_and_checkout_without_credentials(bad)
    for job in (
        "    env: {SLACK_BOT_TOKEN: '${{ secrets.SLACK_BOT_TOKEN }}'}\n",  # no environment
        "    environment: feedback\n    env: {T: '${{ secrets.SHOPIFY_ADMIN_TOKEN }}'}\n",  # the wrong one
        "    environment: shopify\n    env: {T: '${{ secrets.GOOGLE_SERVICE_ACCOUNT_KEY }}'}\n",
    ):
        bad.write_text("on: [push]\njobs:\n  j:\n    runs-on: ubuntu-latest\n" + job)
        with pytest.raises(AssertionError):
            test_secrets_only_in_jobs_bound_to_their_environment(bad)


def _tool(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    located = shutil.which(name)
    assert located, f"{name} is not installed: it is in the test dependencies (pip install -e '.[test]')"
    return located


def test_zizmor_finds_nothing() -> None:
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", str(ROOT / ".github" / "workflows")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


def test_zizmor_finds_no_secret_outside_an_environment() -> None:
    """Its auditor persona's `secrets-outside-env`, which the default persona leaves out."""
    result = subprocess.run(
        [
            _tool("zizmor"),
            "--offline",
            "--no-progress",
            "--persona=auditor",
            str(ROOT / ".github" / "workflows"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "secrets-outside-env" not in result.stdout + result.stderr, result.stdout


def test_workflows_match_githubs_schema() -> None:
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(not FORMS, reason="no issue forms yet")
def test_issue_forms_match_githubs_schema() -> None:
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-issue-forms", *map(str, FORMS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
