"""`feedbackloop reward ID [--dry-run]`: issue an interview's reward, exactly once.

merch: a Shopify gift card. Before creating one, the cards created since the call are listed and their
notes compared (Shopify cannot search notes); the note holds the interview id, so a run killed between
creating the card and writing it back is followed by one that finds the card and creates none. The
code, which Shopify shows once, is masked first in Actions and goes to an interviewer in a Slack direct
message: never to the file, the log, the job summary or a commit.

A person who already received merch gets an Open Collective gift card instead. Open Collective's
supported API cannot create one, so the record says so (`kind: open-collective`) and the next step is
printed for a person (the organisation's gift-card page and the amount) until someone marks it sent.

`issue_rewards` is the same step for `publish`, when `rewards_on_publish` is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import click

from feedbackloop import actions
from feedbackloop.commands.connect import Services
from feedbackloop.config import Environment, Teammate
from feedbackloop.context import Context
from feedbackloop.errors import FAILED, OK, FeedbackloopError, UsageError
from feedbackloop.git import checked_out
from feedbackloop.ledger import Changes, commit_changes, write_files
from feedbackloop.lock import LEASE, Held, Lock, free, take
from feedbackloop.plan.reward import (
    RewardPlan,
    card_note,
    lookup_since,
    note_id,
    open_collective_step,
    pending_merch,
    plan_reward,
)
from feedbackloop.records.model import Interview, Record
from feedbackloop.render import slack_escape
from feedbackloop.services.retry import Ambiguous, ServiceError

if TYPE_CHECKING:
    from feedbackloop.services.shopify import GiftCard, IssuedCard, Shopify
    from feedbackloop.services.slack import Slack

SHOPIFY_MISSING = "SHOPIFY_STORE or SHOPIFY_ADMIN_TOKEN"
DM_EVENT_TYPE = "feedbackloop_reward"  # the direct message's metadata: the interview id, never the code
RECORD_SPECIFIC = (404, 410, 422)  # a refusal about one reward, not a service that is down


def shopify_configured(env: Environment) -> bool:
    return bool(
        env.get("SHOPIFY_ADMIN_TOKEN") and (env.get("SHOPIFY_STORE") or env.get("SHOPIFY_ADMIN_API_URL"))
    )


@dataclass
class RewardOutcome:
    """What happened to one interview's reward, in words fit for a log: ids, never a name or a code."""

    record_id: str
    done: str = ""
    next_step: str = ""  # what a person must do now
    failed: str = ""  # why it did not happen, and how to retry


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0]


