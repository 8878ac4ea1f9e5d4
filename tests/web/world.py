"""A small world for walking the whole API: the shipped example playbook and response
scripts, a playbook Alertmanager's example alert opens, a token per role, and records
(incident 1 with an active script, silence 1, notice 1, draft notice 2) for the examples
in the routes' descriptions to act on, and the shipped rota. Used in process
(aiohttp_client) and by a real ``surge serve``."""

from __future__ import annotations

import shutil
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from surge.config import Config, load_config
from surge.notices.model import ComponentStatus
from surge.notices.service import Draft
from surge.roles import ROLES
from surge.runtime import Runtime
from surge.scripts.approval import approve
from surge.store.records import Silence
from surge.subscriptions.records import Subscriber, SubscriberKind, SubscriberState
from surge.web.auth import hash_token

ROOT = Path(__file__).resolve().parents[2]
MAJOR = ComponentStatus.MAJOR_OUTAGE
TOKENS = {role: f"t-{role}-0123456789" for role in ROLES}
NAMES = {role: f"{role}-token" for role in ROLES}
CHANNEL_DOWN = """
    id: channel-down
    title: A service channel is down
    triggers:
      - alert: {match: {alertname: ChannelDown}}
    steps:
      - {id: note, action: log, with: {message: "a channel is down"}}
"""
SCRIPT_VARS = {
    "service": "Web chat",
    "impact": "messages cannot be sent",
    "eta": "15:30",
    "workaround": "call the hotline",
}


def write_world(folder: Path, listen: str = "127.0.0.1:8080") -> Path:
    """The config file (and its playbooks) under ``folder``."""
    playbooks = folder / "playbooks"
    playbooks.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "playbooks" / "example.yaml", playbooks / "example.yaml")
    (playbooks / "channel-down.yaml").write_text(textwrap.dedent(CHANNEL_DOWN), "utf-8")
    tokens = "\n".join(
        f"    - {{name: {NAMES[role]}, role: {role}, sha256: {hash_token(token)}}}"
        for role, token in TOKENS.items()
    )
    path = folder / "surge.yaml"
    path.write_text(
        f"store: sqlite:///{folder / 'surge.db'}\n"
        f"listen: {listen}\n"
        f"playbooks: {playbooks}\n"
        f"scripts: {{folder: {ROOT / 'config' / 'scripts'}}}\n"
        f"rota: {ROOT / 'config' / 'rota.yaml'}\n"
        "engine: {lease: 2s, poll_interval: 50ms}\n"
        "audit: {trusted_proxies: [127.0.0.1]}\n"
        # a mail server nobody answers at: subscriptions take e-mail addresses, and their
        # confirmations wait to be retried
        "smtp: {host: 127.0.0.1, port: 9, security: none, timeout: 1s}\n"
        "components:\n  - {id: web-chat, name: {zh-CN: 在线客服, zh-TW: 線上客服, en: Web chat}}\n"
        "  - {id: hotline, name: Hotline, group: Service channels}\n"
        f"auth:\n  tokens:\n{tokens}\n",
        encoding="utf-8",
    )
    return path


def world_config(folder: Path) -> Config:
    return load_config(str(write_world(folder)))


async def populate(runtime: Runtime) -> None:
    """Incident 1 (of the example playbook) following an approved outage-initial script,
    silence 1, subscriber 1, notice 1 and draft notice 2: what the examples in the routes'
    descriptions name."""
    now = datetime.now(UTC)
    incident = await runtime.engine.trigger(
        "example", {"reason": "the world"}, actor=NAMES["admin"], source="api"
    )
    assert incident.id == 1
    scripts = runtime.engine.scripts
    assert scripts is not None
    await approve(runtime.store, scripts.get("outage-initial"), "lead", now)
    await scripts.activate(1, "outage-initial", SCRIPT_VARS, "step:script", now)
    silence = Silence(0, ['alertname="Noise"'], now, now + timedelta(hours=1), "noise", "lead", now)
    assert (await runtime.store.add_silence(silence)).id == 1
    subscriber = Subscriber(
        0, SubscriberKind.EMAIL, "world@example.com", "en", (), SubscriberState.ACTIVE, now, "k"
    )
    assert (await runtime.store.add_subscriber(subscriber))[0].id == 1
    for script in ("outage-resolved", "traffic-banner"):
        await approve(runtime.store, scripts.get(script), "lead", now)
    notices = runtime.engine.services.notices
    assert notices is not None
    first = Draft("outage-initial", SCRIPT_VARS, components={"web-chat": MAJOR}, incident_id=1)
    assert (await notices.publish_new(first, author=NAMES["comms"])).notice.id == 1
    assert (await notices.draft(first, author=NAMES["comms"])).notice.id == 2  # to publish
