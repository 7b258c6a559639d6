"""`feedbackloop reward --pending`: every pending merch reward, as publish issues them with
`rewards_on_publish`; what publish.yml's rewards job runs, in the environment that holds the Shopify token.
Against FakeShopify, FakeSlack and FakeGitHub (tests/helpers_privacy.py's realm)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from feedbackloop.config import Environment
from feedbackloop.lock import acquire
from feedbackloop.services.github import GitHub
from feedbackloop.services.retry import Budget, Policy
from helpers_privacy import CALL, CALL_ID, Realm
from helpers_publish import REPO


@pytest.fixture
def realm(tmp_path: Path) -> Iterator[Realm]:
    with Realm.create(tmp_path) as made:
        made.merge()
        made.world.forget_requests()
        yield made


def creates(realm: Realm) -> int:
    return sum(1 for r in realm.shop.requests if b"giftCardCreate" in r.body)


def test_every_pending_merch_reward_is_issued_once(realm: Realm) -> None:
    ran = realm.run("reward", interview_id=None, dry_run=False, pending=True)

    assert ran.code == 0, ran
    assert f"{CALL_ID}: issued a merch gift card of $30" in ran.stdout
    assert creates(realm) == 1
    [card] = realm.shop.gift_cards()
    assert card["note"].startswith(f"feedbackloop reward {CALL_ID}\n")
    [dm] = realm.world.slack.dms("U0ALICE")
    assert realm.shop.issued_codes[0] in str(dm["blocks"])  # the code, to the interviewer only
    shown = [line for line in ran.output.splitlines() if not line.startswith("::add-mask::")]
    assert realm.shop.issued_codes[0] not in "\n".join(shown) + realm.summary()  # masked first, then never
    ledger = realm.world.frontmatter(CALL)["reward"]
    assert (ledger["status"], ledger["card"]) == ("issued", card["id"])
    [message] = [m for m in realm.commit_messages() if m.startswith("feedbackloop reward")]
    assert CALL_ID in message
    assert realm.world.github.ref(REPO, "refs/feedbackloop/publish") is None  # the lock, released

    # Again from the same (older) checkout: the card is found by its note, none is created.
    again = realm.run("reward", interview_id=None, dry_run=False, pending=True)
    assert again.code == 0, again
    assert creates(realm) == 1
    # From the write-back: nothing pending.
    realm.checkout()
    assert (
        "No pending merch reward."
        in realm.run("reward", interview_id=None, dry_run=False, pending=True).stdout
    )


def test_without_rewards_on_publish_nothing_is_issued(tmp_path: Path) -> None:
    with Realm.create(tmp_path, rewards_on_publish=False) as realm:
        realm.merge()

        ran = realm.run("reward", interview_id=None, dry_run=False, pending=True)

        assert ran.code == 0, ran
        assert "rewards_on_publish is off" in ran.stdout
        assert realm.shop.requests == []


def test_a_dry_run_issues_nothing(realm: Realm) -> None:
    ran = realm.run("reward", interview_id=None, dry_run=True, pending=True)

    assert ran.code == 0, ran
    assert f"{CALL_ID}: a merch gift card of $30" in ran.stdout
    assert creates(realm) == 0
    assert realm.world.slack.dms("U0ALICE") == []
    assert [r for r in realm.world.github.requests if r.method != "GET"] == []


def test_without_the_shopify_token_the_rewards_wait_with_one_line(realm: Realm) -> None:
    ran = realm.run(
        "reward",
        interview_id=None,
        dry_run=False,
        pending=True,
        env={"SHOPIFY_ADMIN_TOKEN": None, "SHOPIFY_STORE": None, "SHOPIFY_ADMIN_API_URL": None},
    )

    assert ran.code == 0, ran
    assert ran.stdout.count("Shopify: skipped,") == 1
    assert realm.world.frontmatter(CALL)["reward"]["status"] == "pending"


def test_a_publish_holding_the_lock_stops_it_before_anything(realm: Realm) -> None:
    github = realm.world.github
    client = GitHub(github.token, github.url.rstrip("/"), Policy(sleep=lambda s: None), Budget(20))
    acquire(client, REPO, "main", None, Environment({"GITHUB_RUN_ID": "999"}), github.now())

    ran = realm.run("reward", interview_id=None, dry_run=False, pending=True)

    assert ran.code == 1
    assert "a publish is running (run 999" in ran.stdout
    assert creates(realm) == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["reward"], "no interview to reward"),
        (["reward", CALL_ID, "--pending"], "pass an interview id or --pending, not both"),
    ],
)
def test_an_id_or_pending_not_both_nor_neither(realm: Realm, args: list[str], says: str) -> None:
    ran = realm.world.cli(*args)

    assert ran.code == 2, ran.out
    assert says in ran.out
    assert "Traceback" not in ran.out


def test_publish_without_shopify_leaves_the_rewards_to_the_job_that_has_it(
    realm: Realm, tmp_path: Path
) -> None:
    output = tmp_path / "github-output"
    no_shopify = {"SHOPIFY_ADMIN_TOKEN": None, "SHOPIFY_STORE": None, "SHOPIFY_ADMIN_API_URL": None}

    ran = realm.run(
        "publish",
        dry_run=False,
        only=None,
        include_examples=False,
        env={**no_shopify, "GITHUB_OUTPUT": str(output)},
    )

    assert ran.code == 0, ran
    assert "1 pending merch reward wait for Shopify" in ran.stdout
    assert "Shopify: skipped" not in ran.output
    assert output.read_text(encoding="utf-8") == "rewards=true\n"  # publish.yml's rewards job starts
    assert realm.shop.requests == []
    assert realm.world.frontmatter(CALL)["reward"]["status"] == "pending"

    # Once they are issued, the next publish has nothing to say about rewards.
    realm.checkout()
    assert realm.run("reward", interview_id=None, dry_run=False, pending=True).code == 0
    realm.checkout()
    output.unlink()
    later = realm.run(
        "publish",
        dry_run=False,
        only=None,
        include_examples=False,
        env={**no_shopify, "GITHUB_OUTPUT": str(output)},
    )
    assert later.code == 0, later
    assert "wait for Shopify" not in later.stdout
    assert not output.exists()