class Rewarder:
    """One run's rewards: one listing of the store's recent gift cards, then one card per interview."""

    def __init__(self, context: Context, services: Services, changes: Changes) -> None:
        self.context = context
        self.settings = context.settings
        self.services = services
        self.changes = changes
        self.found: dict[str, GiftCard] = {}  # interview id -> its enabled card, by the card's note
        self.listed_since: date | None = None
        self.currency = ""
        self.merch_given: dict[str, str] = {}  # profile -> interview id, for cards issued in this run
        self._shopify: Shopify | None = None
        self._slack: Slack | None = None

    # -- the services ----------------------------------------------------------------------------
    def shopify(self) -> Shopify:
        if self._shopify is None:
            env = self.context.env
            if not shopify_configured(env):
                raise FeedbackloopError(
                    "Shopify is not configured: SHOPIFY_STORE and SHOPIFY_ADMIN_TOKEN are needed to issue "
                    "a gift card",
                    "set them in the job's environment (README.md, Rewards); nothing was issued",
                )
            from feedbackloop.services.shopify import Shopify

            url = env.shopify_api_url(self.settings.shopify_api_version)
            self._shopify = Shopify(
                env.get("SHOPIFY_ADMIN_TOKEN"), url, self.context.policy, self.context.budget
            )
        return self._shopify

    def slack(self) -> Slack:
        """Slack for direct messages: the summary channel need not be set for these."""
        if self._slack is None:
            env = self.context.env
            if env.missing("SLACK_BOT_TOKEN"):
                raise FeedbackloopError(
                    "SLACK_BOT_TOKEN is not set: a gift card's code goes to an interviewer in a Slack "
                    "direct message, and nowhere else, so no card was issued",
                    "set SLACK_BOT_TOKEN (the app needs the im:write and chat:write scopes)",
                )
            from feedbackloop.services.slack import Slack

            self._slack = Slack(
                env.get("SLACK_BOT_TOKEN"), env.slack_api_url, self.context.policy, self.context.budget
            )
        return self._slack

    def recipient(self, record: Interview) -> Teammate:
        """The interviewer who receives the code: the first one with a Slack id in the roster."""
        for login in record.interviewers:
            teammate = self.settings.teammate(login)
            if teammate is not None and teammate.slack:
                return teammate
        raise FeedbackloopError(
            f"{record.id}: no interviewer ({', '.join(record.interviewers) or 'none'}) has a Slack id in "
            "the roster, so nobody could receive the gift card's code; nothing was issued",
            'add slack = "U…" (their Slack member id) to their entry in `roster` in [tool.feedbackloop]',
        )

    def look(self, since: date, *, again: bool = False) -> None:
        """List the cards created since `since` once per run (again: after a lost answer)."""
        if self.listed_since is not None and self.listed_since <= since and not again:
            return
        shopify = self.shopify()
        listing = shopify.gift_cards_since(since)
        self.listed_since = since if self.listed_since is None else min(since, self.listed_since)
        self.currency = listing.currency or self.currency
        for card in listing.cards:
            key = note_id(card.note)
            # A deactivated card is no reward: deactivating one whose code was lost lets a run issue anew.
            if key is not None and card.enabled:
                self.found.setdefault(key, card)
        served = shopify.served_version
        if served and served != shopify.version:
            click.echo(
                f"Shopify: API version {shopify.version} is retired and was answered as {served}: "
                f'set shopify_api_version = "{served}" in [tool.feedbackloop]'
            )

    # -- one reward ------------------------------------------------------------------------------
    def apply(self, plan: RewardPlan) -> RewardOutcome:
        if plan.action == "open-collective":
            return self.open_collective(plan)
        if plan.action == "gift-card":
            return self.gift_card(plan)
        return RewardOutcome(plan.record.id, done=f"nothing to do: {plan.reason}")

    def open_collective_step(self, plan: RewardPlan) -> str:
        return open_collective_step(plan, self.settings.open_collective_page)

    def open_collective(self, plan: RewardPlan) -> RewardOutcome:
        record = plan.record
        done = "the reward is an Open Collective gift card, sent by a person"
        if plan.convert:
            self.changes.set(record.path, ("reward", "kind"), "open-collective")
            done = (
                f"the person already received merch ({plan.earlier}): "
                "the reward is now an Open Collective gift card"
            )
        return RewardOutcome(record.id, done=done, next_step=self.open_collective_step(plan))

    def refuse_shopify_delivery(self, record: Interview) -> None:
        if self.settings.gift_card_delivery == "shopify":
            raise FeedbackloopError(
                f'{record.id}: gift_card_delivery = "shopify" needs the person\'s Shopify customer id, and '
                "interview files hold a profile link, not a customer: Shopify e-mails a gift card only to a "
                "customer of the store (giftCardCreate's `customerId`, with the `write_customers` scope). "
                "Nothing was issued",
                'set gift_card_delivery = "interviewer" (the code goes to an interviewer in a Slack direct '
                "message), or issue this card in Shopify admin and record it in the file by hand",
            )

    def check_currency(self, plan: RewardPlan) -> None:
        if self.currency and plan.currency != self.currency:
            raise UsageError(
                f"the store's currency is {self.currency} but rewards.merch.currency is {plan.currency}: "
                "Shopify issues gift cards in the store's currency; nothing was issued",
                f'set rewards.merch = {{ amount = "{plan.amount}", currency = "{self.currency}" }} '
                "in [tool.feedbackloop]",
            )

    def gift_card(self, plan: RewardPlan) -> RewardOutcome:
        record = plan.record
        self.refuse_shopify_delivery(record)
        self.look(lookup_since([record]))
        self.check_currency(plan)
        card = self.found.get(record.id)
        if card is not None:
            return self.adopt(plan, card, lost=False)
        teammate = self.recipient(record)
        slack = self.slack()
        # The code's only way out is this conversation: a Slack that cannot open it stops the card
        # before it exists, rather than losing its code once it does.
        channel = slack.open_dm(teammate.slack)
        try:
            issued = self.shopify().create_gift_card(plan.amount, card_note(record), plan.expires_on)
        except Ambiguous:
            self.look(lookup_since([record]), again=True)
            card = self.found.get(record.id)
            if card is None:
                # Shopify's search may lag behind a card created a moment ago: creating again now
                # could make a second one. The next run looks again first.
                raise ServiceError(
                    "shopify",
                    f"{record.id}: Shopify did not answer whether the gift card was created, and no card "
                    "with this interview's note is found yet; nothing more was done",
                    f"run `feedbackloop reward {record.id}` again in a few minutes: it looks for the card "
                    "by its note before creating one",
                ) from None
            return self.adopt(plan, card, lost=True)
        # Before anything else can print: from here on the runner hides the code from the log.
        actions.mask(self.context.env, issued.code)
        self.record_card(record, issued.card)
        ending = issued.card.last_characters
        try:
            self.send_code(slack, channel, plan, issued)
        except ServiceError as error:
            return RewardOutcome(
                record.id,
                done=f"issued a merch gift card of {plan.money} ending {ending}",
                failed=f"its code could not be sent to @{teammate.github}: {_first_line(error)}. "
                + self.lost_code_step(record, ending),
            )
        return RewardOutcome(
            record.id,
            done=f"issued a merch gift card of {plan.money} ending {ending}; its code went to "
            f"@{teammate.github} in a Slack direct message",
            next_step=f"@{teammate.github}: give the code to the person with the follow-up "
            f"(`feedbackloop follow-up {record.id}`), then set `reward.status: sent` and `reward.sent_on`",
        )

    def lost_code_step(self, record: Interview, ending: str) -> str:
        return (
            "Shopify shows a code only once: deactivate the card ending "
            f"{ending} in Shopify admin (Gift cards), set `reward.status: pending` and remove `card`, "
            f"`card_last` and `issued_on` in {record.path}, then run `feedbackloop reward {record.id}` again"
        )

    def adopt(self, plan: RewardPlan, card: GiftCard, *, lost: bool) -> RewardOutcome:
        """A card with this interview's note exists: record it, create none. Its code is not known."""
        record = plan.record
        self.record_card(record, card)
        ending = card.last_characters
        if lost:
            why = "Shopify's answer to creating it was lost, and its code with it"
        else:
            why = (
                "an earlier run issued it and stopped before recording it; if no interviewer got its code "
                "in a Slack direct message, the code is lost"
            )
        step = f"{why}: {self.lost_code_step(record, ending)}"
        try:
            teammate = self.recipient(record)
            channel = self.slack().open_dm(teammate.slack)
            if not lost and self.told(channel, record, card):
                # A re-run of a job that sent the code, from the commit it checked out before its
                # write-back: nothing is lost, and the interviewer need not be alarmed.
                return RewardOutcome(
                    record.id,
                    done=f"found the gift card ending {ending} in Shopify, its code sent to "
                    f"@{teammate.github} already: recorded it, created none",
                )
            text = (
                f"The gift card ending {ending} for the interview `{slack_escape(record.id)}` was found in "
                f"Shopify; {slack_escape(step)}"
            )
            self.slack().post(channel, text, _blocks(text), _metadata(record))
        except FeedbackloopError as error:
            click.echo(f"{record.id}: could not tell an interviewer in Slack: {_first_line(error)}")
            lost = True  # the card is recorded now: no later run would tell them, so this one fails
        done = (
            f"found the gift card ending {ending} in Shopify (its note names this interview): "
            "recorded it, created none"
        )
        # A code lost in this run is certainly lost, and one nobody could be told about may be: a
        # person must act, so the run fails.
        return (
            RewardOutcome(record.id, done=done, failed=step)
            if lost
            else RewardOutcome(record.id, done=done, next_step=step)
        )

    def told(self, channel: str, record: Interview, card: GiftCard) -> bool:
        """Did this direct message get word of the card since it was made (its code, or that it was
        found)? Read by the message's metadata, which names the interview, never the code."""
        for message in self.slack().history(channel, card.created_at.timestamp()):
            payload = message.metadata.get("event_payload") or {}
            if message.metadata.get("event_type") == DM_EVENT_TYPE and payload.get("id") == record.id:
                return True
        return False

    def record_card(self, record: Interview, card: GiftCard) -> None:
        day = min(max(card.created_at.date(), record.date), self.context.today)
        self.changes.set(record.path, ("reward", "status"), "issued")
        self.changes.set(record.path, ("reward", "card"), card.id)
        self.changes.set(record.path, ("reward", "card_last"), card.last_characters)
        self.changes.set(record.path, ("reward", "issued_on"), day)
        if record.user.profile:
            self.merch_given[record.user.profile] = record.id

    def send_code(self, slack: Slack, channel: str, plan: RewardPlan, issued: IssuedCard) -> None:
        """The one place the code goes. The notification text leaves it out (it shows on lock screens)."""
        record = plan.record
        who = slack_escape(record.user.first_name or "the person")
        expiry = f", valid until {plan.expires_on}" if plan.expires_on else ""
        text = (
            f":gift: The reward for the interview `{slack_escape(record.id)}` with {who}: a merch gift card "
            f"of {slack_escape(plan.money)}{expiry}.\nCode: `{issued.code}`\n"
            "This message is its only copy (Shopify shows a code once). Give it to "
            f"{who} with the follow-up (`feedbackloop follow-up {slack_escape(record.id)}` drafts it), "
            f"then set `reward.status: sent` and `reward.sent_on` in `{slack_escape(record.path)}`."
        )
        fallback = f"The gift card for the interview {record.id}"
        try:
            slack.post(channel, fallback, _blocks(text), _metadata(record))
        except Ambiguous:
            # A second copy of a direct message costs nothing; a code that never arrives costs the reward.
            slack.post(channel, fallback, _blocks(text), _metadata(record))

    # -- the dry run -----------------------------------------------------------------------------
    def preview(self, plan: RewardPlan) -> list[str]:
        """What a run would do, without creating, sending or writing anything (reads are made)."""
        record = plan.record
        if plan.action == "nothing":
            return [f"{record.id}: nothing to do: {plan.reason}"]
        if plan.action == "open-collective":
            lines = [f"{record.id}: {plan.describe()}"]
            if plan.convert:
                lines.append("would write `reward.kind: open-collective` to the file")
            return [*lines, f"next step for a person: {self.open_collective_step(plan)}"]
        lines = [f"{record.id}: {plan.describe()}"]
        try:
            self.refuse_shopify_delivery(record)
        except FeedbackloopError as error:
            return [*lines, f"would stop: {error}"]
        since = lookup_since([record])
        if shopify_configured(self.context.env):
            self.look(since)
            card = self.found.get(record.id)
            if card is not None:
                return [
                    *lines,
                    f"found the gift card ending {card.last_characters} in Shopify: would record it and "
                    "create none",
                ]
            lines.append(f"no card created since {since} has this interview's note")
        else:
            lines.append(
                f"Shopify is not configured here ({SHOPIFY_MISSING} is not set): a run first lists the cards "
                f"created since {since} and looks for this interview's id in their notes"
            )
        lines.append(
            f'would issue it with the note "feedbackloop reward {record.id}" and the person\'s profile '
            "link, then write back reward.status: issued, card, card_last and issued_on"
        )
        try:
            teammate = self.recipient(record)
        except FeedbackloopError as error:
            return [*lines, f"would stop before issuing: {error}"]
        token = "" if self.context.env.get("SLACK_BOT_TOKEN") else " (SLACK_BOT_TOKEN is not set here)"
        return [*lines, f"would send its code to @{teammate.github} in a Slack direct message{token}"]


