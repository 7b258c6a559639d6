"""Generate a repository of N realistic interview files for the benchmarks."""

from __future__ import annotations

import random
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TEMPLATE = """---
id: {id}
topic: {topic}
date: {date}
status: completed
interviewers: [{interviewer}]
user:
  first_name: {name}
  profile: https://us.posthog.com/project/2/person/{person}
  company: Company {n}
  role: Engineer
  technical: true
recruited_via: survey
recording:
  consent: true
  url: https://app.buildbetter.app/calls/{n}
  title: {topic} user interview with {name}
summary: >-
  Uses {topic} daily; wants breakdowns by cohort; hit a crash with long funnels. Call {n}.
requests:
  - type: bug
    title: Funnel breakdown crashes with more than {n} steps
    details: Happens on the trends page too.
    issue: https://github.com/acme/product/issues/{n}
    evidence: https://github.com/acme/product/issues/{n}
  - type: feature
    title: Break down funnels by cohort ({n})
    issue: https://github.com/acme/product/issues/{m}
    evidence: https://github.com/acme/product/issues/{m}
questions:
  - question: Can cohorts be exported?
    answer: Yes, from the cohort page (CSV).
reward:
  kind: merch
  amount: 30
  status: sent
  sent_on: {sent}
follow_up:
  status: done
  done_on: {sent}
{published}---
## Notes

- Moved from Google Analytics in September; the team checks the dashboard every morning.
- Funnels with many steps crash the breakdown view (built from page paths).
- Wants to compare conversion of the "trial" and "enterprise" cohorts side by side.
"""

TOPICS = ["Web analytics", "Session replay", "Feature flags", "Surveys", "Data warehouse", "Experiments"]
NAMES = ["Joe", "Priya", "Marco", "Lena", "Sam", "Ana", "Kofi", "Mei", "Olu", "Ines"]


def slug(text: str) -> str:
    return "-".join(text.lower().split())


def generate(folder: Path, count: int, published: bool = False, seed: int = 7) -> list[str]:
    """Write `count` interviews (and the project's settings and templates) into `folder`; return ids."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    shutil.copytree(ROOT / "templates", folder / "templates", dirs_exist_ok=True)
    start = date(2021, 1, 4)
    ids = []
    for n in range(count):
        day = start + timedelta(days=n * 1800 // max(count, 1))
        topic, name = rng.choice(TOPICS), NAMES[n % len(NAMES)]
        record_id = f"{day.isoformat()}-{slug(topic)}-{slug(name)}-{n}"
        ledger = (
            "published:\n"
            f"  slack: https://acme.slack.com/archives/C0FEEDBACK/p{1600000000 + n}000100\n"
            f"  doc: feedbackloop:{record_id}\n"
            "  digest: {digest}\n"
            if published
            else ""
        )
        text = TEMPLATE.format(
            id=record_id,
            topic=topic,
            date=day.isoformat(),
            interviewer=rng.choice(["alice", "bob", "carol"]),
            name=name,
            person=f"01H{n:08d}",
            n=n,
            m=n + 100000,
            sent=(day + timedelta(days=3)).isoformat(),
            published=ledger,
        )
        path = folder / "interviews" / str(day.year) / f"{record_id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        ids.append(record_id)
    return ids


def git_init(folder: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-qm", "seed")
