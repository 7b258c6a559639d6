"""A team's repository on FakeGitHub, issue forms filled in as GitHub renders them, and a replay of
.github/workflows/intake.yml as a runner runs it, for the intake tests.

    desk = Desk.create(tmp_path)                       # the repository pushed to FakeGitHub, checked out
    number = desk.open_issue(INTERVIEW, interview_answers(topic="Surveys"))
    ran = desk.replay(desk.event("opened", number))    # intake.yml's steps, with a runner's environment
    desk.github.pulls(REPO), desk.comments(number), desk.stub(number)

Forms are rendered from the form files themselves (`### <label>`, a blank line, the answer or
`_No response_`, `- [X] option` for a ticked box), so a test fails when a form and what intake reads
drift apart. The replay reads intake.yml: it evaluates the job's `if:` on the event, gives each step the
environment a runner gives (GITHUB_EVENT_PATH, GITHUB_ENV, RUNNER_TEMP, the step's `env:` with secrets
and variables), runs each `run:` with bash as Actions does, and skips the `uses:` steps, whose work the
test did (the checkout is `desk.root`; Python is this virtual environment, with feedbackloop in it).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from fakes.github import FakeGitHub
from fakes.google import FakeGoogleAuth, FakeGoogleCalendar
from helpers_repo import PROJECT, git, make_repo

REPO = "acme/interviews"
SERVER = "https://github.com"
WORKFLOW = PROJECT / ".github" / "workflows" / "intake.yml"
FORMS = PROJECT / ".github" / "ISSUE_TEMPLATE"
INTERVIEW = "new-interview.yml"
FEEDBACK = "share-feedback.yml"
CALENDAR = "interviews@group.calendar.google.com"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 28)
TEAM = ("alice", "bob", "carol")
INSTALL = "python -m pip install --disable-pip-version-check ."


def pyproject(**settings: Any) -> str:
    """pyproject.toml with the team's roster (e-mails for invitations) and `settings`."""
    lines = ["[project]", 'name = "acme-interviews"', "", "[tool.feedbackloop]"]
    for key, value in settings.items():
        lines.append(f"{key} = {json.dumps(value)}")
    lines.append("roster = [")
    for login in TEAM:
        lines.append(
            f'  {{ github = "{login}", slack = "U0{login.upper()}", email = "{login}@acme.example" }},'
        )
    lines.append("]")
    return "\n".join(lines) + "\n"