def _blocks(text: str) -> list[dict[str, object]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}]


def _metadata(record: Record) -> dict[str, object]:
    return {"event_type": DM_EVENT_TYPE, "event_payload": {"id": record.id}}


def write_back(context: Context, services: Services, changes: Changes, message: str) -> str:
    """One commit through GitHub's git data API, or the working tree without GitHub."""
    if not changes:
        return "nothing to write back"
    github = services.github()
    if github is None:
        written = write_files(context.root, changes)
    else:
        local = checked_out(context.root, context.env)
        written = commit_changes(
            github, services.repository, context.settings.branch, context.root, changes, message, local
        )
    if written.skipped:
        click.echo(f"could not write back to {', '.join(written.skipped)}: it changed; run again")
    return f"wrote back {len(written.paths)} file{'s' * (len(written.paths) != 1)} ({written.where})"


# -- for publish -----------------------------------------------------------------------------------
def issue_rewards(
    context: Context, services: Services, records: Sequence[Record], changes: Changes
) -> list[RewardOutcome]:
    """Issue the pending merch rewards of `records` (publish's step, when `rewards_on_publish`).

    Ledger changes go into `changes`, for publish's one write-back. One listing of the store's cards
    serves every reward; the budget is checked between rewards; a refusal about one reward skips it,
    any other Shopify failure stops the rest for this run."""
    if not context.settings.rewards_on_publish:
        return []
    pending = pending_merch(records)
    if not pending:
        return []
    if not shopify_configured(context.env):
        services.skip("Shopify", SHOPIFY_MISSING)
        return []
    rewarder = Rewarder(context, services, changes)
    history = context.repository.records
    unreadable = context.repository.unreadable_links()
    outcomes: list[RewardOutcome] = []
    stopped = ""
    try:
        rewarder.look(lookup_since(pending))
    except ServiceError as error:
        stopped = f"Shopify: stopped for this run: {_first_line(error)}"
    for record in pending:
        if not stopped and context.budget.spent:
            stopped = (
                f"the API budget ({context.settings.api_budget} requests) is spent: rewards stopped between "
                "interviews; the next run continues (raise `api_budget` to do more per run)"
            )
        if stopped:
            outcomes.append(RewardOutcome(record.id, failed=stopped))
            continue
        try:
            plan = plan_reward(
                record, history, context.settings, context.today, rewarder.merch_given, unreadable
            )
            outcomes.append(rewarder.apply(plan))
        except ServiceError as error:
            outcomes.append(RewardOutcome(record.id, failed=_first_line(error)))
            if error.status not in RECORD_SPECIFIC:
                stopped = f"Shopify: stopped for this run: {_first_line(error)}"
        except FeedbackloopError as error:
            outcomes.append(RewardOutcome(record.id, failed=_first_line(error)))
    return outcomes


