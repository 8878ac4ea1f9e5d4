"""The local Slack server answers slack-sdk the way Slack does (the other tests rely on it)."""

from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from support.slack import TOKEN


async def test_form_query_and_json_bodies_with_a_bearer_token(fake_slack):
    client = AsyncWebClient(token=TOKEN, base_url=fake_slack.url)
    created = await client.conversations_create(name="war-room")  # query string
    room = created["channel"]["id"]
    await client.api_call("conversations.setTopic", data={"channel": room, "topic": "t"})  # form
    posted = await client.chat_postMessage(  # JSON
        channel=room, text="hi", metadata={"event_type": "x", "event_payload": {"key": "k"}}
    )
    assert [call.content_type for call in fake_slack.calls] == [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded",
        "application/json",
    ]
    assert fake_slack.calls[0].query == {"name": "war-room"}  # slack-sdk's params=
    assert fake_slack.calls[1].query == {}  # a form body
    assert {call.authorization for call in fake_slack.calls} == {f"Bearer {TOKEN}"}
    assert fake_slack.channels[room].topic == "t"
    history = await client.conversations_history(channel=room, include_all_metadata=True)
    assert history["messages"][0]["ts"] == posted["ts"]
    assert history["messages"][0]["metadata"]["event_payload"] == {"key": "k"}
    plain = await client.conversations_history(channel=room)
    assert "metadata" not in plain["messages"][0]


async def test_refusals_are_ok_false_with_slacks_error_names(fake_slack):
    client = AsyncWebClient(token=TOKEN, base_url=fake_slack.url)
    fake_slack.add_channel("elsewhere", member=False)
    cases = [
        (client.chat_postMessage(channel="C99999999", text="x"), "channel_not_found"),
        (client.chat_postMessage(channel="elsewhere", text="x"), "not_in_channel"),
        (client.conversations_create(name="cs-agents"), "name_taken"),
        (client.conversations_create(name="Has Spaces"), "invalid_name_specials"),
        (AsyncWebClient(token="xoxb-wrong", base_url=fake_slack.url).auth_test(), "invalid_auth"),
        (AsyncWebClient(base_url=fake_slack.url).auth_test(), "not_authed"),
    ]
    for call, error in cases:
        with pytest.raises(SlackApiError) as caught:
            await call
        assert caught.value.response.status_code == 200
        assert caught.value.response["error"] == error


async def test_429_carries_retry_after_and_slack_sdk_honours_it(fake_slack):
    fake_slack.rate_limit("auth.test", times=2, retry_after=1)
    bare = AsyncWebClient(token=TOKEN, base_url=fake_slack.url, retry_handlers=[])
    with pytest.raises(SlackApiError) as caught:
        await bare.auth_test()
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "1"
    patient = AsyncWebClient(
        token=TOKEN, base_url=fake_slack.url, retry_handlers=[AsyncRateLimitErrorRetryHandler()]
    )
    started = time.monotonic()
    answer = await patient.auth_test()
    assert answer["user_id"] == "UBOT0001"
    assert time.monotonic() - started >= 1.0  # it waited the Retry-After
    assert len(fake_slack.calls_of("auth.test")) == 3
