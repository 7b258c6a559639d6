"""Benchmark: `feedbackloop remind` on 10,000 interviews with 20 overdue items, against FakeGitHub and
FakeSlack on 127.0.0.1 (tests/fakes), counting every HTTP request at the fakes, by service.

The repository is five years of interviews (benchmarks/_corpus.py), each with two requests filed as
issues in acme/product: 20,000 labelled issues, a fifth of them closed as completed (the user was told:
`told_on` is set) and a tenth closed as not planned; the rest are open. On top of that, 20 items are
overdue for three owners (alice, bob, carol):

    6 rewards pending (4 of those follow-ups pending too)    4 follow-ups
    3 scheduled calls without notes                         6 requests shipped, user not told
    1 teammate (carol) without a call this month

It prints the requests of three runs: the first ever (no dashboard issue yet: it reads the closed
request issues once, back to the oldest request still to report), the next morning's (the daily run:
the target, at most 10 requests besides the Slack messages), and a re-run that same morning (nothing
to send). Then it times `remind --dry-run` (that morning, the dashboard in place) against `validate`
on the same files, best of three each (target: at most 2x).

    python benchmarks/remind.py [N]
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
from _corpus import generate  # noqa: E402

from fakes.github import FakeGitHub  # noqa: E402
from fakes.slack import FakeSlack  # noqa: E402

TODAY = date(2026, 11, 28)
PRODUCT = "acme/product"
INTERVIEWS = "acme/interviews"
ROSTER = {"alice": "U0ALICE", "bob": "U0BOB", "carol": "U0CAROL"}
LABEL = "user-feedback"
SHIPPED_UNTOLD = 6


def record_path(folder: Path, record_id: str) -> Path:
    return folder / "interviews" / record_id[:4] / f"{record_id}.md"


def new_interview(folder: Path, slug: str, day: date, interviewer: str, status: str, follow_up: str) -> None:
    record_id = f"{day.isoformat()}-{slug}"
    done = status == "completed"
    text = "\n".join(
        [
            "---",
            f"id: {record_id}",
            "topic: Web analytics",
            f"date: {day.isoformat()}",
            f"status: {status}",
            f"interviewers: [{interviewer}]",
            "user:",
            "  first_name: Kofi",
            f"  profile: https://us.posthog.com/project/2/person/01HNEW-{slug}",
            "recruited_via: survey",
            *(['summary: "Uses funnels daily."'] if done else []),
            "reward:",
            "  kind: merch",
            "  amount: 30",
            "  status: pending",
            "follow_up:",
            f"  status: {follow_up}",
            *([f"  done_on: {(day + timedelta(days=2)).isoformat()}"] if follow_up == "done" else []),
            "---",
            "## Notes",
            "",
            "- Talked about funnels." if done else "",
            "",
        ]
    )
    path = record_path(folder, record_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def prepare(folder: Path, count: int, github: FakeGitHub) -> None:
    """The corpus, its issues on FakeGitHub (closed ones told), and the 20 overdue items."""
    ids = generate(folder, count - 9)
    settings = folder / "pyproject.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + f'issues_repository = "{PRODUCT}"\n', encoding="utf-8"
    )
    rng = random.Random(11)
    product = github.add_repo(PRODUCT)
    github.add_repo(INTERVIEWS)
    shipped: list[int] = []
    pick = 0  # the next record from which one closed request is left untold (spread over the years)
    for n, record_id in enumerate(ids):
        created = datetime.fromisoformat(record_id[:10]).replace(tzinfo=UTC, hour=12)
        told: list[int] = []
        for number in (n, n + 100000):
            product.next_number = number
            github.seed_issue(
                PRODUCT, f"Request {number}", f"Body {number}", labels=[LABEL], created_at=created
            )
            fate = rng.random()
            if fate < 0.3:
                closed = min(
                    created + timedelta(days=rng.randint(30, 400)), datetime(2026, 11, 20, tzinfo=UTC)
                )
                github.close_issue(PRODUCT, number, "completed" if fate < 0.2 else "not_planned", at=closed)
                if fate < 0.2:
                    told.append(number)
        if told and len(shipped) < SHIPPED_UNTOLD and n >= pick:
            shipped.append(told.pop(0))  # closed as completed, and nobody told the user yet
            pick = n + len(ids) // (SHIPPED_UNTOLD + 1)
        if told:
            path = record_path(folder, record_id)
            text = path.read_text(encoding="utf-8")
            sent = re.search(r"sent_on: (\S+)", text)
            assert sent is not None
            for number in told:
                line = f"    evidence: https://github.com/{PRODUCT}/issues/{number}\n"
                text = text.replace(line, f"{line}    told_on: {sent[1]}\n")
            path.write_text(text, encoding="utf-8")
    assert len(shipped) == SHIPPED_UNTOLD, shipped
    # 6 rewards pending (the first 4 with their follow-up), 3 calls without notes: alice and bob only,
    # so carol has no call this month.
    for i in range(6):
        who = ("alice", "bob")[i % 2]
        new_interview(
            folder,
            f"late-{i}",
            TODAY - timedelta(days=10 + i),
            who,
            "completed",
            "pending" if i < 4 else "done",
        )
    for i in range(3):
        new_interview(
            folder,
            f"booked-{i}",
            TODAY - timedelta(days=3 + i),
            ("alice", "bob")[i % 2],
            "scheduled",
            "pending",
        )


def counted(*services: FakeGitHub | FakeSlack) -> Counter[str]:
    counts: Counter[str] = Counter()
    for service in services:
        for request in service.requests:
            if isinstance(service, FakeSlack):
                method = request.path.rsplit("/", 1)[-1]
                counts["slack messages" if method == "chat.postMessage" else f"slack {method}"] += 1
            else:
                counts[f"github {request.method}"] += 1
    return counts


def run(args: list[str], folder: Path, env: dict[str, str], today: date) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "feedbackloop", *args, "--root", str(folder), "--today", today.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"feedbackloop {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def line(title: str, counts: Counter[str]) -> str:
    besides = sum(n for what, n in counts.items() if what != "slack messages")
    detail = ", ".join(f"{what} {n}" for what, n in sorted(counts.items()))
    return f"{title:<28} {besides:3d} requests besides {counts['slack messages']} Slack messages ({detail})"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp, FakeGitHub() as github, FakeSlack() as slack:
        folder = Path(tmp)
        github.set_time(datetime(2026, 11, 28, 8, 17, tzinfo=UTC))
        slack.set_clock(datetime(2026, 11, 28, 8, 17, tzinfo=UTC))
        for login, member in ROSTER.items():
            slack.add_user(member, name=login)
        prepare(folder, count, github)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SLACK_"))}
        env = {
            **base,
            "GITHUB_TOKEN": github.token,
            "GITHUB_REPOSITORY": INTERVIEWS,
            "GITHUB_API_URL": github.url.rstrip("/"),
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_API_URL": slack.url,
        }
        results = []
        for title, today in (
            ("first run", TODAY),
            ("next morning", TODAY + timedelta(days=1)),
            ("re-run", None),
        ):
            github.requests.clear()
            slack.requests.clear()
            if today is not None and today != TODAY:
                github.advance(86400)
                slack.advance(86400)
            run(["remind"], folder, env, today or TODAY + timedelta(days=1))
            results.append(line(title, counted(github, slack)))
        flags = len(re.findall(r"^- \[ \] ", github.issues(INTERVIEWS)[0]["body"], re.MULTILINE))
        # the same morning again, as a dry run, against validate on the same files (best of three each)
        later = TODAY + timedelta(days=1)
        validate_time = min(run(["validate"], folder, base, later)[0] for _ in range(3))
        github.requests.clear()
        dry_time = run(["remind", "--dry-run"], folder, env, later)[0]
        dry = counted(github, slack)
        dry_time = min([dry_time, *(run(["remind", "--dry-run"], folder, env, later)[0] for _ in range(2))])
    print(f"interviews: {count}; request issues on FakeGitHub: {2 * (count - 9)}; overdue items: {flags}")
    for result in results:
        print(result)
    reads = ", ".join(f"{what} {n}" for what, n in sorted(dry.items()))
    print(f"{'dry run':<28} {sum(dry.values()):3d} requests ({reads})")
    print(f"feedbackloop validate:        {validate_time:6.2f} s")
    print(f"feedbackloop remind --dry-run: {dry_time:6.2f} s")
    print(f"ratio: {dry_time / validate_time:.2f}  (target <= 2.0; at most 10 requests besides the messages)")


if __name__ == "__main__":
    main()
