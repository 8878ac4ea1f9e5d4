"""surge.mail against a real SMTP server (aiosmtpd): plain, STARTTLS with a login, refusals."""

from __future__ import annotations

import dataclasses

import pytest
from support.smtp import PASSWORD_ENV

from surge.config import ConfigError, parse_config
from surge.mail import MailError, compose, send


async def test_a_message_arrives_with_its_chinese_text_intact(smtp_server):
    settings = smtp_server.settings()
    message = compose(
        settings,
        ["lee@example.test"],
        "【在线客服故障通知】請稍候",
        "在线客服出现异常，預計 15:30 恢復。",
        html="<p>在线客服出现异常</p>",
        idempotency_key="7:steps:page:1",
    )
    await send(settings, message)
    [received] = smtp_server.received
    assert received.recipients == ["lee@example.test"]
    assert received.message["Subject"] == "【在线客服故障通知】請稍候"
    assert received.text.strip() == "在线客服出现异常，預計 15:30 恢復。"
    assert "<p>在线客服出现异常</p>" in received.html


def test_the_message_id_follows_the_idempotency_key(smtp_server):
    settings = smtp_server.settings()
    first = compose(settings, ["a@example.test"], "s", "t", idempotency_key="7:steps:page:1")
    again = compose(settings, ["a@example.test"], "s", "t", idempotency_key="7:steps:page:1")
    other = compose(settings, ["a@example.test"], "s", "t", idempotency_key="7:steps:page:2")
    assert first["Message-ID"] == again["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"].endswith("@example.test>")


async def test_starttls_and_a_login(smtp_tls_server):
    settings = smtp_tls_server.settings()
    await send(settings, compose(settings, ["on-call@example.test"], "page", "wake up"))
    assert [item.recipients for item in smtp_tls_server.received] == [["on-call@example.test"]]


async def test_a_wrong_password_is_refused_for_good(smtp_tls_server, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    settings = smtp_tls_server.settings()
    with pytest.raises(MailError) as caught:
        await send(settings, compose(settings, ["x@example.test"], "s", "t"))
    assert not caught.value.retryable
    assert "login" in str(caught.value)
    assert "not-the-password" not in str(caught.value)
    assert smtp_tls_server.received == []


async def test_a_missing_password_says_which_variable_to_export(smtp_tls_server, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)
    settings = smtp_tls_server.settings()
    with pytest.raises(MailError, match=f"export {PASSWORD_ENV}"):
        await send(settings, compose(settings, ["x@example.test"], "s", "t"))


async def test_an_untrusted_certificate_is_not_accepted(smtp_tls_server):
    settings = dataclasses.replace(smtp_tls_server.settings(), ca_file=None)
    with pytest.raises(MailError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
        await send(settings, compose(settings, ["x@example.test"], "s", "t"))
    assert smtp_tls_server.received == []


@pytest.mark.parametrize(("code", "retryable"), [(550, False), (451, True)])
async def test_a_refused_recipient(smtp_server, code, retryable):
    smtp_server.refuse(code)
    settings = smtp_server.settings()
    with pytest.raises(MailError) as caught:
        await send(settings, compose(settings, ["gone@example.test"], "s", "t"))
    assert caught.value.retryable is retryable
    assert str(code) in str(caught.value)


async def test_an_unreachable_server_is_worth_another_try(smtp_server):
    smtp_server.stop()
    settings = smtp_server.settings(timeout=2.0)
    with pytest.raises(MailError) as caught:
        await send(settings, compose(settings, ["x@example.test"], "s", "t"))
    assert caught.value.retryable
    assert f"127.0.0.1:{smtp_server.port}" in str(caught.value)


def test_the_smtp_section_of_the_config():
    config = parse_config(
        "smtp: {host: mail.example.com, port: 587, username: surge,"
        " password_env: SMTP_PW, from: 'surge <surge@example.com>', timeout: 20s}\n",
        "c.yaml",
    )
    assert config.smtp is not None
    assert (config.smtp.host, config.smtp.port, config.smtp.security) == (
        "mail.example.com",
        587,
        "starttls",
    )
    assert config.smtp.timeout == 20.0


def test_the_smtp_password_is_a_secret_to_redact(monkeypatch):
    monkeypatch.setenv("SMTP_PW", "hunter2-hunter2")
    config = parse_config("smtp: {host: h, username: u, password_env: SMTP_PW}\n", "c.yaml")
    assert "hunter2-hunter2" in config.secrets()


def test_smtp_problems_have_positions():
    text = "smtp:\n  host: h\n  port: nope\n  security: ssl\n  from: nobody\n  password_env: X\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "c.yaml")
    found = [str(problem) for problem in caught.value.problems]
    assert any(line.startswith("c.yaml:3:9: smtp.port must be a whole number") for line in found)
    assert any(line.startswith("c.yaml:4:13: smtp.security must be one of") for line in found)
    assert any(line.startswith("c.yaml:5:9: smtp.from must be an address") for line in found)
    assert any("password_env needs a username" in line for line in found)
