"""Benchmark: what `feedbackloop publish` costs in a repository of 10,000 published interviews.

Seeds N interviews that are already published (issue links, Slack permalink, doc entry and a real
digest in each ledger) and one new interview with two requests, serves FakeGitHub, FakeSlack and
FakeGoogleDocs on 127.0.0.1, and runs the CLI as the workflow does. Prints the HTTP requests each fake
received. Targets: at most 12 in all for the new interview, at most 1 when there is nothing to do, and
`publish --dry-run` at most twice as long as `validate` on the same files.

    python benchmarks/publish.py [N]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests"))
from _corpus import generate, git_init  # noqa: E402

from fakes.github import FakeGitHub  # noqa: E402
from fakes.google import DOCS_SCOPE, FakeGoogleAuth, FakeGoogleDocs  # noqa: E402
from fakes.slack import FakeSlack  # noqa: E402
from feedbackloop.plan.ledger import digest  # noqa: E402
from feedbackloop.records.parse import parse  # noqa: E402

REPO = "acme/interviews"
TODAY = "2026-11-28"
NEW = """---
id: 2026-11-27-surveys-lena
topic: Surveys
date: 2026-11-27
status: completed
interviewers: [alice, bob]
user:
  first_name: Lena
  profile: https://us.posthog.com/project/2/person/01HNEW
  company: Initech
  role: PM
  technical: false
recruited_via: survey
recording:
  consent: true
  url: https://app.buildbetter.app/calls/new
  title: Surveys user interview with Lena
summary: >-
  Runs NPS surveys monthly; wants to branch questions on earlier answers.
requests:
  - type: feature
    title: Branch survey questions on earlier answers
  - type: bug
    title: Survey preview ignores the theme colour
reward:
  kind: merch
  amount: 30
  status: pending
follow_up:
  status: pending
---
## Notes

- Sends the monthly NPS survey to every active user.
"""


def real_digests(folder: Path) -> None:
    """The corpus writes `digest: {digest}`: put in each file the digest of what it holds."""
    for path in sorted((folder / "interviews").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        parsed = parse(text.replace("{digest}", "0").encode("utf-8"), path.relative_to(folder).as_posix())
        assert parsed.record is not None, parsed.problems
        path.write_text(text.replace("{digest}", digest(parsed.record)), encoding="utf-8")


def timed(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def counts(*fakes: object) -> dict[str, int]:
    return {fake.name: len(fake.requests) for fake in fakes}  # type: ignore[attr-defined]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "repo"
        generate(folder, count, published=True)
        real_digests(folder)
        new = folder / "interviews" / "2026" / "2026-11-27-surveys-lena.md"
        new.parent.mkdir(parents=True, exist_ok=True)
        new.write_text(NEW, encoding="utf-8")
        git_init(folder)
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
        ).stdout.strip()

        github = FakeGitHub().start()
        github.add_repo(REPO)
        github.import_git(folder, REPO)
        slack = FakeSlack().start()
        slack.add_channel("C0FEEDBACK")
        auth = FakeGoogleAuth().start()
        docs = FakeGoogleDocs(auth).start()
        docs.add_document("1ExampleFeedbackDoc", "User interviews", "User interviews\n")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SLACK_", "GOOGLE_"))},
            "GITHUB_TOKEN": github.token,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": github.url.rstrip("/"),
            "GITHUB_SHA": sha,
            "GITHUB_EVENT_NAME": "workflow_dispatch",
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_API_URL": slack.url,
            "GOOGLE_OAUTH_ACCESS_TOKEN": auth.issue_token([DOCS_SCOPE]),
            "GOOGLE_DOCS_API_URL": docs.url,
        }
        fakes = (github, slack, docs, auth)
        base = [sys.executable, "-m", "feedbackloop"]
        where = ["--root", str(folder), "--today", TODAY]
        try:
            validate_time, validated = timed([*base, "validate", *where], env)
            dry_time, dry = timed([*base, "publish", "--dry-run", *where], env)
            assert sum(counts(*fakes).values()) == 0, "the dry run made a request"
            assert dry.returncode == 0, dry.stdout + dry.stderr
            publish_time, published = timed([*base, "publish", *where], env)
            assert published.returncode == 0, published.stdout + published.stderr
            first = counts(*fakes)
            for fake in fakes:
                fake.requests.clear()
            # A new workflow run checks out the write-back commit: nothing is left to do.
            head = github.export_git(REPO, folder, branch="main")
            subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=folder, check=True)
            again_time, again = timed([*base, "publish", *where], {**env, "GITHUB_SHA": head or sha})
            assert again.returncode == 0, again.stdout + again.stderr
            second = counts(*fakes)
        finally:
            for fake in fakes:
                fake.stop()

    by_service = ", ".join(f"{name} {n}" for name, n in first.items() if n)
    print(f"interviews:                       {count} published + 1 new with 2 requests")
    print(f"publish, HTTP requests:           {sum(first.values())} ({by_service})   target <= 12")
    print(f"publish again, HTTP requests:     {sum(second.values())}   target <= 1")
    print(f"publish time:                     {publish_time:6.2f} s, again {again_time:6.2f} s")
    print(f"validate:                         {validate_time:6.2f} s  (exit {validated.returncode})")
    print(f"publish --dry-run:                {dry_time:6.2f} s")
    print(f"ratio dry-run / validate:         {dry_time / validate_time:.2f}   target <= 2.0")
    print(re.sub(r"^", "  | ", published.stdout.strip(), flags=re.MULTILINE))


if __name__ == "__main__":
    main()
