"""`feedbackloop reward`: a Shopify gift card issued exactly once, its code only in a Slack direct message.

Through the CLI in a real git repository, against FakeShopify (GraphQL on a schema slice), FakeSlack
and FakeGitHub (the write-back commit) over HTTP on 127.0.0.1. The few tests that need a wait run the
command in-process with a Policy whose sleep moves the fake's clock: nothing sleeps for real.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes.github import FakeGitHub
from fakes.server import Fault, Request
from fakes.shopify import FakeShopify
from fakes.slack import FakeSlack
from feedbackloop.commands import reward
from feedbackloop.commands.connect import Services
from feedbackloop.config import Environment
from feedbackloop.context import Context
from feedbackloop.ledger import Changes
from feedbackloop.records.parse import parse
from feedbackloop.records.writeback import render_scalar
from feedbackloop.services.retry import Budget, Policy, ServiceError
from feedbackloop.services.shopify import Shopify
from helpers_repo import Ran, assert_no_traceback, clean_env, commit, feedbackloop, git, make_repo

REPO = "acme/interviews"
TODAY = "2026-11-28"
JOE_ID = "2026-11-18-web-analytics-joe"
JOE = f"interviews/2026/{JOE_ID}.md"
JOE_PROFILE = "https://us.posthog.com/project/2/person/0192c1d9-joe"

PYPROJECT = """\
[tool.feedbackloop]
open_collective_page = "https://opencollective.com/acme/gift-cards"
public_repositories = ["acme/product"]
roster = [
    { github = "alice", slack = "U0ALICE" },
    { github = "bob", slack = "U0BOB" },
    { github = "carol" },
]
"""


def interview(
    record_id: str,
    *,
    first_name: str = "Joe",
    profile: str = JOE_PROFILE,
    interviewers: str = "[alice, bob]",
    reward: str = "  kind: merch\n  amount: 30\n  status: pending\n",
) -> str:
    return (
        "---\n"
        "# The call; feedbackloop writes the reward's ledger below.\n"
        f"id: {record_id}\n"
        "topic: Web analytics\n"
        f"date: {record_id[:10]}\n"
        "status: completed\n"
        f"interviewers: {interviewers}\n"
        "user:\n"
        f"  first_name: {first_name}\n"
        f"  profile: {profile}\n"
        "  company: Acme\n"
        "summary: Uses funnels daily.\n"
        "questions:\n"
        "  - question: Can cohorts be exported?\n"
        "    answer: Yes, from the cohort page (CSV).\n"
        "reward:\n"
        f"{reward}"
        "follow_up:\n"
        "  status: pending\n"
        "---\n"
        "## Notes\n\n- Moved from Google Analytics in September.\n"
    )


@dataclass
class World:
    root: Path
    shop: FakeShopify
    slack: FakeSlack
    github: FakeGitHub
    env: dict[str, str]
    summary: Path
    outputs: list[str] = field(default_factory=list)  # every stdout and stderr, for the leak search

    def cli(self, *args: str, **extra: str) -> Ran:
        ran = feedbackloop(*args, "--today", TODAY, cwd=self.root, env={**self.env, **extra})
        self.outputs += [ran.stdout, ran.stderr]
        assert_no_traceback(ran)
        return ran

    def reward(self, record_id: str = JOE_ID, *flags: str, **extra: str) -> Ran:
        return self.cli("reward", record_id, *flags, **extra)

    def checkout(self) -> None:
        """What a new workflow run sees: the remote's main, checked out."""
        self.github.export_git(REPO, self.root)
        git(self.root, "reset", "--quiet", "--hard", "main")

    def remote_file(self, path: str = JOE) -> str:
        data = self.github.read_file(REPO, path)
        assert data is not None
        return data.decode("utf-8")

    def reward_ledger(self, path: str = JOE) -> Any:
        parsed = parse(self.remote_file(path).encode(), path)
        assert parsed.record is not None
        return parsed.record.reward  # type: ignore[union-attr]

    def creates(self) -> int:
        return sum(1 for r in self.shop.requests if b"giftCardCreate" in r.body)

    def in_process(self, record_id: str = JOE_ID, *, dry_run: bool = False, sleep: Any = None) -> int:
        """The command without a subprocess, with a Policy whose waits move the fake's clock."""
        policy = Policy(sleep=sleep or (lambda seconds: None), clock=lambda: 0.0)
        env = Environment(clean_env(self.env))
        context = Context(self.root, env, date.fromisoformat(TODAY), policy)
        return reward.run(context, record_id, dry_run)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def start_world(tmp_path: Path, files: dict[str, str], shop: FakeShopify) -> Iterator[World]:
    root = make_repo(tmp_path / "repo", pyproject=PYPROJECT)
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    commit(root, "Add interviews")
    slack = FakeSlack()
    github = FakeGitHub()
    with shop, slack, github:
        slack.add_user("U0ALICE", name="alice")
        slack.add_user("U0BOB", name="bob")
        github.add_repo(REPO)
        github.import_git(root, REPO)
        summary = tmp_path / "summary.md"
        env = {
            "SHOPIFY_STORE": "feedbackloop-test.myshopify.com",
            "SHOPIFY_ADMIN_API_URL": shop.url,
            "SHOPIFY_ADMIN_TOKEN": shop.token,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_API_URL": slack.url,
            "GITHUB_TOKEN": github.token,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": github.url.rstrip("/"),
            "GITHUB_STEP_SUMMARY": str(summary),
        }
        yield World(root, shop, slack, github, env, summary)


