"""``report.send``: the whole report by mail (a real SMTP server), and an approved script
carrying its link to a channel; a re-run mails under the same Message-ID."""

from __future__ import annotations

import textwrap

from surge.actions import ActionContext
from surge.config import parse_config
from surge.plugin.builtin.report import surge_register_actions
from surge.scripts.approval import approve
from surge.store.records import IncidentStatus

[SPEC] = surge_register_actions()
SCRIPT = """
id: report-ready
title: Report ready
vars:
  incident: {type: int, required: true}
  report_url: {type: string, required: true}
  team: {type: string, default: ops}
locales:
  zh-CN: "事件 {{ incident }} 的复盘报告：{{ report_url }}（{{ team }}）"
  en: "The report of incident {{ incident }}: {{ report_url }} ({{ team }})"
"""
PLAYBOOK = """
id: complaints
title: Complaint surge
params:
  topic: {type: string, required: true}
report:
  locale: en
  departments: [{name: Quality, follow_up: "Root cause of {{ params.topic }}"}]
steps:
  - {id: hold, action: wait, with: {until: resolved, timeout: 1h}}
on_resolve:
  - id: send
    action: report.send
    with:
      to: [quality@example.com, pr@example.com]
      locale: zh-TW
      departments: [{name: PR, follow_up: "Answer press on {{ params.topic }}"}, Legal]
  - id: tell
    action: report.send
    with: {channel: leads, script: report-ready, vars: {team: 质量部}}
"""


def _config(tmp_path, config, smtp_server):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "report-ready.yaml").write_text(SCRIPT, encoding="utf-8")
    text = f"""
        store: {config.store}
        playbooks: {config.playbooks}
        public_url: https://surge.example.test/
        scripts: {{folder: {scripts}}}
        engine: {{lease: 1s, poll_interval: 20ms}}
        smtp: {{host: 127.0.0.1, port: {smtp_server.port}, security: none}}
        channels:
          leads: {{provider: email, to: [leads@example.com], locales: [en]}}
    """
    return parse_config(textwrap.dedent(text), "c.yaml")


async def test_the_report_goes_by_mail_and_its_link_to_a_channel(
    tmp_path, config, smtp_server, write_playbook, make_runtime, wait_settled
):
    write_playbook("complaints", PLAYBOOK)
    runtime = await make_runtime(config=_config(tmp_path, config, smtp_server))
    await approve(runtime.store, runtime.scripts.get("report-ready"), "ana", runtime.engine.clock())
    incident = await runtime.engine.trigger("complaints", {"topic": "<late>"}, actor="ann")
    await runtime.engine.change_status(incident.id, IncidentStatus.RESOLVED, "ann")
    runs = {run.step_id: run for run in await wait_settled(runtime, incident.id)}
    assert runs["send"].status.value == "succeeded", runs["send"].error
    assert runs["send"].result == {
        "incident": incident.id,
        "locale": "zh-TW",
        "emailed": ["quality@example.com", "pr@example.com"],
    }
    assert runs["tell"].status.value == "succeeded", runs["tell"].error
    report, link = smtp_server.wait_for(2)
    assert sorted(report.recipients) == ["pr@example.com", "quality@example.com"]
    assert report.message["Subject"] == f"事件檢討報告: #{incident.id} Complaint surge"
    assert report.text.startswith(f"# 事件檢討報告: #{incident.id} Complaint surge")
    assert "- **Quality**: Root cause of \\<late\\>" in report.text
    assert "- **PR**: Answer press on \\<late\\>" in report.text and "- **Legal**" in report.text
    assert '<h2 id="follow-ups">後續跟進</h2>' in report.html and "&lt;late&gt;" in report.html
    assert link.recipients == ["leads@example.com"]
    url = f"https://surge.example.test/api/v1/incidents/{incident.id}/report?format=html"
    assert link.text.strip() == f"The report of incident {incident.id}: {url} (质量部)"

    # a later attempt of the step (a retry, or a re-run after a crash) sends the same
    # mail under the same Message-ID, so a mail system can drop the copy
    stored = await runtime.store.get_incident(incident.id)
    assert stored is not None
    again = ActionContext(
        incident=stored,
        step_id="send",
        attempt=2,
        idempotency_key=f"{incident.id}:on_resolve:send:2",
        args={"to": ["quality@example.com"]},
        config=runtime.config,
        http=runtime.engine.http,
        now=runtime.engine.clock(),
        services=runtime.engine.services,
    )
    await SPEC.run(again)
    resent = smtp_server.wait_for(3)[2]
    assert resent.message["Message-ID"] == report.message["Message-ID"]
    assert SPEC.uses_idempotency_key


def test_validate_needs_somewhere_to_send() -> None:
    assert SPEC.check is not None
    assert SPEC.check({}) == ["give `to` (e-mail addresses), `channel`, or both"]
    assert SPEC.check({"channel": "leads"}) == [
        "a channel carries approved scripts only: give `script` with `channel`"
    ]
    assert SPEC.check({"to": ["a@example.com"]}) == []
