"""Replay a GitHub Actions workflow's job on this machine, the way a runner would run it.

    workflow = Workflow.load(ROOT / ".github/workflows/remind.yml")
    replay = Replay(workflow, "remind", workspace=repo, event_name="schedule", event={"schedule": "…"},
                    repository="acme/interviews", secrets={"SLACK_BOT_TOKEN": "xoxb-test"},
                    github_token="ghs_test", env={"GITHUB_API_URL": fake.url, "SLACK_API_URL": …})
    job = replay.run()              # every `run:` step, in order, with bash, in the workspace
    job.ok, job.steps[i].output, job.summary, job.skipped (the `uses:` steps), job.outputs

A job bound to an environment (`environment: shopify`) sees the secrets and variables of that environment
(`environments={"shopify": {"SHOPIFY_ADMIN_TOKEN": …}}`, `environment_variables=…`) on top of the
repository's, as GitHub gives them; a job that needs another gets its results as `needs=` (the
`needs.<job>.outputs` and `.result` its `if:` and expressions read), and a job whose `if:` is false runs
no step (`job.ran` is False).

What a runner gives and the replay reproduces: the default variables (GITHUB_ACTIONS, CI, GITHUB_WORKSPACE,
GITHUB_EVENT_NAME, GITHUB_EVENT_PATH with the payload, GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_REF,
GITHUB_STEP_SUMMARY (one file per step, the job summary is their concatenation), GITHUB_ENV, GITHUB_PATH,
GITHUB_OUTPUT, RUNNER_TEMP, RUNNER_OS); the workflow's, the job's and the step's `env:`, with their
`${{ }}` expressions evaluated (contexts `secrets`, `vars`, `github` — `github.token` included —
`env`, `runner`, `steps.<id>.outputs`, `inputs`; operators `||`, `&&`, `==`, `!=`, `!`, parentheses;
string, number, boolean and null literals); a step's `if:` (also `success()`, `failure()`, `always()`,
`cancelled()`); bash as `bash --noprofile --norc -eo pipefail {0}`, GitHub's default shell;
`working-directory` and `defaults.run`. An expression or a shell the replay does not know fails the
test instead of being guessed.

What it leaves out: `uses:` steps are skipped and listed (the workspace is already the checkout; the
Python is this virtual environment, first on PATH), and `pip install` of the project is treated as
satisfied when the package imports (a shim on PATH answers for `python -m pip install …` and `pip install …`),
so a replay needs no network. Every `${{ }}` inside a `run:` script is refused: values reach scripts
through `env:` only (tests/test_workflows.py checks that too).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpers_repo import clean_env

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
DEFAULT_SHELL = "bash --noprofile --norc -eo pipefail {0}"


class ReplayError(AssertionError):
    """The workflow uses something the replay cannot run faithfully."""


# -- the workflow file ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workflow:
    path: Path
    data: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Workflow:
        # BaseLoader: only strings, lists and mappings, so `on:` stays "on" and `3.12` stays "3.12".
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # noqa: S506
        if not isinstance(data, dict):
            raise ReplayError(f"{path.name} is not a mapping")
        return cls(path, data)

    @property
    def triggers(self) -> dict[str, Any]:
        """Each event the workflow runs on, with its configuration ("" when it has none)."""
        on = self.data["on"]
        if isinstance(on, str):
            return {on: ""}
        if isinstance(on, list):
            return dict.fromkeys(on, "")
        return dict(on)

    @property
    def permissions(self) -> Any:
        return self.data.get("permissions")

    @property
    def concurrency(self) -> Any:
        return self.data.get("concurrency")

    def job(self, name: str) -> dict[str, Any]:
        job: dict[str, Any] = self.data["jobs"][name]
        return job

    @property
    def jobs(self) -> list[str]:
        return list(self.data["jobs"])


# -- expressions -----------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<op>\|\||&&|==|!=|!|\(|\)|,)"
    r"|(?P<name>[A-Za-z_][\w-]*(?:\.[A-Za-z_*][\w-]*|\[[^\]]+\])*))"
)
_FUNCTIONS = ("success", "failure", "always", "cancelled")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, at = [], 0
    text = text.strip()
    while at < len(text):
        found = _TOKEN.match(text, at)
        if found is None or found.end() == at:
            raise ReplayError(f"cannot read the expression {text!r} at {text[at:]!r}")
        kind = next(k for k, v in found.groupdict().items() if v is not None)
        tokens.append((kind, found[kind]))
        at = found.end()
    return tokens


def truthy(value: Any) -> bool:
    """GitHub's: false, 0, -0, "" and null are false; everything else is true."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value != 0
    return value != "" if isinstance(value, str) else True


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


