"""Start-up stays light: `--help` imports no service client and no template engine.

Measured in a fresh interpreter with `-X importtime`, which lists every module imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers_repo import TODAY, clean_env

HEAVY = ("github", "slack_sdk", "httpx", "google", "jinja2")
SERVICE_CLIENTS = ("github", "slack_sdk", "httpx", "google", "requests", "urllib3")


def imported(*args: str, cwd: Path) -> set[str]:
    """Every module a fresh `python -m feedbackloop ARGS` imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "feedbackloop", *args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "feedbackloop.cli" in modules  # the measurement measures something
    return modules


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_help_imports_no_service_client_and_no_template_engine(tmp_path: Path) -> None:
    found = top_level(imported("--help", cwd=tmp_path))
    assert found.isdisjoint(HEAVY), sorted(found & set(HEAVY))
    assert "click" in found


_EVERY_HELP = """
import json, sys
from click.testing import CliRunner
from feedbackloop.cli import main
runner = CliRunner()
for name in sorted(main.commands):
    result = runner.invoke(main, [name, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output, (name, result.output)
print(json.dumps({"commands": sorted(main.commands), "modules": sorted(sys.modules)}))
"""


def test_every_commands_help_imports_none_either(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _EVERY_HELP],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert set(found["commands"]) >= {"validate", "new", "status"}
    modules = set(found["modules"])
    assert top_level(modules).isdisjoint(HEAVY), sorted(top_level(modules) & set(HEAVY))
    assert not any(name.startswith("feedbackloop.commands.") for name in modules)  # imported to run only


@pytest.mark.parametrize("command", ["validate", "status"])
def test_checking_files_imports_no_service_client(command: str, tmp_path: Path) -> None:
    (tmp_path / "interviews").mkdir()
    found = top_level(imported(command, "--root", str(tmp_path), "--today", TODAY, cwd=tmp_path))
    assert found.isdisjoint(SERVICE_CLIENTS), sorted(found & set(SERVICE_CLIENTS))
