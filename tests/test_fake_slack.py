"""FakeSlack, driven through the real slack_sdk.WebClient: it keeps state, refuses what Slack refuses,
reports pings, and fails the ways a network does."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from fakes.server import Fault
from fakes.slack import SPEC, FakeSlack, Ping, find_pings

START = 1732111200  # 2024-11-20 14:00:00 UTC
CHANNEL = "C0FEEDBACK"
EVENT = "feedbackloop_interview"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token="xoxb-test", team_domain="acme") as slack:
        slack.set_clock(START)
        slack.add_channel(CHANNEL, name="user-feedback", member=True, members=["U0ALICE"])
        slack.add_channel("C0ELSEWHERE", name="random", member=False)
        slack.add_user("U0ALICE", email="alice@example.com", name="alice")
        slack.add_user("U0BOB", email="bob@example.com", name="bob")
        yield slack
        assert slack.bugs == []


@pytest.fixture
def client(fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> WebClient:
    monkeypatch.setenv("SKIP_SLACK_SDK_WARNING", "1")  # the SDK warns about blocks without text
    return WebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[], timeout=5)


def refused(call: Any, *args: Any, **kwargs: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def section(text: str, *, kind: str = "mrkdwn", verbatim: bool | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": kind, "text": text}
    if verbatim is not None:
        obj["verbatim"] = verbatim
    return {"type": "section", "text": obj}


def metadata(interview: str) -> dict[str, Any]:
    return {"event_type": EVENT, "event_payload": {"id": interview, "topic": "Web analytics"}}


# -- auth ------------------------------------------------------------------------------------------------
def test_auth_test_names_the_bot_and_workspace(client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["ok"] is True
    assert answer["url"] == "https://acme.slack.com/"
    assert answer["user_id"] == "U0FEEDBOT"


def test_a_wrong_token_is_invalid_auth_and_none_is_not_authed(fake: FakeSlack) -> None:
    wrong = WebClient(token="xoxb-wrong", base_url=fake.url, retry_handlers=[], timeout=5)
    assert refused(wrong.auth_test).response["error"] == "invalid_auth"
    anonymous = WebClient(base_url=fake.url, retry_handlers=[], timeout=5)
    error = refused(anonymous.chat_postMessage, channel=CHANNEL, text="hi")
    assert error.response["error"] == "not_authed"
    assert error.response.status_code == 200
    assert fake.messages(CHANNEL) == []


# -- posting and finding again -----------------------------------------------------------------------------
def test_post_answers_a_realistic_strictly_increasing_ts(client: WebClient, fake: FakeSlack) -> None:
    stamps = [client.chat_postMessage(channel=CHANNEL, text=f"n{i}")["ts"] for i in range(3)]
    assert stamps[0] == "1732111200.000100"
    assert all(re.fullmatch(r"\d{10}\.\d{6}", ts) for ts in stamps)
    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 3
    fake.set_clock(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    later = client.chat_postMessage(channel=CHANNEL, text="later")["ts"]
    assert later.startswith("1795251600.")


def test_the_sdk_sends_blocks_and_metadata_as_a_json_body(client: WebClient, fake: FakeSlack) -> None:
    client.chat_postMessage(channel=CHANNEL, text="t", blocks=[section("x")], metadata=metadata("a"))
    sent = fake.requests[-1]
    assert sent.headers["content-type"].startswith("application/json")
    assert sent.headers["authorization"] == "Bearer xoxb-test"
    body = sent.json()
    assert body["metadata"] == metadata("a")  # an object, not a JSON string
    assert body["blocks"] == [section("x")]


def test_form_encoded_arguments_are_read_like_json_ones(client: WebClient, fake: FakeSlack) -> None:
    client.api_call(
        "chat.postMessage",
        params={
            "channel": CHANNEL,
            "text": "t",
            "blocks": json.dumps([section("x")]),
            "metadata": json.dumps(metadata("form")),
            "unfurl_links": False,
        },
    )
    assert fake.requests[-1].headers["content-type"] == "application/x-www-form-urlencoded"
    [stored] = fake.messages(CHANNEL)
    assert stored["metadata"] == metadata("form")
    assert stored["blocks"][0]["text"] == {"type": "mrkdwn", "text": "x"}
    assert stored["flags"]["unfurl_links"] is False  # sent as "0"


def test_a_summary_is_found_again_by_its_metadata(client: WebClient, fake: FakeSlack) -> None:
    fake.add_message(CHANNEL, "someone chatting", user="U0ALICE")
    posted = client.chat_postMessage(
        channel=CHANNEL,
        text="Web analytics with Joe",
        blocks=[section("*Web analytics* with Joe")],
        metadata=metadata("2026-11-20-web-analytics-joe"),
        unfurl_links=False,
        unfurl_media=False,
    )
    client.chat_postMessage(channel=CHANNEL, text="another", metadata=metadata("other"))

    history = client.conversations_history(channel=CHANNEL, include_all_metadata=True, oldest=str(START))
    mine = [
        m
        for m in history["messages"]
        if m.get("metadata", {}).get("event_type") == EVENT
        and m["metadata"]["event_payload"]["id"] == "2026-11-20-web-analytics-joe"
    ]
    assert [m["ts"] for m in mine] == [posted["ts"]]
    assert mine[0]["bot_id"] == "B0FEEDBOT"
    assert [m["ts"] for m in history["messages"]] == sorted(
        (m["ts"] for m in history["messages"]), reverse=True
    )

    plain = client.conversations_history(channel=CHANNEL, oldest=str(START))
    assert all("metadata" not in m for m in plain["messages"])  # only with include_all_metadata


def test_history_honours_oldest_latest_and_inclusive(client: WebClient) -> None:
    a, b, c = (client.chat_postMessage(channel=CHANNEL, text=t)["ts"] for t in "abc")

    def texts(**kwargs: Any) -> list[str]:
        return [m["text"] for m in client.conversations_history(channel=CHANNEL, **kwargs)["messages"]]

    assert texts() == ["c", "b", "a"]
    assert texts(oldest=a) == ["c", "b"]
    assert texts(oldest=a, inclusive=True) == ["c", "b", "a"]
    assert texts(latest=c) == ["b", "a"]
    assert texts(oldest=a, latest=c, inclusive=True) == ["c", "b", "a"]
    assert texts(oldest=b, latest=b) == []
    assert texts(oldest=str(START + 3600)) == []
    error = refused(client.conversations_history, channel=CHANNEL, oldest="yesterday")
    assert error.response["error"] == "invalid_ts_oldest"


def test_history_pages_with_a_cursor(client: WebClient) -> None:
    posted = [client.chat_postMessage(channel=CHANNEL, text=f"m{i}")["ts"] for i in range(7)]

    first = client.conversations_history(channel=CHANNEL, limit=3)
    assert [m["text"] for m in first["messages"]] == ["m6", "m5", "m4"]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_history(channel=CHANNEL, limit=3, cursor=cursor)
    assert [m["text"] for m in second["messages"]] == ["m3", "m2", "m1"]

    seen = [
        m["ts"] for page in client.conversations_history(channel=CHANNEL, limit=3) for m in page["messages"]
    ]
    assert seen == posted[::-1]  # the SDK's own pagination follows next_cursor to the end

    last = client.conversations_history(channel=CHANNEL, limit=100)
    assert last["has_more"] is False
    assert "response_metadata" not in last.data
    error = refused(client.conversations_history, channel=CHANNEL, cursor="bm90IGEgY3Vyc29y!")
    assert error.response["error"] == "invalid_cursor"


def test_thread_replies_stay_out_of_history(client: WebClient, fake: FakeSlack) -> None:
    parent = client.chat_postMessage(channel=CHANNEL, text="parent")["ts"]
    reply = client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=parent)["ts"]
    [only] = client.conversations_history(channel=CHANNEL)["messages"]
    assert only["ts"] == parent
    assert only["reply_count"] == 1
    link = client.chat_getPermalink(channel=CHANNEL, message_ts=reply)["permalink"]
    base = f"https://acme.slack.com/archives/{CHANNEL}/p{reply.replace('.', '')}"
    assert link == f"{base}?thread_ts={parent}&cid={CHANNEL}"
    assert [m["text"] for m in fake.messages(CHANNEL)] == ["parent", "reply"]


# -- update, delete, permalink ------------------------------------------------------------------------------
def test_update_edits_in_place_and_keeps_metadata_unless_told(client: WebClient, fake: FakeSlack) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="v1", blocks=[section("v1")], metadata=metadata("a"))[
        "ts"
    ]

    answer = client.chat_update(channel=CHANNEL, ts=ts, text="v2", blocks=[section("v2")])
    assert answer["ts"] == ts
    [stored] = fake.messages(CHANNEL)
    assert (stored["ts"], stored["text"], stored["edited"]) == (ts, "v2", 1)
    assert stored["blocks"][0]["text"]["text"] == "v2"
    assert stored["metadata"] == metadata("a")  # not sent: retained

    client.chat_update(
        channel=CHANNEL, ts=ts, text="v3", metadata={"event_type": EVENT, "event_payload": {"id": "b"}}
    )
    assert fake.messages(CHANNEL)[0]["metadata"]["event_payload"] == {"id": "b"}
    assert fake.messages(CHANNEL)[0]["blocks"] is None  # text without blocks drops the blocks

    [seen] = client.conversations_history(channel=CHANNEL, include_all_metadata=True)["messages"]
    assert seen["edited"]["user"] == "U0FEEDBOT"
    assert seen["text"] == "v3"

    client.chat_update(channel=CHANNEL, ts=ts, text="v4", metadata={})
    assert fake.messages(CHANNEL)[0]["metadata"] is None  # {} removes it
    assert fake.messages(CHANNEL)[0]["edited"] == 3


def test_update_refusals(client: WebClient, fake: FakeSlack) -> None:
    theirs = fake.add_message(CHANNEL, "written by Alice", user="U0ALICE")
    mine = client.chat_postMessage(channel=CHANNEL, text="mine")["ts"]
    cases = {
        "message_not_found": {"channel": CHANNEL, "ts": "1732111299.000100", "text": "x"},
        "cant_update_message": {"channel": CHANNEL, "ts": theirs, "text": "x"},
        "channel_not_found": {"channel": "C0NOPE", "ts": mine, "text": "x"},
        "no_text": {"channel": CHANNEL, "ts": mine},
    }
    for error, kwargs in cases.items():
        assert refused(client.chat_update, **kwargs).response["error"] == error
    assert refused(client.chat_update, channel="user-feedback", ts=mine, text="x").response["error"] == (
        "channel_not_found"  # chat.update takes an id, never a name
    )
    assert [m["text"] for m in fake.messages(CHANNEL)] == ["written by Alice", "mine"]


def test_delete_removes_the_message(client: WebClient, fake: FakeSlack) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="oops")["ts"]
    assert client.chat_delete(channel=CHANNEL, ts=ts)["ts"] == ts
    assert fake.messages(CHANNEL) == []
    assert [d["text"] for d in fake.deleted] == ["oops"]
    assert refused(client.chat_delete, channel=CHANNEL, ts=ts).response["error"] == "message_not_found"
    theirs = fake.add_message(CHANNEL, "Alice's", user="U0ALICE")
    assert refused(client.chat_delete, channel=CHANNEL, ts=theirs).response["error"] == "cant_delete_message"


def test_permalink(client: WebClient) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="hi")["ts"]
    answer = client.chat_getPermalink(channel=CHANNEL, message_ts=ts)
    assert answer["permalink"] == f"https://acme.slack.com/archives/C0FEEDBACK/p{ts.replace('.', '')}"
    assert answer["permalink"].endswith("/p1732111200000100")
    error = refused(client.chat_getPermalink, channel=CHANNEL, message_ts="1.000001")
    assert error.response["error"] == "message_not_found"


# -- channels, users, DMs ------------------------------------------------------------------------------------
def test_channel_refusals(client: WebClient, fake: FakeSlack) -> None:
    assert (
        refused(client.chat_postMessage, channel="C0NOPE", text="x").response["error"] == "channel_not_found"
    )
    assert refused(client.chat_postMessage, channel="", text="x").response["error"] == "channel_not_found"
    assert (
        refused(client.chat_postMessage, channel="C0ELSEWHERE", text="x").response["error"]
        == "not_in_channel"
    )
    assert refused(client.conversations_history, channel="C0ELSEWHERE").response["error"] == "not_in_channel"
    assert refused(client.conversations_history, channel="C0NOPE").response["error"] == "channel_not_found"
    fake.add_channel("C0OLD", name="old", archived=True)
    assert refused(client.chat_postMessage, channel="C0OLD", text="x").response["error"] == "is_archived"
    assert fake.messages("C0ELSEWHERE") == []


def test_post_by_channel_name(client: WebClient, fake: FakeSlack) -> None:
    assert client.chat_postMessage(channel="#user-feedback", text="a")["channel"] == CHANNEL
    assert client.chat_postMessage(channel="user-feedback", text="b")["channel"] == CHANNEL
    assert [m["text"] for m in fake.messages("user-feedback")] == ["a", "b"]


def test_reminder_dm_through_conversations_open(client: WebClient, fake: FakeSlack) -> None:
    user = client.users_lookupByEmail(email="Alice@Example.com")["user"]
    assert user["id"] == "U0ALICE"
    opened = client.conversations_open(users=[user["id"]])
    again = client.conversations_open(users="U0ALICE")
    assert opened["channel"]["id"].startswith("D")
    assert again["channel"]["id"] == opened["channel"]["id"]
    assert again["already_open"] is True

    client.chat_postMessage(channel=opened["channel"]["id"], text="Reward for Joe is still pending")
    assert [m["text"] for m in fake.dms("U0ALICE")] == ["Reward for Joe is still pending"]
    assert fake.dms("U0BOB") == []
    # posting to a user id lands in the same DM (the app's Messages tab)
    assert client.chat_postMessage(channel="U0ALICE", text="again")["channel"] == opened["channel"]["id"]
    assert len(fake.dms("U0ALICE")) == 2


def test_user_refusals(client: WebClient, fake: FakeSlack) -> None:
    assert refused(client.users_lookupByEmail, email="joe@example.com").response["error"] == "users_not_found"
    assert refused(client.conversations_open, users="U0NOBODY").response["error"] == "user_not_found"
    fake.add_user("U0GONE", email="gone@example.com", deleted=True)
    assert refused(client.conversations_open, users="U0GONE").response["error"] == "user_disabled"
    assert refused(client.conversations_open, users=[f"U0{i}" for i in range(9)]).response["error"] == (
        "too_many_users"
    )


def test_ephemeral_only_to_a_member(client: WebClient, fake: FakeSlack) -> None:
    assert client.chat_postEphemeral(channel=CHANNEL, user="U0ALICE", text="psst")["message_ts"]
    assert [e["to"] for e in fake.ephemerals] == ["U0ALICE"]
    error = refused(client.chat_postEphemeral, channel=CHANNEL, user="U0BOB", text="psst")
    assert error.response["error"] == "user_not_in_channel"
    assert fake.messages(CHANNEL) == []  # ephemeral messages are not in the channel


# -- rejecting what Slack rejects ----------------------------------------------------------------------
def test_missing_required_arguments_are_invalid_arguments(client: WebClient, fake: FakeSlack) -> None:
    error = refused(client.api_call, "chat.postMessage", json={"text": "no channel"})
    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"] == ["[ERROR] missing required field: channel"]
    assert (
        refused(client.api_call, "conversations.history", params={}).response["error"] == "invalid_arguments"
    )
    assert refused(client.api_call, "users.lookupByEmail", params={}).response["error"] == "invalid_arguments"
    error = refused(client.api_call, "chat.update", json={"channel": CHANNEL, "text": "x"})
    assert error.response["response_metadata"]["messages"] == ["[ERROR] missing required field: ts"]
    # conversations.history reads form/query arguments only: a JSON body gives it none
    error = refused(client.api_call, "conversations.history", json={"channel": CHANNEL})
    assert error.response["error"] == "invalid_arguments"
    assert fake.messages(CHANNEL) == []


def test_every_error_comes_from_the_spec_slice() -> None:
    assert SPEC["$comment"].startswith("A slice of Slack's Web API method reference")
    post = SPEC["methods"]["chat.postMessage"]
    assert post["required"] == ["channel"]
    assert SPEC["methods"]["chat.postEphemeral"]["required"] == ["channel", "user"]
    assert {"invalid_metadata_format", "invalid_metadata_schema", "no_text", "invalid_blocks"} <= set(
        post["errors"]
    )
    assert "msg_too_long" in post["observed_errors"]  # answered by Slack, missing from the page's table


def _blocks(n: int) -> list[dict[str, Any]]:
    return [section(f"b{i}") for i in range(n)]


REJECTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "neither text nor blocks": ("no_text", {"text": ""}),
    "empty blocks, no text": ("no_text", {"blocks": []}),
    "section text over 3000": ("invalid_blocks", {"text": "t", "blocks": [section("x" * 3001)]}),
    "51 blocks": ("invalid_blocks", {"text": "t", "blocks": _blocks(51)}),
    "unmodelled block type": (
        "invalid_blocks",
        {"text": "t", "blocks": [{"type": "rich_text", "elements": []}]},
    ),
    "text object without type": (
        "invalid_blocks",
        {"text": "t", "blocks": [{"type": "section", "text": {"text": "x"}}]},
    ),
    "mrkdwn header": (
        "invalid_blocks",
        {"text": "t", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]},
    ),
    "verbatim on plain_text": (
        "invalid_blocks",
        {"text": "t", "blocks": [section("x", kind="plain_text", verbatim=True)]},
    ),
    "block without type": (
        "invalid_blocks",
        {"text": "t", "blocks": [{"text": {"type": "mrkdwn", "text": "x"}}]},
    ),
    "blocks not an array": ("invalid_blocks_format", {"text": "t", "blocks": "not json"}),
    "text over 40000": ("msg_too_long", {"text": "x" * 40001}),
    "metadata not an object": ("invalid_metadata_format", {"text": "t", "metadata": ["x"]}),
    "metadata not JSON": ("invalid_metadata_format", {"text": "t", "metadata": "{not json"}),
    "dotted event_type": (
        "invalid_metadata_schema",
        {"text": "t", "metadata": {"event_type": "feedbackloop.interview", "event_payload": {}}},
    ),
    "no event_payload": ("invalid_metadata_schema", {"text": "t", "metadata": {"event_type": EVENT}}),
    "payload not an object": (
        "invalid_metadata_schema",
        {"text": "t", "metadata": {"event_type": EVENT, "event_payload": "id=1"}},
    ),
    "markdown_text with text": ("markdown_text_conflict", {"text": "t", "markdown_text": "**t**"}),
}


@pytest.mark.parametrize(("error", "kwargs"), REJECTIONS.values(), ids=REJECTIONS.keys())
def test_post_message_rejections(
    client: WebClient, fake: FakeSlack, error: str, kwargs: dict[str, Any]
) -> None:
    failure = refused(client.chat_postMessage, channel=CHANNEL, **kwargs)
    assert failure.response["error"] == error
    assert failure.response.status_code == 200
    assert failure.response["ok"] is False
    assert fake.messages(CHANNEL) == []
    assert fake.pings == []


def test_invalid_blocks_says_where_like_slack(client: WebClient) -> None:
    failure = refused(
        client.chat_postMessage, channel=CHANNEL, text="t", blocks=[section("ok"), section("x" * 3001)]
    )
    assert failure.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/1/text/text]"
    ]


def test_the_limits_themselves_are_accepted(client: WebClient, fake: FakeSlack) -> None:
    client.chat_postMessage(channel=CHANNEL, text="x" * 40000, blocks=[section("x" * 3000), *_blocks(49)])
    [stored] = fake.messages(CHANNEL)
    assert len(stored["blocks"]) == 50
    assert all(b["block_id"] for b in stored["blocks"])  # Slack fills in block ids


def test_update_is_validated_like_post(client: WebClient, fake: FakeSlack) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="v1", metadata=metadata("a"))["ts"]

    def error(**kwargs: Any) -> str:
        return str(refused(client.chat_update, channel=CHANNEL, ts=ts, **kwargs).response["error"])

    assert error(text="v2", metadata={"event_type": "feedback-loop", "event_payload": {}}) == (
        "invalid_metadata_schema"
    )
    assert error(blocks=_blocks(51)) == "invalid_blocks"
    assert error(text="x" * 4001) == "msg_too_long"  # chat.update's page: at most 4,000 characters
    assert fake.messages(CHANNEL)[0]["text"] == "v1"
    assert fake.messages(CHANNEL)[0]["edited"] == 0
    client.chat_update(channel=CHANNEL, ts=ts, text="x" * 4000)
    assert fake.messages(CHANNEL)[0]["edited"] == 1


def test_as_user_is_refused_for_a_bot_token(client: WebClient, fake: FakeSlack) -> None:
    failure = refused(client.chat_postMessage, channel=CHANNEL, text="x", as_user=True)
    assert failure.response["error"] == "invalid_arguments"
    assert failure.response["deprecated_argument"] == "as_user"
    assert fake.messages(CHANNEL) == []


def test_reading_back_an_unknown_channel_is_a_test_bug(fake: FakeSlack) -> None:
    with pytest.raises(KeyError, match="C0TYPO"):
        fake.messages("C0TYPO")


def test_a_seeded_message_keeps_ts_order(client: WebClient, fake: FakeSlack) -> None:
    seeded = fake.add_message(CHANNEL, "from the future", ts=str(START + 60))
    posted = client.chat_postMessage(channel=CHANNEL, text="now")["ts"]
    assert float(posted) > float(seeded)


def test_unknown_method(client: WebClient) -> None:
    failure = refused(client.api_call, "chat.postMessages", json={"channel": CHANNEL, "text": "x"})
    assert failure.response.status_code == 404
    assert failure.response["error"] == "unknown_method"


# -- pings ---------------------------------------------------------------------------------------------
PINGS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "channel": ({"text": "<!channel> look"}, ["<!channel>"]),
    "here with label": ({"text": "<!here|here> look"}, ["<!here>"]),
    "everyone": ({"text": "<!everyone>"}, ["<!everyone>"]),
    "user": ({"text": "thanks <@U0ALICE|alice>"}, ["<@U0ALICE>"]),
    "user group": ({"text": "cc <!subteam^S0PRODUCT|@product>"}, ["<!subteam^S0PRODUCT>"]),
    "escaped": ({"text": "Joe typed &lt;!channel&gt; and &lt;@U0ALICE&gt;"}, []),
    "bare words without link_names": ({"text": "@here @channel @alice"}, []),
    "bare @here with link_names": ({"text": "@here please", "link_names": True}, ["@here"]),
    "bare @name with parse=full": ({"text": "ask @alice", "parse": "full"}, ["@alice"]),
    "an email is no mention": ({"text": "alice@example.com", "link_names": True}, []),
    "mrkdwn block auto-parses @channel": ({"text": "t", "blocks": [section("@channel hi")]}, ["@channel"]),
    "verbatim block does not": ({"text": "t", "blocks": [section("@channel hi", verbatim=True)]}, []),
    "verbatim keeps manual mentions": (
        {"text": "t", "blocks": [section("<!here>", verbatim=True)]},
        ["<!here>"],
    ),
    "escaped in verbatim block": (
        {"text": "&lt;!here&gt;", "blocks": [section("&lt;!channel&gt; &amp; co", verbatim=True)]},
        [],
    ),
    "plain_text never parses": (
        {"text": "t", "blocks": [section("<!channel> @here", kind="plain_text")]},
        [],
    ),
    "mention in a field": (
        {"text": "t", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "<@U0BOB>"}]}]},
        ["<@U0BOB>"],
    ),
    "mention in context": (
        {
            "text": "t",
            "blocks": [
                {"type": "context", "elements": [{"type": "mrkdwn", "text": "<!here>", "verbatim": True}]}
            ],
        },
        ["<!here>"],
    ),
}


@pytest.mark.parametrize(("kwargs", "expected"), PINGS.values(), ids=PINGS.keys())
def test_pings(client: WebClient, fake: FakeSlack, kwargs: dict[str, Any], expected: list[str]) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, **kwargs)["ts"]
    assert fake.pings == [Ping(CHANNEL, ts, what) for what in expected]


def test_an_edit_pings_only_for_what_it_adds(client: WebClient, fake: FakeSlack) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="hi <@U0ALICE>")["ts"]
    client.chat_update(channel=CHANNEL, ts=ts, text="hi <@U0ALICE> again")
    assert fake.pings == [(CHANNEL, ts, "<@U0ALICE>")]
    client.chat_update(channel=CHANNEL, ts=ts, text="hi <@U0ALICE> <!channel>")
    assert fake.pings == [(CHANNEL, ts, "<@U0ALICE>"), (CHANNEL, ts, "<!channel>")]


def test_find_pings_reads_attachments_too() -> None:
    assert find_pings("", attachments=[{"text": "<!here>", "fields": [{"value": "<@U0BOB>"}]}]) == [
        "<!here>",
        "<@U0BOB>",
    ]


# -- faults --------------------------------------------------------------------------------------------
def test_rate_limit_surfaces_429_and_retry_after(client: WebClient, fake: FakeSlack) -> None:
    fake.rate_limit("chat.postMessage", retry_after=3)
    failure = refused(client.chat_postMessage, channel=CHANNEL, text="hi")
    assert failure.response.status_code == 429
    assert failure.response.headers["Retry-After"] == "3"
    assert failure.response.headers["retry-after"] == "3"  # the SDK copies it under both spellings
    assert failure.response["error"] == "ratelimited"
    assert fake.messages(CHANNEL) == []
    client.chat_postMessage(channel=CHANNEL, text="hi")  # the next call goes through
    assert len(fake.messages(CHANNEL)) == 1
    assert fake.calls("chat.postMessage") == 2


def test_a_raw_injected_429_is_read_the_same_way(client: WebClient, fake: FakeSlack) -> None:
    fake.inject(Fault.status(429, headers={"Retry-After": "7"}), match="POST /conversations.history")
    failure = refused(client.conversations_history, channel=CHANNEL)
    assert (failure.response.status_code, failure.response.headers["Retry-After"]) == (429, "7")


def test_a_connection_dropped_after_processing_leaves_the_message(client: WebClient, fake: FakeSlack) -> None:
    fake.inject(Fault.drop(), match="* */chat.postMessage", after=True)
    with pytest.raises((URLError, ConnectionError, http.client.HTTPException)):
        client.chat_postMessage(channel=CHANNEL, text="summary", metadata=metadata("a"))
    [stored] = fake.messages(CHANNEL)  # the client saw an error, yet the message exists
    found = client.conversations_history(channel=CHANNEL, include_all_metadata=True)["messages"]
    assert [m["metadata"]["event_payload"]["id"] for m in found] == ["a"]
    assert stored["ts"] == found[0]["ts"]


def test_the_sdk_default_retry_on_a_dropped_connection_posts_twice(fake: FakeSlack) -> None:
    retrying = WebClient(
        token="xoxb-test",
        base_url=fake.url,
        timeout=5,
        retry_handlers=[
            ConnectionErrorRetryHandler(interval_calculator=FixedValueRetryIntervalCalculator(0))
        ],
    )
    fake.inject(Fault.drop(), match="* */chat.postMessage", after=True)
    retrying.chat_postMessage(channel=CHANNEL, text="summary")
    assert [m["text"] for m in fake.messages(CHANNEL)] == ["summary", "summary"]


def test_an_error_after_processing(client: WebClient, fake: FakeSlack) -> None:
    fake.fail("internal_error", "chat.postMessage", after=True)
    assert refused(client.chat_postMessage, channel=CHANNEL, text="x").response["error"] == "internal_error"
    assert len(fake.messages(CHANNEL)) == 1