@dataclass
class Expressions:
    """Evaluates `${{ }}` against the contexts of one step."""

    contexts: dict[str, Any]
    status: str = "success"  # of the job so far: success | failure

    def evaluate(self, expression: str) -> Any:
        tokens = _tokens(expression)
        value, rest = self._or(tokens)
        if rest:
            raise ReplayError(f"unexpected {rest[0][1]!r} in {expression!r}")
        return value

    def substitute(self, text: str) -> str:
        """A string with every `${{ }}` replaced by its value (as the runner does for `env:`, `with:`)."""
        return EXPRESSION.sub(lambda m: text_of(self.evaluate(m.group(1))), text)

    def condition(self, text: str) -> bool:
        """A step's `if:`: an expression, with or without `${{ }}`; `success()` when absent."""
        stripped = text.strip()
        inner = EXPRESSION.fullmatch(stripped)
        expression = inner.group(1) if inner else stripped
        if not re.search(r"\b(?:success|failure|always|cancelled)\(\)", expression):
            expression = f"success() && ({expression})"
        return truthy(self.evaluate(expression))

    # recursive descent: or > and > equality > unary > primary
    def _or(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        left, tokens = self._and(tokens)
        while tokens and tokens[0] == ("op", "||"):
            right, tokens = self._and(tokens[1:])
            left = left if truthy(left) else right
        return left, tokens

    def _and(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        left, tokens = self._equality(tokens)
        while tokens and tokens[0] == ("op", "&&"):
            right, tokens = self._equality(tokens[1:])
            left = right if truthy(left) else left
        return left, tokens

    def _equality(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        left, tokens = self._unary(tokens)
        while tokens and tokens[0] in (("op", "=="), ("op", "!=")):
            op = tokens[0][1]
            right, tokens = self._unary(tokens[1:])
            same = _loose(left) == _loose(right)
            left = same if op == "==" else not same
        return left, tokens

    def _unary(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        if tokens and tokens[0] == ("op", "!"):
            value, rest = self._unary(tokens[1:])
            return not truthy(value), rest
        return self._primary(tokens)

    def _primary(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        if not tokens:
            raise ReplayError("an expression ends too early")
        (kind, value), rest = tokens[0], tokens[1:]
        if (kind, value) == ("op", "("):
            inner, rest = self._or(rest)
            if not rest or rest[0] != ("op", ")"):
                raise ReplayError("a parenthesis is not closed")
            return inner, rest[1:]
        if kind == "string":
            return value[1:-1].replace("''", "'"), rest
        if kind == "number":
            return (float(value) if "." in value else int(value)), rest
        if kind == "name":
            if rest and rest[0] == ("op", "("):
                if value not in _FUNCTIONS or len(rest) < 2 or rest[1] != ("op", ")"):
                    raise ReplayError(f"the replay does not know the function {value}()")
                return self._status_function(value), rest[2:]
            if value in ("true", "false"):
                return value == "true", rest
            if value == "null":
                return None, rest
            return self._lookup(value), rest
        raise ReplayError(f"unexpected {value!r}")

    def _status_function(self, name: str) -> bool:
        return {
            "success": self.status == "success",
            "failure": self.status == "failure",
            "always": True,
            "cancelled": False,
        }[name]

    def _lookup(self, dotted: str) -> Any:
        parts = re.findall(r"[A-Za-z_*][\w-]*|\[[^\]]+\]", dotted)
        head = parts[0]
        if head not in self.contexts:
            raise ReplayError(f"the replay does not know the context `{head}` (in `{dotted}`)")
        value: Any = self.contexts[head]
        for part in parts[1:]:
            key = part[1:-1].strip("'\"") if part.startswith("[") else part
            if isinstance(value, Mapping):
                # contexts are case-insensitive (secrets.slack_bot_token works too)
                match = next((k for k in value if str(k).lower() == key.lower()), None)
                value = value[match] if match is not None else None
            else:
                value = None
        return value


def _loose(value: Any) -> Any:
    """GitHub compares case-insensitively for strings."""
    return value.lower() if isinstance(value, str) else value


# -- running a job ---------------------------------------------------------------------------------------


@dataclass
class StepRun:
    name: str
    script: str
    code: int
    output: str
    summary: str
    env: dict[str, str]  # the step's evaluated `env:` (secrets included: for checks, never printed)


@dataclass
class JobRun:
    steps: list[StepRun] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # the `uses:` steps, and steps whose `if:` was false
    outputs: dict[str, str] = field(default_factory=dict)  # the job's `outputs:`, evaluated
    ran: bool = True  # False: the job's `if:` was false

    @property
    def result(self) -> str:
        """`needs.<job>.result`: success, failure or skipped."""
        return "skipped" if not self.ran else "success" if self.ok else "failure"

    @property
    def ok(self) -> bool:
        return all(step.code == 0 for step in self.steps)

    @property
    def summary(self) -> str:
        return "".join(step.summary for step in self.steps)

    @property
    def output(self) -> str:
        return "".join(f"--- {step.name} (exit {step.code})\n{step.output}" for step in self.steps)

    def step(self, name: str) -> StepRun:
        return next(step for step in self.steps if step.name == name)


_PIP_SHIM = """#!{bash}
# A replay needs no network: installing the project counts as done when the package imports.
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then shift 2; set -- pip "$@"; fi
if [ "$(basename "$0")" = "pip" ] || [ "$(basename "$0")" = "pip3" ]; then set -- pip "$@"; fi
if [ "$1" = "pip" ]; then
    if [ "$2" = "install" ]; then
        exec {python} -c "import {package}; print('replay: {package} is installed (pip install skipped)')"
    fi
    exec {python} -m pip "${{@:2}}"
fi
exec {python} "$@"
"""


@dataclass
class Replay:
    workflow: Workflow
    job_name: str
    workspace: Path
    event_name: str
    event: dict[str, Any]
    repository: str
    secrets: dict[str, str] = field(default_factory=dict)  # the repository's
    environments: dict[str, dict[str, str]] = field(default_factory=dict)  # each environment's secrets
    environment_variables: dict[str, dict[str, str]] = field(default_factory=dict)  # and its `vars`
    needs: dict[str, JobRun] = field(default_factory=dict)  # the jobs this one needs, as they ran
    github_token: str = ""
    # Makes the job's GITHUB_TOKEN from its `permissions:` (FakeGitHub.grant), instead of github_token
    grant: Callable[[Any], str] | None = None
    env: dict[str, str] = field(default_factory=dict)  # more for every step: the fakes' endpoints
    variables: dict[str, str] = field(default_factory=dict)  # `vars.X`
    inputs: dict[str, str] = field(default_factory=dict)
    sha: str = ""
    ref: str = "refs/heads/main"
    actor: str = "github-actions[bot]"
    python: Path = Path(sys.executable)
    package: str = "feedbackloop"  # what `pip install .` must already have made importable
    run_id: int = 1
    timeout: float = 120.0  # seconds for one step

    def run(self) -> JobRun:
        job = self.workflow.job(self.job_name)
        if self.grant is not None:
            # A job's own `permissions:` replace the workflow's; neither: the repository's default.
            self.github_token = self.grant(job.get("permissions", self.workflow.permissions))
        runner = self.workspace.parent / f"runner-{self.run_id}"
        temp = runner / "temp"
        temp.mkdir(parents=True, exist_ok=True)
        event_path = runner / "event.json"
        event_path.write_text(json.dumps(self.event), encoding="utf-8")
        shims = self._shims(runner / "shims")
        files = {name: runner / f"{name.lower()}" for name in ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT")}
        base = clean_env(
            {
                "GITHUB_ACTIONS": "true",
                "CI": "true",
                "GITHUB_WORKSPACE": str(self.workspace),
                "GITHUB_EVENT_NAME": self.event_name,
                "GITHUB_EVENT_PATH": str(event_path),
                "GITHUB_REPOSITORY": self.repository,
                "GITHUB_REPOSITORY_OWNER": self.repository.split("/")[0],
                "GITHUB_SHA": self.sha,
                "GITHUB_REF": self.ref,
                "GITHUB_REF_NAME": self.ref.rsplit("/", 1)[-1],
                "GITHUB_ACTOR": self.actor,
                "GITHUB_WORKFLOW": str(self.workflow.data.get("name", self.workflow.path.name)),
                "GITHUB_JOB": self.job_name,
                "GITHUB_RUN_ID": str(self.run_id),
                "GITHUB_RUN_ATTEMPT": "1",
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_API_URL": "https://api.github.com",
                "RUNNER_OS": "Linux",
                "RUNNER_TEMP": str(temp),
                **self.env,
            }
        )
        github = {
            "token": self.github_token,
            "event_name": self.event_name,
            "event": self.event,
            "repository": self.repository,
            "repository_owner": self.repository.split("/")[0],
            "sha": self.sha,
            "ref": self.ref,
            "actor": self.actor,
            "workspace": str(self.workspace),
            "job": self.job_name,
            "run_id": str(self.run_id),
            "server_url": base["GITHUB_SERVER_URL"],
            "api_url": base["GITHUB_API_URL"],
        }
        outputs: dict[str, dict[str, dict[str, str]]] = {}
        added_env: dict[str, str] = {}
        added_path: list[str] = []
        result = JobRun()
        status = "success"
        environment = job.get("environment")
        environment_name = str(
            environment.get("name") if isinstance(environment, dict) else environment or ""
        )
        secrets = {
            "GITHUB_TOKEN": self.github_token,
            **self.secrets,
            **self.environments.get(environment_name, {}),
        }
        variables = {**self.variables, **self.environment_variables.get(environment_name, {})}
        needs = {name: {"outputs": run.outputs, "result": run.result} for name, run in self.needs.items()}
        job_contexts = {
            "github": github,
            "secrets": secrets,
            "vars": variables,
            "inputs": self.inputs,
            "needs": needs,
            "env": _plain(self.workflow.data.get("env")),
            "runner": {"os": "Linux", "temp": str(temp)},
        }
        if "if" in job:
            # A job's `if:` knows no step: success() is that of the jobs it needs.
            upstream = "failure" if any(run.result == "failure" for run in self.needs.values()) else "success"
            if not Expressions(job_contexts, upstream).condition(str(job["if"])):
                return JobRun(ran=False)
        for index, step in enumerate(job.get("steps", [])):
            name = str(step.get("name") or step.get("uses") or f"step {index + 1}")
            env_context = {
                **_plain(self.workflow.data.get("env")),
                **_plain(job.get("env")),
                **added_env,
            }
            contexts = {
                **job_contexts,
                "env": env_context,
                "steps": outputs,
                "job": {"status": status},
            }
            expressions = Expressions(contexts, status)
            if not expressions.condition(str(step.get("if", "success()"))):
                result.skipped.append(name)
                continue
            if "uses" in step:
                result.skipped.append(name)
                continue
            script = str(step["run"])
            if EXPRESSION.search(script):
                raise ReplayError(f"step {name!r}: `${{{{ }}}}` inside `run:`; pass values through `env:`")
            step_env = {k: expressions.substitute(str(v)) for k, v in _plain(step.get("env")).items()}
            summary_file = runner / f"summary-{index}.md"
            summary_file.write_text("", encoding="utf-8")
            for path in files.values():
                path.write_text("", encoding="utf-8")
            env = {
                **base,
                **{k: expressions.substitute(str(v)) for k, v in env_context.items()},
                **step_env,
                "GITHUB_STEP_SUMMARY": str(summary_file),
                **{name: str(path) for name, path in files.items()},
            }
            env["PATH"] = os.pathsep.join(
                [*reversed(added_path), str(shims), str(self.python.parent), base.get("PATH", "")]
            )
            shell = str(step.get("shell") or _defaults(self.workflow.data, job).get("shell") or "bash")
            directory = step.get("working-directory") or _defaults(self.workflow.data, job).get(
                "working-directory"
            )
            cwd = self.workspace / expressions.substitute(str(directory)) if directory else self.workspace
            code, output = self._bash(shell, script, env, cwd, runner / f"step-{index}.sh")
            result.steps.append(
                StepRun(name, script, code, output, summary_file.read_text(encoding="utf-8"), step_env)
            )
            added_env.update(_env_file(files["GITHUB_ENV"].read_text(encoding="utf-8")))
            added_path += [
                line for line in files["GITHUB_PATH"].read_text(encoding="utf-8").splitlines() if line
            ]
            if step.get("id"):
                outputs[str(step["id"])] = {
                    "outputs": _env_file(files["GITHUB_OUTPUT"].read_text(encoding="utf-8"))
                }
            if code != 0 and str(step.get("continue-on-error", "false")) != "true":
                status = "failure"
        final = Expressions({**job_contexts, "steps": outputs, "job": {"status": status}}, status)
        result.outputs = {k: final.substitute(v) for k, v in _plain(job.get("outputs")).items()}
        return result

    def _bash(self, shell: str, script: str, env: dict[str, str], cwd: Path, path: Path) -> tuple[int, str]:
        if shell != "bash":
            raise ReplayError(f"the replay runs bash steps only, not `shell: {shell}`")
        path.write_text(script, encoding="utf-8")
        command = [part.replace("{0}", str(path)) for part in shlex.split(DEFAULT_SHELL)]
        done = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=self.timeout,
            check=False,
        )
        return done.returncode, done.stdout + done.stderr

    def _shims(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        bash = subprocess.run(["bash", "-c", "command -v bash"], capture_output=True, text=True, check=True)
        text = _PIP_SHIM.format(
            bash=bash.stdout.strip(), python=shlex.quote(str(self.python)), package=self.package
        )
        for name in ("python", "python3", "pip", "pip3"):
            shim = folder / name
            shim.write_text(text, encoding="utf-8")
            shim.chmod(0o755)
        return folder


def _plain(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()} if isinstance(value, dict) else {}


def _defaults(workflow: dict[str, Any], job: dict[str, Any]) -> dict[str, str]:
    run: dict[str, str] = {}
    for source in (workflow, job):
        defaults = source.get("defaults")
        if isinstance(defaults, dict) and isinstance(defaults.get("run"), dict):
            run.update(_plain(defaults["run"]))
    return run


def _env_file(text: str) -> dict[str, str]:
    """GITHUB_ENV / GITHUB_OUTPUT: `NAME=value` lines and `NAME<<DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values
