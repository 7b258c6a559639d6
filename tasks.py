#!/usr/bin/env python3
"""The README's two commands, on a fresh machine with only Python 3.11+ and git.

    python3 tasks.py demo    run the main job on the example interviews (nothing is written)
    python3 tasks.py test    install what the tests need, then lint, type-check and test

Both make a virtual environment in .venv and install into it once per change of pyproject.toml.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
TODAY = "2026-11-28"  # the examples are dated around it; a fixed day keeps the demo's output stable


def sh(*args: str | Path, expect: int = 0) -> None:
    """Run a command; stop unless it exits with `expect` (a demo may show a command that exits 1)."""
    print("+", " ".join(str(a) for a in args), flush=True)
    code = subprocess.run([str(a) for a in args], cwd=ROOT, check=False).returncode
    if code != expect:
        sys.exit(code or 1)


def ensure_venv(extra: str) -> None:
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extra.encode()).hexdigest()
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    sh(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", f".{extra}")
    stamp.write_text(wanted)


def demo() -> None:
    ensure_venv("[test]")
    fl = BIN / "feedbackloop"
    sh(fl, "validate", "--today", TODAY)
    sh(fl, "status", "--all", "--today", TODAY)
    # What publishing would send for each example: the issues, the Slack blocks, the doc entry.
    sh(fl, "publish", "--dry-run", "--include-examples", "--today", TODAY)
    # Rewards without Shopify or Slack: what a run would do (a merch gift card; an Open Collective step).
    sh(fl, "reward", "2026-11-18-web-analytics-joe", "--dry-run", "--today", TODAY)
    sh(fl, "reward", "2026-11-12-feature-flags-marco", "--dry-run", "--today", TODAY)
    # The follow-up e-mail: Joe's second question has no answer yet, so it warns and exits 1.
    sh(fl, "follow-up", "2026-11-18-web-analytics-joe", "--today", TODAY, expect=1)
    print("(exit 1 above is expected: the draft marks the question that still needs an answer)")
    # The PostHog survey that recruits interviewees from a cohort of 1,500 (so rolled out to 25%).
    link = "https://cal.com/acme/user-interview"
    sh(fl, "recruit", "--cohort", "7", "--cohort-size", "1500", "--link", link, "--dry-run", "--today", TODAY)
    # The reminder plan for the examples (what is overdue, for whom, the dashboard issue's text and each
    # owner's Slack reminder), then the dashboard as `report` prints it. Without tokens: nothing sent.
    sh(fl, "remind", "--dry-run", "--include-examples", "--today", TODAY)
    sh(fl, "report", "--include-examples", "--today", TODAY)


def test() -> None:
    ensure_venv("[test]")
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    forms = sorted(
        str(p) for p in (ROOT / ".github" / "ISSUE_TEMPLATE").glob("*.yml") if p.name != "config.yml"
    )
    sh(BIN / "ruff", "check", ".")
    sh(BIN / "ruff", "format", "--check", ".")
    sh(BIN / "mypy")
    sh(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)
    if forms:
        sh(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-issue-forms", *forms)
    sh(BIN / "zizmor", "--offline", "--no-progress", ".github/workflows")
    sh(BIN / "python", "-m", "pytest", "-n", "2", *sys.argv[2:])


if __name__ == "__main__":
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        sys.exit(2)
    commands[sys.argv[1]]()