SHOP_NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
DEACTIVATE = "mutation($id: ID!) { giftCardDeactivate(id: $id) { userErrors { message } } }"


@pytest.fixture
def clock() -> Clock:
    return Clock(SHOP_NOW)


@pytest.fixture
def world(tmp_path: Path, clock: Clock) -> Iterator[World]:
    yield from start_world(tmp_path, {JOE: interview(JOE_ID)}, FakeShopify(clock=clock))


def test_a_card_is_issued_once_and_recorded_in_one_commit(world: World) -> None:
    head = world.github.ref(REPO, "main")

    ran = world.reward()

    assert ran.code == 0, ran.output
    [card] = world.shop.gift_cards()
    assert card["initial_value"] == "30.0"
    assert card["expires_on"] is None
    assert card["note"] == f"feedbackloop reward {JOE_ID}\nprofile: {JOE_PROFILE}"
    assert f"{JOE_ID}: issued a merch gift card of $30 ending {card['last_characters']}" in ran.stdout
    assert "its code went to @alice in a Slack direct message" in ran.stdout
    ledger = world.reward_ledger()
    assert (ledger.status, ledger.card, ledger.card_last) == ("issued", card["id"], card["last_characters"])
    assert ledger.issued_on == date(2026, 11, 28)
    new_head = world.github.ref(REPO, "main")
    assert new_head != head
    assert world.github.repo(REPO).commit(new_head or "").message.startswith(f"feedbackloop reward: {JOE_ID}")
    # only the reward's lines changed: the comment, the order and the rest stay byte for byte
    ledger_lines = (
        f"  status: issued\n  card: {render_scalar(card['id'])}\n"
        f"  card_last: {render_scalar(card['last_characters'])}\n  issued_on: 2026-11-28\n"
    )
    assert world.remote_file() == interview(JOE_ID).replace("  status: pending\n", ledger_lines, 1)
    [dm] = world.slack.dms("U0ALICE")
    [code] = world.shop.issued_codes
    assert code in json.dumps(dm["blocks"])
    assert code not in dm["text"]  # the notification preview (a lock screen) does not show it
    assert world.slack.dms("U0BOB") == []

    world.checkout()
    again = world.reward()

    assert again.code == 0, again.output
    assert "nothing to do: the merch reward was issued on 2026-11-28" in again.stdout
    assert len(world.shop.gift_cards()) == 1
    assert world.creates() == 1
    assert world.github.ref(REPO, "main") == new_head


