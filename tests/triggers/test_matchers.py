"""Alertmanager-style matchers: the syntax, and what they match."""

from __future__ import annotations

import pytest

from surge.triggers.matchers import Matcher, matches_all, parse_matcher, parse_matchers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('alertname="ChannelDown"', ("alertname", "=", "ChannelDown")),
        ("alertname=ChannelDown", ("alertname", "=", "ChannelDown")),
        ('  severity =~ "critical|major"  ', ("severity", "=~", "critical|major")),
        ('env!="staging"', ("env", "!=", "staging")),
        ("env!=staging", ("env", "!=", "staging")),
        ('job!~"web-.*"', ("job", "!~", "web-.*")),
        ('team=""', ("team", "=", "")),
        ("team=", ("team", "=", "")),
        ("summary=disk full", ("summary", "=", "disk full")),
        (r'msg="say \"hi\""', ("msg", "=", 'say "hi"')),
        (r'path="C:\\temp"', ("path", "=", "C:\\temp")),
        (r'text="a\nb"', ("text", "=", "a\nb")),
        ('_private="x"', ("_private", "=", "x")),
        ('region="华东"', ("region", "=", "华东")),
    ],
)
def test_the_syntax(text: str, expected: tuple[str, str, str]) -> None:
    matcher = parse_matcher(text)
    assert (matcher.name, matcher.op, matcher.value) == expected


@pytest.mark.parametrize(
    "text",
    ["", "alertname", '="x"', '1abc="x"', 'a-b="x"', 'name~="x"', "name<x", " "],
)
def test_what_is_not_a_matcher(text: str) -> None:
    with pytest.raises(ValueError, match="is not a matcher: write NAME=VALUE"):
        parse_matcher(text)


@pytest.mark.parametrize("text", ['job=~"(x"', 'job!~"["', "job=~*"])
def test_a_regex_must_compile(text: str) -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        parse_matcher(text)


def test_str_gives_the_quoted_form_back() -> None:
    for text in ("alertname=ChannelDown", r'msg="say \"hi\" \\ now"', 'job!~"web-.*"'):
        matcher = parse_matcher(text)
        assert parse_matcher(str(matcher)) == matcher
    assert str(parse_matcher("alertname=ChannelDown")) == 'alertname="ChannelDown"'
    assert str(parse_matcher("text=a\\nb")) == 'text="a\\\\nb"'  # unquoted: no escapes


def test_regexes_are_anchored_at_both_ends() -> None:
    matcher = parse_matcher('job=~"web"')
    assert matcher.matches({"job": "web"})
    assert not matcher.matches({"job": "web-1"})
    assert not matcher.matches({"job": "old-web"})
    assert parse_matcher('job=~"web|app"').matches({"job": "app"})
    assert not parse_matcher('job=~"web|app"').matches({"job": "webapp"})  # not ^web|app$
    assert parse_matcher('job!~"web"').matches({"job": "web-1"})
    assert parse_matcher('text=~"a.b"').matches({"text": "a\nb"})  # . matches a line break


def test_a_missing_label_is_the_empty_string() -> None:
    assert parse_matcher('env=""').matches({})
    assert parse_matcher('env!="staging"').matches({})
    assert not parse_matcher('env="staging"').matches({})
    assert parse_matcher('env=~".*"').matches({})
    assert not parse_matcher('env=~".+"').matches({})
    assert parse_matcher('env!~".+"').matches({"other": "x"})


def test_equality_is_exact() -> None:
    matcher = parse_matcher("alertname=Down")
    assert matcher.matches({"alertname": "Down"})
    assert not matcher.matches({"alertname": "down"})
    assert not matcher.matches({"alertname": "Down "})
    assert parse_matcher("alertname!=Down").matches({"alertname": "down"})


def test_every_matcher_must_hold() -> None:
    matchers = parse_matchers(["alertname=Down", 'severity=~"critical|major"', "env!=staging"])
    assert matches_all(matchers, {"alertname": "Down", "severity": "major"})
    assert not matches_all(matchers, {"alertname": "Down", "severity": "minor"})
    assert not matches_all(matchers, {"alertname": "Down", "severity": "major", "env": "staging"})
    assert matches_all((), {"anything": "x"})


def test_create_checks_the_regex_and_equality_ignores_the_compiled_form() -> None:
    assert Matcher.create("a", "=~", "x+") == parse_matcher('a=~"x+"')
    assert Matcher.create("a", "=", "(") == parse_matcher('a="("')  # not a regex: fine
    with pytest.raises(ValueError, match="a=~'\\(': not a valid regular expression"):
        Matcher.create("a", "=~", "(")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('a=="x"', "unexpected '=' after '='"),
        ('a=~~"x"', "unexpected '~' after '=~'"),
        ('a="x', "the quoted value is not closed"),
        ('a=x"y', "a stray quote"),
    ],
)
def test_malformed_values_are_refused_as_alertmanager_would(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_matcher(text)