# -- issue forms, as GitHub renders them ---------------------------------------------------------
def load_form(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((FORMS / name).read_text(encoding="utf-8"))
    return loaded


def render_form(name: str, answers: Mapping[str, str | bool | list[str] | None]) -> str:
    """The issue body GitHub writes for `answers` (by field id) to the form `name`."""
    parts = []
    for item in load_form(name)["body"]:
        if item["type"] == "markdown":
            continue
        label = item["attributes"]["label"]
        answer = answers.get(item["id"])
        if item["type"] == "checkboxes":
            ticked = set(answer) if isinstance(answer, list) else set()
            text = "\n".join(
                f"- [{'X' if option['label'] in ticked else ' '}] {option['label']}"
                for option in item["attributes"]["options"]
            )
        else:
            text = str(answer) if answer not in (None, "", False) else "_No response_"
        parts.append(f"### {label}\n\n{text}")
    return "\n\n".join(parts)


def interview_answers(**changes: str | list[str] | None) -> dict[str, str | list[str] | None]:
    answers: dict[str, str | list[str] | None] = {
        "topic": "Surveys",
        "first_name": "Lena",
        "profile": "https://us.posthog.com/project/2/person/0194f2a8-lena",
        "date": "2026-12-03",
        "time": "15:00",
        "interviewers": "alice, @bob",
        "recruited_via": "survey",
        "consent": ["I will ask for consent before recording"],
    }
    answers.update(changes)
    return answers


def feedback_answers(**changes: str | None) -> dict[str, str | list[str] | None]:
    answers: dict[str, str | list[str] | None] = {
        "first_name": "Ana",
        "profile": "https://us.posthog.com/project/2/person/0195a3b1-ana",
        "received_via": "slack",
        "date": "2026-11-24",
        "received_by": None,
        "feedback": "The SQL editor loses the query when the tab is reloaded.\nShe rewrites it from memory.",
        "request_type": "bug",
        "request_title": "SQL editor loses the query on reload",
        "request_details": None,
    }
    answers.update(changes)
    return answers


# -- the replay ------------------------------------------------------------------------------------
def load_workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    if True in loaded:  # PyYAML reads the key `on` as the boolean true (YAML 1.1)
        loaded["on"] = loaded.pop(True)
    return loaded


_CONTAINS = re.compile(r"contains\(github\.event\.issue\.labels\.\*\.name, '([^']+)'\)")


def job_runs(condition: str, event: Mapping[str, Any]) -> bool:
    """The job's `if:`, which must be `contains(github.event.issue.labels.*.name, '…')` terms joined by
    `||`: evaluated on the event as Actions would."""
    terms = [t.strip() for t in condition.split("||")]
    labels = {label["name"] for label in event["issue"].get("labels") or ()}
    wanted = []
    for term in terms:
        found = _CONTAINS.fullmatch(term)
        assert found, f"the job's if: has a term the replay does not model: {term}"
        wanted.append(found[1])
    # contains() on an array compares case-insensitively
    return any(w.casefold() in {name.casefold() for name in labels} for w in wanted)


def if_labels(condition: str) -> list[str]:
    return _CONTAINS.findall(condition)


_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def evaluate(value: str, context: Mapping[str, Mapping[str, str]]) -> str:
    """`${{ … }}` in a step's `env:`: only `secrets.X`, `vars.X`, `github.token` and `a || b`."""

    def one(found: re.Match[str]) -> str:
        for term in (t.strip() for t in found[1].split("||")):
            scope, _, name = term.partition(".")
            assert scope in ("secrets", "vars", "github"), f"unexpected expression: {term}"
            assert name, f"unexpected expression: {term}"
            assert scope != "github" or name == "token", f"event data in an expression: {term}"
            result = context[scope].get(name, "")
            if result:
                return result
        return ""

    return _EXPRESSION.sub(one, value)


@dataclass(frozen=True)
class Ran:
    ran: bool  # False: the job's `if:` skipped it
    code: int
    out: str
    steps: list[str] = field(default_factory=list)  # the names of the `run:` steps that ran


@dataclass
class Desk:
    tmp: Path
    root: Path
    github: FakeGitHub
    auth: FakeGoogleAuth | None = None
    calendar: FakeGoogleCalendar | None = None
    secrets: dict[str, str] = field(default_factory=dict)  # the `feedback` environment's
    variables: dict[str, str] = field(default_factory=dict)
    runs: int = 0

    @classmethod
    def create(cls, tmp: Path, *, calendar: bool = False, delegation: bool = False, **settings: Any) -> Desk:
        github = FakeGitHub(token="ghs_intake").start()
        github.set_time(NOW)
        github.add_repo(REPO, collaborators=TEAM)
        if calendar:
            settings.setdefault("google_calendar_id", CALENDAR)
            settings.setdefault("timezone", "Europe/Paris")
        root = make_repo(tmp / "checkout", pyproject=pyproject(**settings))
        shutil.copytree(PROJECT / ".github", root / ".github")
        git(root, "add", "--", ".github")
        git(root, "commit", "--quiet", "-m", "The workflows and forms")
        github.import_git(root, REPO)
        desk = cls(tmp, root, github)
        if calendar:
            desk.auth = FakeGoogleAuth(
                domain_wide_delegation=delegation
            ).start()  # google-auth signs with the real clock
            desk.calendar = FakeGoogleCalendar(desk.auth).start()
            desk.calendar.add_calendar(CALENDAR, time_zone="Europe/Paris")
            desk.secrets["GOOGLE_SERVICE_ACCOUNT_KEY"] = json.dumps(desk.auth.service_account_info())
        return desk

    def stop(self) -> None:
        for service in (self.github, self.calendar, self.auth):
            if service is not None:
                service.stop()

    # -- issues ------------------------------------------------------------------------------------
    def open_issue(
        self,
        form: str,
        answers: Mapping[str, Any],
        *,
        title: str = "",
        user: str = "carol",
        body: str | None = None,
    ) -> int:
        """Someone files the form (the fake records the issue as GitHub would, labels included)."""
        spec = load_form(form)
        return self.github.seed_issue(
            REPO,
            title or str(spec["title"]),
            body if body is not None else render_form(form, answers),
            labels=spec["labels"],
            user=user,
        )

    def edit_issue(self, number: int, form: str, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Someone edits the issue's body; the `edited` event's payload."""
        issue = self.github.repo(REPO).issues[number]
        before = issue.body
        issue.body = render_form(form, answers)
        self.github.advance(60)
        issue.updated_at = self.github.now()
        return self.event("edited", number, changes={"body": {"from": before}})

    def event(self, action: str, number: int, **extra: Any) -> dict[str, Any]:
        """An `issues` event payload as GitHub delivers it, the issue as the API renders it now."""
        issue = self.github.issue(REPO, number)
        repository = self.github._repo_json(self.github.repo(REPO))
        return {
            "action": action,
            "issue": issue,
            "repository": repository,
            "sender": issue["user"],
            **extra,
        }

    def comments(self, number: int) -> list[dict[str, Any]]:
        return self.github.comments(REPO, number)

    def pulls(self) -> list[dict[str, Any]]:
        return self.github.pulls(REPO)

    def text(self, path: str, ref: str) -> str | None:
        raw = self.github.read_file(REPO, path, ref)
        return raw.decode("utf-8") if raw is not None else None

    def files_on(self, ref: str, folder: str = "interviews/") -> dict[str, str]:
        return {
            path: raw.decode("utf-8")
            for path, raw in self.github.files(REPO, ref).items()
            if path.startswith(folder)
        }

    def checkout_main(self) -> None:
        """What actions/checkout does at the start of the next run: the remote's main in the work tree."""
        self.github.export_git(REPO, self.root, branch="main")
        git(self.root, "reset", "--quiet", "--hard", "main")

    def forget(self, who: str, *, dry_run: bool = False, env: Mapping[str, str] | None = None) -> Ran:
        """`feedbackloop forget WHO` in this process, in the checkout at the remote's main, as a teammate
        runs it: GitHub's token, the calendar's key and endpoint. Retry waits are recorded, not slept."""
        from feedbackloop.commands import forget
        from feedbackloop.config import Environment
        from feedbackloop.context import Context
        from feedbackloop.errors import FeedbackloopError
        from feedbackloop.services.retry import Policy

        self.checkout_main()
        self.runs += 1
        run_dir = self.tmp / f"run-{self.runs}"
        run_dir.mkdir(parents=True)
        summary = run_dir / "step_summary.md"
        env = {
            "GITHUB_TOKEN": self.github.token,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": self.github.url.rstrip("/"),
            "GITHUB_SERVER_URL": SERVER,
            "GITHUB_STEP_SUMMARY": str(summary),
            **(env or {}),
        }
        if self.calendar is not None:
            key = run_dir / "google-key.json"
            key.write_text(self.secrets["GOOGLE_SERVICE_ACCOUNT_KEY"], encoding="utf-8")
            env["GOOGLE_APPLICATION_CREDENTIALS"] = str(key)
            env["GOOGLE_CALENDAR_API_URL"] = self.calendar.base_url

        def wait(seconds: float) -> None:
            self.github.advance(seconds)

        context = Context(self.root, Environment(env), TODAY, policy=Policy(sleep=wait))
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                code = forget.run(context, who, dry_run)
            except FeedbackloopError as error:
                print(f"error: {error}")
                code = error.exit_code
        told = summary.read_text(encoding="utf-8") if summary.exists() else ""
        return Ran(True, code, out.getvalue() + told)

    # -- the runner --------------------------------------------------------------------------------
    def runner_env(self, event_path: Path, env_file: Path, summary: Path, temp: Path) -> dict[str, str]:
        venv_bin = Path(sys.executable).parent
        values = {
            "PATH": f"{venv_bin}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(self.tmp / "home"),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "issues",
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_REPOSITORY_OWNER": REPO.split("/")[0],
            "GITHUB_SERVER_URL": SERVER,
            "GITHUB_API_URL": self.github.url.rstrip("/"),
            "GITHUB_SHA": git(self.root, "rev-parse", "HEAD"),
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_WORKSPACE": str(self.root),
            "GITHUB_ENV": str(env_file),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(temp),
            "PYTHONDONTWRITEBYTECODE": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        if self.calendar is not None:  # the endpoint override, as GITHUB_API_URL is for GitHub
            values["GOOGLE_CALENDAR_API_URL"] = self.calendar.base_url
        return values

    def replay(self, event: Mapping[str, Any], *, token: str | None = None) -> Ran:
        """Run intake.yml's job for `event` as a runner would, against the fakes."""
        self.runs += 1
        run_dir = self.tmp / f"run-{self.runs}"
        temp = run_dir / "temp"
        temp.mkdir(parents=True)
        (self.tmp / "home").mkdir(exist_ok=True)
        event_path = run_dir / "event.json"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        env_file, summary = run_dir / "github_env", run_dir / "step_summary.md"
        env_file.touch()
        workflow = load_workflow()
        job = workflow["jobs"]["intake"]
        if not job_runs(job["if"], event):
            return Ran(False, 0, "")
        expressions = {
            # The secrets are the `feedback` environment's: a job bound to no environment gets none.
            "secrets": self.secrets if job.get("environment") == "feedback" else {},
            "vars": self.variables,
            # the job's GITHUB_TOKEN: what its `permissions:` allow, and no more (FakeGitHub.grant)
            "github": {
                "token": token or self.github.grant(job.get("permissions", workflow.get("permissions")))
            },
        }
        base = self.runner_env(event_path, env_file, summary, temp)
        out, ran = [], []
        for index, step in enumerate(job["steps"]):
            if "uses" in step:
                continue
            script = step["run"]
            if script.strip() == INSTALL:
                continue  # feedbackloop is installed in this virtual environment already
            env = {**base, **_read_env_file(env_file)}
            for name, value in (step.get("env") or {}).items():
                env[name] = evaluate(str(value), expressions)
            script_path = temp / f"step-{index}.sh"
            script_path.write_text(script, encoding="utf-8")
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_path)],
                cwd=self.root,
                env=env,
                capture_output=True,
                text=True,
                encoding="utf-8",
                timeout=120,
                check=False,
            )
            ran.append(step.get("name", f"step {index}"))
            out.append(done.stdout + done.stderr)
            if done.returncode != 0:
                return Ran(True, done.returncode, "".join(out), ran)
        return Ran(True, 0, "".join(out), ran)


def _read_env_file(path: Path) -> dict[str, str]:
    """What steps wrote to $GITHUB_ENV (`NAME=value` lines), for the steps after them."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep:
            values[name] = value
    return values