# -- the command -----------------------------------------------------------------------------------
def run(context: Context, interview_id: str | None, dry_run: bool, pending: bool = False) -> int:
    if pending:
        if interview_id:
            raise UsageError(
                "pass an interview id or --pending, not both",
                "`feedbackloop reward ID` settles one interview's reward; `--pending` every pending one",
            )
        return run_pending(context, dry_run)
    if not interview_id:
        raise UsageError(
            "no interview to reward",
            "pass the interview's id, or --pending for every pending merch reward (as publish does)",
        )
    repository = context.repository
    record = repository.record(interview_id)
    # A second merch reward for the same person is what this command settles (it writes
    # `kind: open-collective`): that problem alone does not stop it.
    blocking = [
        p
        for p in repository.problems
        if p.path == record.path and p.severity == "error" and p.code != "merch-twice"
    ]
    if blocking:
        raise FeedbackloopError(
            f"{record.path} has problems", f"run `feedbackloop validate {record.path}` and fix what it says"
        )
    plan = plan_reward(
        record, repository.records, context.settings, context.today, unreadable=repository.unreadable_links()
    )
    services = Services(context)
    changes = Changes()
    rewarder = Rewarder(context, services, changes)
    if dry_run:
        click.echo("Dry run: nothing is issued, sent or written.")
        for line in rewarder.preview(plan):
            click.echo(line)
        click.echo(context.budget.line())
        return OK
    outcome = rewarder.apply(plan)  # a failure before anything exists raises: there is nothing to record
    # Said before the write-back: once the card is recorded no run says again that its code was lost,
    # so a run that dies writing it back must have said it already.
    click.echo(f"{'FAILED ' if outcome.failed else ''}{record.id}: {outcome.done or 'nothing done'}")
    if outcome.failed:
        click.echo(f"  to fix: {outcome.failed}")
        actions.error(context.env, f"{record.id}: {outcome.failed}")
    if outcome.next_step:
        click.echo(f"next: {outcome.next_step}")
    written = write_back(context, services, changes, f"feedbackloop reward: {record.id}\n\n{outcome.done}\n")
    click.echo(written)
    click.echo(context.budget.line())
    actions.summary(context.env, _summary(outcome, written, context.budget.line()))
    return FAILED if outcome.failed else OK


