"""One person, marked by sentinels, across every service: for the personal-data and `forget` tests.

    with Realm.create(tmp_path) as realm:     # helpers_publish.World, plus FakeShopify and the calendar
        realm.merge()                         # a pull request adds the person's records; it is merged
        out = realm.run("publish")            # any command, in-process: stdout and stderr apart
        realm.leaks(out.stdout)               # the sentinels found in a text (none, we hope)

The person's first name, company, role and profile link are SENTINELS: words that occur nowhere else,
so finding one in a log, a job summary or a commit message is a leak. Record ids are built from a slug
that holds none of them (an id is how a log names a record, and ids made by `feedbackloop new` do hold
the first name: that is by design, and `forget` says how to rewrite them).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fakes.google import FakeGoogleCalendar
from fakes.shopify import FakeShopify
from helpers_publish import (
    CHANNEL,
    DOC_ID,
    NOW,
    PRODUCT,
    REPO,
    TODAY,
    World,
    team_pyproject,
    world_at,
)
from helpers_repo import Ran, git

FIRST = "Zorblatt"
COMPANY = "Quuxcorp"
ROLE = "Chief Sentinel Officer"
PROFILE = "https://us.posthog.com/project/2/person/sentinel-7f3a9"
SENTINELS = (FIRST, COMPANY, ROLE, PROFILE, "sentinel-7f3a9")
CALENDAR = "interviews@group.calendar.google.com"
ID_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*")

CALL_ID = "2026-11-10-web-analytics-p1"  # completed: issues, Slack, the doc, a gift card
NEXT_ID = "2026-12-03-surveys-p1"  # the same person's next call, scheduled: the calendar
NOTE_ID = "2026-11-24-slack-feedback-p1"  # feedback the same person shared in Slack
OTHER_ID = "2026-11-25-slack-feedback-ana"  # someone else: left alone by everything here
CALL = f"interviews/2026/{CALL_ID}.md"
NEXT = f"interviews/2026/{NEXT_ID}.md"
NOTE = f"interviews/2026/{NOTE_ID}.md"
OTHER = f"interviews/2026/{OTHER_ID}.md"
PERSON_IDS = (CALL_ID, NEXT_ID, NOTE_ID)


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def call_file(hand_set_issue: int) -> str:
    """The completed call: a new request, one on an issue set by hand, the name in the free text."""
    return "\n".join(
        [
            "---",
            f"id: {CALL_ID}",
            "topic: Web analytics",
            "date: 2026-11-10",
            "status: completed",
            "interviewers: [alice, bob]",
            "user:",
            f"  first_name: {FIRST}",
            f"  profile: {PROFILE}",
            f"  company: {COMPANY}",
            f"  role: {_q(ROLE)}",
            "  technical: true",
            "recruited_via: survey",
            "recording:",
            "  consent: true",
            f"  url: https://app.buildbetter.app/calls/{CALL_ID}",
            f"  title: {_q(f'Web analytics user interview with {FIRST}')}",
            f"summary: {_q(f'{FIRST} uses funnels daily at {COMPANY}; wants breakdowns by cohort.')}",
            "requests:",
            "  - type: bug",
            "    title: Funnel breakdown crashes with more than 50 steps",
            f"    details: {_q(f'{FIRST} saw it on the trends page too.')}",
            "  - type: feature",
            "    title: Jump to the next console error in a replay",
            f"    issue: https://github.com/{PRODUCT}/issues/{hand_set_issue}",
            "questions:",
            "  - question: Can cohorts be exported?",
            "    answer: Yes, from the cohort page (CSV).",
            "reward:",
            "  kind: merch",
            "  amount: 30",
            "  status: pending",
            "follow_up:",
            "  status: pending",
            "---",
            "## Notes",
            "",
            f"- {FIRST} moved {COMPANY} from Google Analytics in September.",
            "- Funnels with 50+ steps crash.",
            "",
        ]
    )


def next_file() -> str:
    return "\n".join(
        [
            "---",
            f"id: {NEXT_ID}",
            "topic: Surveys",
            "date: 2026-12-03",
            'time: "15:00"',
            "status: scheduled",
            "interviewers: [carol]",
            "user:",
            f"  first_name: {FIRST}",
            f"  profile: {PROFILE}",
            f"  company: {COMPANY}",
            "recruited_via: email",
            "---",
            "",
        ]
    )


def note_file(record_id: str, first_name: str, profile: str, company: str, feedback: str) -> str:
    title = "SQL editor loses the query on reload" if first_name == FIRST else "Export is slow"
    return "\n".join(
        [
            "---",
            "kind: note",
            f"id: {record_id}",
            f"date: {record_id[:10]}",
            "received_by: carol",
            "received_via: slack",
            "user:",
            f"  first_name: {first_name}",
            f"  profile: {profile}",
            f"  company: {_q(company)}",
            f"feedback: {_q(feedback)}",
            "requests:",
            "  - type: bug",
            f"    title: {_q(title)}",
            "---",
            f"Shared by {first_name} in our community Slack.",
            "",
        ]
    )


def person_files(hand_set_issue: int) -> dict[str, str]:
    return {
        CALL: call_file(hand_set_issue),
        NEXT: next_file(),
        NOTE: note_file(
            NOTE_ID, FIRST, PROFILE, COMPANY, f"{FIRST}: the SQL editor loses the query on reload."
        ),
        OTHER: note_file(
            OTHER_ID,
            "Ana",
            "https://us.posthog.com/project/2/person/01HX-ana",
            "Tidewater",
            "Exports take minutes.",
        ),
    }


def pyproject(**extra: Any) -> str:
    settings: dict[str, Any] = {
        "slack_channel": CHANNEL,
        "google_doc_id": DOC_ID,
        "google_calendar_id": CALENDAR,
        "rewards_on_publish": True,
        "open_collective_page": "https://opencollective.com/acme/gift-cards",
        **extra,
    }
    return team_pyproject(**settings)


@dataclass
class Realm:
    world: World
    shop: FakeShopify
    calendar: FakeGoogleCalendar
    outputs: list[str] = field(default_factory=list)  # every stdout and stderr of every run

    @classmethod
    @contextlib.contextmanager
    def create(cls, tmp: Path, **settings: Any) -> Iterator[Realm]:
        """The team's repository (the settings, no interviews yet) on FakeGitHub, with Slack, the Doc,
        the calendar and the Shopify store around it."""
        with world_at(tmp, {"pyproject.toml": pyproject(**settings)}) as world:
            shop = FakeShopify(clock=lambda: NOW).start()
            calendar = FakeGoogleCalendar(world.auth).start()
            calendar.add_calendar(CALENDAR, time_zone="UTC")
            realm = cls(world, shop, calendar)
            try:
                yield realm
            finally:
                shop.stop()
                calendar.stop()

    # -- the person's records --------------------------------------------------------------------
    def merge(self) -> int:
        """A teammate's pull request adds the four records, and is merged (the push a run sees)."""
        return self.world.merge_pull_request(
            person_files(self.world.hand_set_issue), title="This week's interviews", branch="interviews"
        )

    # -- the environment and the commands ----------------------------------------------------------
    def env(self, **overrides: str | None) -> dict[str, str]:
        values = {
            "GOOGLE_OAUTH_ACCESS_TOKEN": self.world.auth.issue_token(),  # the Doc's and the calendar's
            "GOOGLE_CALENDAR_API_URL": self.calendar.base_url,
            "SHOPIFY_STORE": "feedbackloop-test.myshopify.com",
            "SHOPIFY_ADMIN_API_URL": self.shop.url,
            "SHOPIFY_ADMIN_TOKEN": self.shop.token,
            **{k: v for k, v in overrides.items() if v is not None},
        }
        env = self.world.env(**values)
        for name in (k for k, v in overrides.items() if v is None):
            env.pop(name, None)
        return env

    def run(
        self,
        command: str,
        *,
        today: date = TODAY,
        env: Mapping[str, str | None] | None = None,
        **options: Any,
    ) -> Ran:
        """`feedbackloop COMMAND` in this process (waits recorded, never slept), as cli.run reports it."""
        from feedbackloop.config import Environment
        from feedbackloop.context import Context
        from feedbackloop.errors import FeedbackloopError
        from feedbackloop.services.retry import Policy

        module = importlib.import_module(f"feedbackloop.commands.{command}")
        context = Context(
            self.world.root,
            Environment(self.env(**(env or {}))),
            today,
            policy=Policy(sleep=self.world.sleep, clock=self.world.clock),
        )
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = module.run(context, **options)
            except FeedbackloopError as error:
                print(f"error: {error}", file=stderr)
                code = error.exit_code
        out = Ran(code, stdout.getvalue(), stderr.getvalue())
        self.outputs += [out.stdout, out.stderr]
        return out

    def checkout(self) -> None:
        self.world.checkout()

    # -- what the services hold ----------------------------------------------------------------------
    def summary(self) -> str:
        path = self.world.summary_path
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def commit_messages(self) -> list[str]:
        """Every commit message on the remote's main, read with git from a real export of the fake."""
        self.world.github.export_git(REPO, self.world.root, branch="main")
        log = git(self.world.root, "log", "--format=%B%x00", "main")
        return [m.strip() for m in log.split("\x00") if m.strip()]

    def files(self) -> dict[str, str]:
        return {path: self.world.remote_text(path) for path in (CALL, NEXT, NOTE, OTHER)}


def leaks(text: str, ids: Sequence[str] = ()) -> list[str]:
    """The sentinels in `text` (case-insensitive), once record ids, which may hold a slug, are taken out."""
    cleaned = ID_LIKE.sub("<id>", text)
    for record_id in ids:
        cleaned = cleaned.replace(record_id, "<id>")
    folded = cleaned.casefold()
    return [s for s in SENTINELS if s.casefold() in folded]
