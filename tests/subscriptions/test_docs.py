"""Every example in docs/notices.md's "Subscriptions" section runs: the config parses to
the defaults it claims, the requests get the answers shown, the webhook body has the
documented shape, the receiver's check accepts a real delivery, and the CLI prints the
columns shown."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from integration.services import run_surge
from subscriptions.conftest import Client, publish, settled
from support.receiver import Receiver

from surge.config import parse_config
from surge.subscriptions.config import SubscriptionSettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "notices.md"


def example(name: str, language: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- example: {name} -->\n```{language}\n(.*?)\n```", text, re.S)
    assert found, f"docs/notices.md has no {language} example {name!r}"
    return found.group(1) + "\n"


def shape(value: Any) -> Any:
    """The keys of a JSON value, all the way down (lists by their first item)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def test_the_config_example_parses_to_the_defaults_it_shows() -> None:
    config = parse_config(example("config", "yaml"), "docs/notices.md")
    assert config.subscriptions == SubscriptionSettings()
    assert config.smtp is not None and config.smtp.password_env == "SMTP_PASSWORD"


async def test_the_subscribe_examples_get_the_answers_shown(client: Client) -> None:
    response = await client.post("/api/v1/subscriptions", data=example("subscribe", "json"))
    assert await response.json() == json.loads(example("subscribed", "json"))
    response = await client.post("/api/v1/subscriptions", data=example("subscribe-webhook", "json"))
    assert response.status == 201 and (await response.json())["secret"]


async def test_a_real_webhook_delivery_has_the_documented_shape_and_passes_the_check(
    client: Client, aiohttp_server: Any
) -> None:
    receiver = await Receiver.serve(aiohttp_server)
    response = await client.post(
        "/api/v1/subscriptions", json={"webhook": receiver.url, "components": ["web-chat"]}
    )
    secret = (await response.json())["secret"]
    await publish(client, 2, {"web-chat": "major_outage"})
    await settled(client)
    [received] = receiver.requests
    documented = json.loads(example("webhook-body", "json"))
    body = received.json()
    assert shape(body) == {**shape(documented), "texts": shape(body["texts"])}
    assert shape(body["texts"]["en"]) == shape(documented["texts"]["en"])
    namespace: dict[str, Any] = {}
    exec(example("verify", "python"), namespace)  # the doc's own code
    check = namespace["is_from_surge"]
    headers = dict(received.headers)
    assert check(secret, headers, received.body)
    assert not check(secret, headers, received.body + b" ")
    assert not check("another secret", headers, received.body)


async def test_the_cli_prints_the_columns_shown(client: Client, subs_config: Any, tmp_path: Path):
    await client.post("/api/v1/subscriptions", json={"email": "ann@example.com"})
    config = tmp_path / "surge.yaml"
    config.write_text(f"store: {subs_config.store}\nplaybooks: {tmp_path}\n", encoding="utf-8")
    lines = example("cli", "console").splitlines()
    code, output = await run_surge("subscribers", "list", "--config", str(config))
    assert code == 0, output
    assert output.splitlines()[0].split() == lines[1].split()
    assert output.splitlines()[-1] == "email: 1 pending"
    code, output = await run_surge("subscribers", "remove", "1", "--config", str(config))
    assert output.strip() == lines[-1]


def test_a_wrong_subscriptions_section_is_reported_with_positions() -> None:
    from surge.config import ConfigError

    text = (
        "subscriptions:\n"
        "  retry: {attempts: 0, backoff: soon}\n"
        "  rate_limit: {requests: 5}\n"
        "  webhooks: {allow_private: maybe}\n"
        "  lease: 0s\n"
        "  colour: red\n"
    )
    try:
        parse_config(text, "c.yaml")
    except ConfigError as error:
        found = [str(problem) for problem in error.problems]
    else:
        raise AssertionError("the config was taken")
    assert any(line.startswith("c.yaml:6:3: unknown key 'colour'") for line in found), found
    for part in ("attempts must be at least 1", "backoff", "missing required key 'per'",
                 "allow_private must be true or false", "lease must be more than 0"):  # fmt: skip
        assert any(part in line for line in found), (part, found)