def _summary(outcome: RewardOutcome, written: str, budget: str) -> str:
    lines = [f"### Reward: `{outcome.record_id}`", "", f"- {outcome.done or 'nothing done'}"]
    if outcome.failed:
        lines.append(f"- ❌ {outcome.failed}")
    if outcome.next_step:
        lines.append(f"- **Next:** {outcome.next_step}")
    return "\n".join([*lines, "", f"{written}. {budget}"])


# -- every pending reward: the rewards job of publish.yml ----------------------------------------------
def run_pending(context: Context, dry_run: bool) -> int:
    """Issue every pending merch reward, as `publish` does with `rewards_on_publish`: publish.yml runs
    this in a job of its own, bound to the GitHub environment that alone holds the Shopify token (so a
    team can require an approval for it). Without the setting it issues nothing, as publish would not."""
    settings = context.settings
    if not settings.rewards_on_publish:
        click.echo(
            "rewards_on_publish is off: no reward is issued here (set rewards_on_publish = true in "
            "[tool.feedbackloop], or run `feedbackloop reward ID` for one interview)"
        )
        return OK
    repository = context.repository
    # As for one reward: a second merch reward for the same person is what this settles, not a problem.
    broken = {p.path for p in repository.problems if p.severity == "error" and p.code != "merch-twice"}
    for path in sorted(broken):
        click.echo(f"skipped {path}: it has problems (run `feedbackloop validate {path}`)")
    records = [r for r in repository.active() if r.path not in broken]
    pending = pending_merch(records)
    if not pending:
        click.echo("No pending merch reward.")
        return OK
    services = Services(context)
    changes = Changes()
    if dry_run:
        click.echo("Dry run: nothing is issued, sent or written.")
        rewarder = Rewarder(context, services, changes)
        # Every record that reads is history (a person's earlier merch counts even in a file with
        # problems, or an example); the files that cannot be read are searched for the person.
        unreadable = repository.unreadable_links()
        for record in pending:
            try:
                plan = plan_reward(record, repository.records, settings, context.today, unreadable=unreadable)
            except FeedbackloopError as error:
                click.echo(f"would stop: {error}")
                continue
            for line in rewarder.preview(plan):
                click.echo(line)
        click.echo(context.budget.line())
        return OK
    unlocked: list[str] = []  # why the run went on without the publish lock, when it did
    try:
        lock = _lock(context, services, unlocked)
    except Held as held:
        line = (
            f"a publish is running ({held.theirs.describe()}): no reward was issued; run this again once "
            "it is done"
        )
        click.echo(line)
        actions.summary(context.env, f"### Rewards\n\n{line}")
        return FAILED
    outcomes: list[RewardOutcome] = []
    try:
        outcomes = issue_rewards(context, services, records, changes)
        # Said before the write-back: once a card is recorded no run says again that its code was
        # lost, so a run that dies writing it back must have said it already.
        for outcome in outcomes:
            if outcome.failed:
                click.echo(f"{outcome.record_id}: {outcome.failed}")
        done = "; ".join(f"{o.record_id} ({o.done})" for o in outcomes if o.done)
        message = f"feedbackloop reward: {len(changes.paths)} record(s)\n\n{done}\n"
        try:
            written = write_back(context, services, changes, message)
        except ServiceError as error:
            written = f"write-back failed: {_first_line(error)} (the next run finds the cards by their notes)"
            outcomes.append(RewardOutcome("write-back", failed=written))
    finally:
        try:
            if (lock is not None or unlocked) and (github := services.github()) is not None:
                free(github, services.repository, context.env, lock, context.now())
        except ServiceError as error:
            click.echo(f"GitHub: could not release the publish lock: {_first_line(error)}")
            # Left in place, it stops every publish until its lease runs out: fail, so the job is
            # re-run (a later attempt of this run takes it over and frees it).
            outcomes.append(
                RewardOutcome(
                    "publish lock",
                    failed="left behind: re-run this job to free it (publish waits for it up to "
                    f"{LEASE.seconds // 60} minutes)",
                )
            )
    for outcome in outcomes:
        click.echo(
            f"{'FAILED ' if outcome.failed else ''}{outcome.record_id}: {outcome.done or 'nothing done'}"
        )
        if outcome.failed:
            click.echo(f"  to fix: {outcome.failed}")
        if outcome.next_step:
            click.echo(f"  next: {outcome.next_step}")
    click.echo(written)
    click.echo(context.budget.line())
    rows = "\n".join(
        f"- `{o.record_id}`: {o.done or 'nothing done'}" + (f" ❌ {o.failed}" if o.failed else "")
        for o in outcomes
    )
    actions.summary(
        context.env, f"### Rewards\n\n{rows or 'nothing issued'}\n\n{written}. {context.budget.line()}"
    )
    failed = [o for o in outcomes if o.failed]
    for outcome in failed:
        actions.error(context.env, f"{outcome.record_id}: {outcome.failed}")
    return FAILED if failed else OK


def _lock(context: Context, services: Services, unlocked: list[str]) -> Lock | None:
    """The publish lock: issuing rewards is publish's work, and two runs at once could double a card.
    None without GitHub, or when GitHub will not take it (the workflow's concurrency group remains)."""
    github = services.github()
    if github is None:
        return None
    try:
        return take(
            github, services.repository, context.settings.branch, context.root, context.env, context.now()
        )
    except ServiceError as error:
        click.echo(f"GitHub: could not take the publish lock, going on without it: {_first_line(error)}")
        unlocked.append(_first_line(error))
        return None