def test_a_run_killed_after_creating_the_card_is_repaired_without_a_second_card(world: World) -> None:
    """SIGKILL right after Shopify processed giftCardCreate (its answer never arrives), then a re-run."""
    started = threading.Event()
    process: list[subprocess.Popen[str]] = []

    def kill_at_create(request: Request) -> None:
        if b"giftCardCreate" in request.body:
            world.shop.inject(Fault.drop(), after=True)  # armed for this very request
            started.wait(10)
            os.kill(process[0].pid, signal.SIGKILL)

    world.shop.on_request = kill_at_create
    process.append(
        subprocess.Popen(
            [sys.executable, "-m", "feedbackloop", "reward", JOE_ID, "--today", TODAY],
            cwd=world.root,
            env=clean_env(world.env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    started.set()
    out, err = process[0].communicate(timeout=60)
    world.outputs += [out, err]
    world.shop.on_request = None

    assert process[0].returncode == -signal.SIGKILL
    assert len(world.shop.gift_cards()) == 1  # created, and its answer lost with the process
    assert world.github.read_file(REPO, JOE) == interview(JOE_ID).encode()  # nothing written back
    assert world.slack.dms("U0ALICE") == []

    ran = world.reward()

    assert ran.code == 0, ran.output
    [card] = world.shop.gift_cards()
    assert world.creates() == 1
    assert len(world.shop.issued_codes) == 1
    assert f"found the gift card ending {card['last_characters']} in Shopify" in ran.stdout
    assert "created none" in ran.stdout
    assert "deactivate the card ending" in ran.stdout  # what to do if the code never arrived
    ledger = world.reward_ledger()
    assert (ledger.status, ledger.card) == ("issued", card["id"])
    [notice] = world.slack.dms("U0ALICE")
    assert "was found in Shopify" in notice["text"]
    assert_code_nowhere(world)


def assert_code_nowhere(world: World) -> None:
    """No code Shopify handed out is in an output, a file of the repository, its history, the remote's
    commits or the job summary; the interviewer's direct message is the one place it may be."""
    codes = world.shop.issued_codes
    assert codes
    world.checkout()
    history = subprocess.run(
        ["git", "log", "--all", "-p", "--format=%H%n%B"],
        cwd=world.root,
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    ).stdout
    places = {"history": history, "outputs": "\n".join(world.outputs)}
    if world.summary.exists():
        places["job summary"] = world.summary.read_text(encoding="utf-8")
    for path in world.root.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            places[str(path)] = path.read_bytes().decode("utf-8", "replace")
    for name, data in world.github.files(REPO).items():
        places[f"remote {name}"] = data.decode("utf-8", "replace")
    for channel in world.slack.channels:
        if not world.slack.channels[channel].is_im:
            places[f"slack {channel}"] = json.dumps(world.slack.messages(channel))
    places["issues"] = json.dumps(world.github.issues(REPO))
    for code in codes:
        for name, text in places.items():
            assert code not in text, f"a gift card code leaked into {name}"
            assert code.upper() not in text, f"a gift card code leaked into {name}"


def test_the_code_is_in_no_output_file_commit_or_summary(world: World) -> None:
    ran = world.reward()
    assert ran.code == 0, ran.output
    world.checkout()
    world.reward()  # the re-run: nothing to do, and still nothing to leak

    assert world.summary.read_text(encoding="utf-8").startswith(f"### Reward: `{JOE_ID}`")
    [code] = world.shop.issued_codes
    [dm] = world.slack.dms("U0ALICE")
    assert f"Code: `{code}`" in dm["blocks"][0]["text"]["text"]
    assert_code_nowhere(world)


def test_in_actions_the_code_is_masked_before_anything_else_is_printed(world: World) -> None:
    ran = world.reward(GITHUB_ACTIONS="true")

    assert ran.code == 0, ran.output
    [code] = world.shop.issued_codes
    lines = ran.stdout.splitlines()
    holding = [i for i, line in enumerate(lines) if code in line]
    assert [lines[i] for i in holding] == [f"::add-mask::{code}"]
    issued = next(i for i, line in enumerate(lines) if "issued a merch gift card" in line)
    assert holding[0] < issued
    assert code not in ran.stderr
    assert code not in world.summary.read_text(encoding="utf-8")


def test_dry_run_sends_nothing_and_writes_nothing(world: World) -> None:
    head = world.github.ref(REPO, "main")

    ran = world.reward(JOE_ID, "--dry-run")

    assert ran.code == 0, ran.output
    assert "a merch gift card of $30, never expiring" in ran.stdout
    assert "no card created since 2026-11-17 has this interview's note" in ran.stdout
    assert "would send its code to @alice in a Slack direct message" in ran.stdout
    assert world.creates() == 0
    assert world.shop.gift_cards() == []
    assert world.slack.calls("chat.postMessage") == 0
    assert world.slack.calls("conversations.open") == 0
    assert world.github.ref(REPO, "main") == head
    assert (world.root / JOE).read_text(encoding="utf-8") == interview(JOE_ID)
    assert "API requests: shopify 1" in ran.stdout


def test_dry_run_on_a_laptop_without_any_service(world: World) -> None:
    ran = feedbackloop("reward", JOE_ID, "--dry-run", "--today", TODAY, cwd=world.root)

    assert ran.code == 0, ran.output
    assert "Shopify is not configured here" in ran.stdout
    assert "SLACK_BOT_TOKEN is not set here" in ran.stdout
    assert world.shop.requests == []


def test_a_lost_answer_is_looked_up_by_note_and_not_created_again(world: World) -> None:
    def drop_create(request: Request) -> None:
        if b"giftCardCreate" in request.body:
            world.shop.inject(Fault.drop(), after=True)

    world.shop.on_request = drop_create
    ran = world.reward()

    assert ran.code == 1, ran.output
    [card] = world.shop.gift_cards()
    assert world.creates() == 1
    assert "recorded it, created none" in ran.stdout
    assert "Shopify's answer to creating it was lost, and its code with it" in ran.stdout
    assert world.reward_ledger().card == card["id"]


def test_a_refused_create_is_not_repeated_in_the_same_run_and_the_next_run_issues(world: World) -> None:
    """A 503 may hide a card Shopify's search does not show yet: the run stops; the next one issues."""

    def refuse_create(request: Request) -> None:
        if b"giftCardCreate" in request.body:
            world.shop.inject(Fault.status(503, body={"errors": "Service Unavailable"}))

    world.shop.on_request = refuse_create
    ran = world.reward()

    assert ran.code == 1
    assert "did not answer whether the gift card was created" in ran.stderr
    assert "fix: run `feedbackloop reward" in ran.stderr
    assert world.shop.gift_cards() == []
    assert world.github.read_file(REPO, JOE) == interview(JOE_ID).encode()

    world.shop.on_request = None
    again = world.reward()
    assert again.code == 0, again.output
    assert len(world.shop.gift_cards()) == 1


# -- refusals: a clear message with the fix, exit 1, no traceback ----------------------------------


@pytest.mark.parametrize(
    ("code", "field", "message", "fix"),
    [
        ("INTERNAL_ERROR", None, "Unexpected internal error happened.", "run again later"),
        ("GREATER_THAN", ["input", "initialValue"], "must be greater than 0", "amount above 0"),
        ("GIFT_CARD_LIMIT_EXCEEDED", ["input", "initialValue"], "can't exceed $20.00 USD", "gift card limit"),
        ("CUSTOMER_NOT_FOUND", ["input", "customerId"], "The customer could not be found.", "customer id"),
        ("RECIPIENT_NOT_FOUND", ["input", "recipientAttributes", "id"], "Recipient could not be found", "id"),
        ("TOO_LONG", ["input", "note"], "Note is too long (maximum is 5000 characters)", "shorten"),
        ("TOO_SHORT", ["input", "code"], "Code must be at least 8 characters long", "lengthen"),
        ("INVALID", ["input", "expiresOn"], "Expires on must be today or in the future", "expiry_days"),
        ("MISSING_ARGUMENT", ["input"], "Missing argument", "bug in feedbackloop"),
        ("TAKEN", ["input", "code"], "Code has already been taken", "lets Shopify choose codes"),
        (None, ["input", "code"], "Code has already been taken", "lets Shopify choose codes"),
    ],
)
def test_every_user_error_of_gift_card_create(
    world: World, code: str | None, field: list[str] | None, message: str, fix: str
) -> None:
    world.shop.queue_user_error(message, field=field, code=code)

    ran = world.reward()

    assert ran.code == 1
    assert "error: shopify: issue a gift card: Shopify refused it" in ran.stderr
    assert message in ran.stderr
    assert fix in ran.stderr.split("fix:")[1]
    assert world.shop.gift_cards() == []
    assert world.slack.dms("U0ALICE") == []
    assert world.github.read_file(REPO, JOE) == interview(JOE_ID).encode()


def test_user_errors_shopify_makes_itself(tmp_path: Path, clock: Clock) -> None:
    """Not queued: the store's limit, an expiry in the store's past, a long note. (A zero amount never
    reaches Shopify: validation refuses it, below.)"""
    for files, shop, setting, expected in (
        ({JOE: interview(JOE_ID)}, FakeShopify(clock=clock, issue_limit="20"), "", "can't exceed $20.00 USD"),
        ({JOE: interview(JOE_ID)}, FakeShopify(clock=clock, note_max_length=20), "", "Note is too long"),
        (
            {JOE: interview(JOE_ID)},
            FakeShopify(clock=Clock(SHOP_NOW + timedelta(days=90))),
            "gift_card_expiry_days = 30\n",
            "Expires on must be today or in the future [INVALID]",
        ),
    ):
        where = tmp_path / expected.split()[0]
        for world in start_world(where, files, shop):
            if setting:
                (world.root / "pyproject.toml").write_text(
                    PYPROJECT.replace("[tool.feedbackloop]\n", f"[tool.feedbackloop]\n{setting}"),
                    encoding="utf-8",
                )
            ran = world.reward()
            assert ran.code == 1, ran.output
            assert expected in ran.stderr
            assert "fix: " in ran.stderr
            assert world.shop.gift_cards() == []


def test_a_zero_amount_is_refused_before_shopify_is_asked(tmp_path: Path, clock: Clock) -> None:
    zero = interview(JOE_ID, reward="  kind: merch\n  amount: 0\n  status: pending\n")
    for world in start_world(tmp_path, {JOE: zero}, FakeShopify(clock=clock)):
        assert "`reward.amount` is 0: a reward is worth more than nothing" in world.cli("validate").stdout
        ran = world.reward()
        assert ran.code == 1, ran.output
        assert f"{JOE} has problems" in ran.stderr
        assert world.shop.requests == []


def test_throttled_once_is_retried_through_the_shared_policy(world: World) -> None:
    world.shop.throttle()  # the next request answers THROTTLED; the bucket is full, so the wait is 0 s

    ran = world.reward()

    assert ran.code == 0, ran.output
    assert len(world.shop.gift_cards()) == 1
    assert "shopify rate limit left:" in ran.stdout


def test_throttled_for_good_ends_in_a_clear_message(world: World) -> None:
    world.shop.throttle(times=10)

    ran = world.reward()

    assert ran.code == 1
    assert "throttled: the store's API cost bucket is empty" in ran.stderr
    assert "fix: the next run continues" in ran.stderr
    assert world.shop.gift_cards() == []


def test_the_throttle_wait_comes_from_the_cost_extension(world: World, clock: Clock) -> None:
    """5 points left, 100 restored a second; the listing asks for 203: wait 1.98 s, on the fake's clock."""
    world.shop.bucket.available = 5
    world.shop.bucket.updated = clock.now
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        clock.advance(seconds)

    assert world.in_process(sleep=sleep) == 0
    # then the bucket is empty again: creating (10 points) waits 0.1 s
    assert waited == [pytest.approx(1.98), pytest.approx(0.1)]
    assert len(world.shop.gift_cards()) == 1


def test_a_missing_write_scope_names_the_scope_to_add(tmp_path: Path, clock: Clock) -> None:
    for world in start_world(
        tmp_path, {JOE: interview(JOE_ID)}, FakeShopify(clock=clock, scopes={"read_gift_cards"})
    ):
        ran = world.reward()
        assert ran.code == 1
        assert (
            "issue a gift card: the app's access token lacks the `write_gift_cards` access scope"
            in ran.stderr
        )
        assert "add `write_gift_cards` (and `read_gift_cards`)" in ran.stderr
        assert "SHOPIFY_ADMIN_TOKEN" in ran.stderr


def test_a_missing_read_scope_stops_before_anything_is_created(tmp_path: Path, clock: Clock) -> None:
    for world in start_world(
        tmp_path, {JOE: interview(JOE_ID)}, FakeShopify(clock=clock, scopes={"read_orders"})
    ):
        ran = world.reward()
        assert ran.code == 1
        assert "lacks the `read_gift_cards` access scope" in ran.stderr
        assert world.creates() == 0


def test_a_wrong_token_is_401_with_the_fix(world: World) -> None:
    ran = world.reward(SHOPIFY_ADMIN_TOKEN="shpat_wrong")

    assert ran.code == 1
    assert "HTTP 401: [API] Invalid API key or access token" in ran.stderr
    assert "fix: SHOPIFY_ADMIN_TOKEN is not an Admin API access token of this store" in ran.stderr


def test_an_unknown_api_version_says_which_setting_to_change(world: World) -> None:
    (world.root / "pyproject.toml").write_text(
        PYPROJECT + 'shopify_api_version = "2099-01"\n', encoding="utf-8"
    )
    ran = world.reward()

    assert ran.code == 1
    assert "HTTP 404" in ran.stderr
    assert "`shopify_api_version`" in ran.stderr


@pytest.mark.parametrize(
    "error",
    [
        {
            "message": "syntax error, unexpected end of file at [3, 1]",
            "locations": [{"line": 3, "column": 1}],
            "extensions": {"code": "PARSE_ERROR"},
        },
        {
            "message": "Field 'enabled' doesn't exist on type 'GiftCard'",
            "locations": [{"line": 5, "column": 7}],
            "path": ["query FindRewards", "giftCards", "nodes", "enabled"],
            "extensions": {"code": "undefinedField", "typeName": "GiftCard", "fieldName": "enabled"},
        },
    ],
)
def test_graphql_errors_end_in_a_clear_message(world: World, error: dict[str, Any]) -> None:
    """What Shopify answers (HTTP 200, top-level `errors`) to a document its version cannot run."""
    world.shop.inject(Fault.status(200, body={"errors": [error]}))

    ran = world.reward()

    assert ran.code == 1
    assert f"Shopify refused the request: {error['message']}" in ran.stderr
    assert "fix: `shopify_api_version` is 2025-10" in ran.stderr
    assert world.shop.gift_cards() == []


def test_the_store_currency_must_match_the_settings(tmp_path: Path, clock: Clock) -> None:
    for world in start_world(tmp_path, {JOE: interview(JOE_ID)}, FakeShopify(clock=clock, currency="EUR")):
        ran = world.reward()
        assert ran.code == 2
        assert "the store's currency is EUR but rewards.merch.currency is USD" in ran.stderr
        assert 'rewards.merch = { amount = "30", currency = "EUR" }' in ran.stderr
        assert world.creates() == 0


def test_nobody_to_receive_the_code_means_no_card(tmp_path: Path, clock: Clock) -> None:
    files = {JOE: interview(JOE_ID, interviewers="[carol]")}
    for world in start_world(tmp_path, files, FakeShopify(clock=clock)):
        ran = world.reward()
        assert ran.code == 1
        assert "no interviewer (carol) has a Slack id in the roster" in ran.stderr
        assert world.creates() == 0

        (world.root / JOE).write_text(interview(JOE_ID), encoding="utf-8")
        ran = world.reward(SLACK_BOT_TOKEN="")
        assert ran.code == 1
        assert "SLACK_BOT_TOKEN is not set" in ran.stderr
        assert world.creates() == 0


def test_delivery_by_shopify_needs_a_customer_the_record_does_not_have(world: World) -> None:
    (world.root / "pyproject.toml").write_text(
        PYPROJECT + 'gift_card_delivery = "shopify"\n', encoding="utf-8"
    )

    ran = world.reward()

    assert ran.code == 1
    assert "needs the person's Shopify customer id" in ran.stderr
    assert 'fix: set gift_card_delivery = "interviewer"' in ran.stderr
    assert world.shop.requests == []


def test_a_failed_direct_message_still_records_the_card_and_says_what_to_do(world: World) -> None:
    world.slack.fail("channel_not_found", "chat.postMessage")

    ran = world.reward()

    assert ran.code == 1
    [card] = world.shop.gift_cards()
    assert world.reward_ledger().card == card["id"]
    assert "its code could not be sent to @alice" in ran.stdout
    assert f"deactivate the card ending {card['last_characters']}" in ran.stdout
    assert_code_nowhere(world)


def test_a_deactivated_card_is_no_reward(world: World) -> None:
    """The way out of a lost code: deactivate the card, reset the ledger, run again."""
    card_id = world.shop.add_gift_card(
        initial_value="30", note=f"feedbackloop reward {JOE_ID}", created_at=SHOP_NOW - timedelta(days=1)
    )
    deactivated = httpx.post(  # as Shopify admin would
        world.shop.graphql_url,
        headers={"X-Shopify-Access-Token": world.shop.token},
        json={"query": DEACTIVATE, "variables": {"id": card_id}},
    )
    assert deactivated.json()["data"]["giftCardDeactivate"]["userErrors"] == []

    ran = world.reward()

    assert ran.code == 0, ran.output
    assert len(world.shop.gift_cards()) == 2
    assert world.reward_ledger().card != card_id


# -- Open Collective -------------------------------------------------------------------------------


def test_a_person_who_had_merch_gets_open_collective_and_the_next_step(tmp_path: Path, clock: Clock) -> None:
    june = "2026-06-18-onboarding-joe"
    files = {
        f"interviews/2026/{june}.md": interview(
            june, reward="  kind: merch\n  amount: 30\n  status: sent\n  sent_on: 2026-06-25\n"
        ),
        JOE: interview(JOE_ID),
    }
    for world in start_world(tmp_path, files, FakeShopify(clock=clock)):
        problems = world.cli("validate")
        assert "merch-twice" in problems.stdout

        ran = world.reward()

        assert ran.code == 0, ran.output
        assert f"the person already received merch ({june})" in ran.stdout
        assert (
            "next: send an Open Collective gift card of $30 from https://opencollective.com/acme/gift-cards"
            in ran.stdout
        )
        assert "then set `reward.status: sent` and `reward.sent_on`" in ran.stdout
        assert world.shop.requests == []
        assert world.slack.calls("chat.postMessage") == 0
        assert world.reward_ledger().kind == "open-collective"
        assert world.reward_ledger().status == "pending"

        world.checkout()
        assert world.cli("validate").code == 0
        again = world.reward()
        assert again.code == 0
        assert "next: send an Open Collective gift card of $30" in again.stdout
        assert world.shop.requests == []


def test_merch_in_a_file_that_cannot_be_read_is_not_given_again(tmp_path: Path) -> None:
    june = "2026-06-18-onboarding-joe"
    priya = "2026-11-21-session-replay-priya"
    sent = "  kind: merch\n  amount: 30\n  status: sent\n  sent_on: 2026-06-25\n"
    june_path = f"interviews/2026/{june}.md"
    root = make_repo(tmp_path / "repo", pyproject=PYPROJECT + "rewards_on_publish = true\n")
    files = {
        # a typo in a value: the file no longer reads, and with it the merch Joe received in June
        june_path: interview(june, reward=sent).replace("topic:", "recruited_via: surveyy\ntopic:"),
        JOE: interview(JOE_ID),
        f"interviews/2026/{priya}.md": interview(
            priya, first_name="Priya", profile="https://us.posthog.com/project/2/person/priya"
        ),
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")

    one = feedbackloop("reward", JOE_ID, "--dry-run", "--today", TODAY, cwd=root)
    pending = feedbackloop("reward", "--pending", "--dry-run", "--today", TODAY, cwd=root)

    assert_no_traceback(one)
    assert one.code == 1, one.output
    refusal = f"{JOE_ID}: no merch gift card while {june_path} cannot be read"
    assert refusal in one.stderr
    assert "merch gift card of $30" not in one.stdout
    assert pending.code == 0, pending.output
    assert f"would stop: {refusal}" in pending.stdout
    assert f"{priya}: a merch gift card of $30" in pending.stdout  # other rewards go on
    assert f"{JOE_ID}: a merch gift card" not in pending.stdout


def test_merch_in_a_file_with_other_problems_still_counts_for_pending_rewards(tmp_path: Path) -> None:
    june = "2026-06-18-onboarding-joe"
    sent = "  kind: merch\n  amount: 30\n  status: sent\n  sent_on: 2026-06-25\n"
    root = make_repo(tmp_path / "repo", pyproject=PYPROJECT + "rewards_on_publish = true\n")
    files = {
        # reads, but breaks a rule (a recording without consent): still the record of Joe's merch
        f"interviews/2026/{june}.md": interview(june, reward=sent).replace(
            "summary:", "recording:\n  url: https://app.buildbetter.app/calls/1\nsummary:"
        ),
        JOE: interview(JOE_ID),
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")

    ran = feedbackloop("reward", "--pending", "--dry-run", "--today", TODAY, cwd=root)

    assert ran.code == 0, ran.output
    assert f"skipped interviews/2026/{june}.md: it has problems" in ran.stdout
    assert f"{JOE_ID}: an Open Collective gift card of $30 (the person received merch for {june})" in (
        ran.stdout
    )


# -- publish's step --------------------------------------------------------------------------------


def test_issue_rewards_for_publish_lists_once_and_turns_a_second_merch_into_open_collective(
    tmp_path: Path, clock: Clock
) -> None:
    priya = "2026-11-21-session-replay-priya"
    joe_again = "2026-11-25-web-analytics-joe"
    files = {
        JOE: interview(JOE_ID),
        f"interviews/2026/{priya}.md": interview(
            priya, first_name="Priya", profile="https://us.posthog.com/project/2/person/priya"
        ),
        f"interviews/2026/{joe_again}.md": interview(joe_again),
    }
    for world in start_world(tmp_path, files, FakeShopify(clock=clock)):
        (world.root / "pyproject.toml").write_text(
            PYPROJECT + "rewards_on_publish = true\n", encoding="utf-8"
        )
        context = Context(
            world.root,
            Environment(clean_env(world.env)),
            date.fromisoformat(TODAY),
            Policy(sleep=lambda s: None),
        )
        changes = Changes()
        records = context.repository.records

        outcomes = reward.issue_rewards(context, Services(context), records, changes)

        assert [(o.record_id, bool(o.failed)) for o in outcomes] == [
            (JOE_ID, False),
            (priya, False),
            (joe_again, False),
        ]
        assert "now an Open Collective gift card" in outcomes[2].done
        assert len(world.shop.gift_cards()) == 2
        lists = sum(1 for r in world.shop.requests if b"FindRewards" in r.body)
        assert lists == 1  # one listing serves every reward
        assert changes.by_path[JOE][("reward", "status")] == "issued"
        assert changes.by_path[f"interviews/2026/{joe_again}.md"] == {("reward", "kind"): "open-collective"}
        assert len(world.slack.dms("U0ALICE")) == 2

        # off unless the settings say so
        (world.root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
        quiet = Context(world.root, Environment(clean_env(world.env)), date.fromisoformat(TODAY))
        assert reward.issue_rewards(quiet, Services(quiet), records, Changes()) == []


def test_issue_rewards_stops_shopify_for_the_run_on_a_service_failure(tmp_path: Path, clock: Clock) -> None:
    priya = "2026-11-21-session-replay-priya"
    files = {
        JOE: interview(JOE_ID),
        f"interviews/2026/{priya}.md": interview(
            priya, first_name="Priya", profile="https://us.posthog.com/project/2/person/priya"
        ),
    }
    for world in start_world(tmp_path, files, FakeShopify(clock=clock, scopes={"read_gift_cards"})):
        (world.root / "pyproject.toml").write_text(
            PYPROJECT + "rewards_on_publish = true\n", encoding="utf-8"
        )
        context = Context(world.root, Environment(clean_env(world.env)), date.fromisoformat(TODAY))

        outcomes = reward.issue_rewards(context, Services(context), context.repository.records, Changes())

        assert "lacks the `write_gift_cards` access scope" in outcomes[0].failed
        assert outcomes[1].failed.startswith("Shopify: stopped for this run")
        assert world.creates() == 1


def test_the_adapter_raises_service_errors_not_library_errors(world: World) -> None:
    world.shop.inject(Fault.drop(), times=10)
    with pytest.raises(ServiceError, match="no answer"):
        world.in_process()


def test_a_cards_note_is_cleared_for_an_erasure(clock: Clock) -> None:
    """What `forget` will call: giftCardUpdate with `note: null`; a card that is gone is not an error."""
    with FakeShopify(clock=clock) as shop:
        shopify = Shopify(
            shop.token, shop.graphql_url_for("2025-10"), Policy(sleep=lambda s: None), Budget(50)
        )
        issued = shopify.create_gift_card(
            Decimal(30), f"feedbackloop reward {JOE_ID}\nprofile: {JOE_PROFILE}"
        )
        assert issued.code not in repr(issued)

        assert shopify.set_note(issued.card.id, None) is True
        assert shop.gift_cards()[0]["note"] is None
        assert shopify.set_note("gid://shopify/GiftCard/1", None) is False
        assert shopify.budget.used["shopify"] == 3
        [listed] = shopify.gift_cards_since(date(2026, 11, 1)).cards
        assert (listed.id, listed.note, listed.amount, listed.currency) == (
            issued.card.id,
            None,
            Decimal(30),
            "USD",
        )
