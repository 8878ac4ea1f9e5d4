"""The public files rendered from a view: Statuspage's JSON field for field, a feed that a
feed parser reads, a page in each language, and hostile notice text inert in all of them."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import feedparser
import pytest
from statuspage.views import HOSTILE, NOW, SITE, quiet_view, sample_view

from surge.statuspage.files import matches
from surge.statuspage.snapshot import build, valid_until, variant

# Atlassian Statuspage's public API (v2) as its pages document it, e.g.
# https://www.githubstatus.com/api: the fields of each object in its example answers.
PAGE = {"id", "name", "url", "time_zone", "updated_at"}
STATUS = {"indicator", "description"}
COMPONENT = {
    "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
    "start_date", "group_id", "page_id", "group", "only_show_if_degraded",
}  # fmt: skip
GROUP = COMPONENT | {"components"}
INCIDENT = {
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at",
    "impact", "shortlink", "started_at", "page_id", "incident_updates", "components",
}  # fmt: skip
MAINTENANCE = INCIDENT | {"scheduled_for", "scheduled_until"}
UPDATE = {
    "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
    "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
}  # fmt: skip
AFFECTED = {"code", "name", "old_status", "new_status"}
INDICATORS = {"none", "minor", "major", "critical", "maintenance"}
COMPONENT_STATUSES = {
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"
}  # fmt: skip
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def snapshot():
    return build(sample_view(), SITE)


def load(snapshot, path):
    return json.loads(snapshot[path].body)


def check_incident(item, fields=INCIDENT):
    assert set(item) == fields
    assert isinstance(item["id"], str) and TIME.match(item["created_at"])
    assert item["impact"] in {"none", "minor", "major", "critical", "maintenance"}
    for update in item["incident_updates"]:
        assert set(update) == UPDATE and update["incident_id"] == item["id"]
        for affected in update["affected_components"] or []:
            assert set(affected) == AFFECTED
            assert {affected["old_status"], affected["new_status"]} <= COMPONENT_STATUSES
    for component in item["components"]:
        assert set(component) == COMPONENT


def test_summary_has_statuspages_fields_and_shapes(snapshot):
    summary = load(snapshot, "api/v2/summary.json")
    assert set(summary) == {"page", "status", "components", "incidents", "scheduled_maintenances"}
    assert set(summary["page"]) == PAGE and summary["page"]["url"] == "https://status.example.com"
    assert set(summary["status"]) == STATUS
    assert summary["status"] == {"indicator": "critical", "description": "Major System Outage"}
    for component in summary["components"]:
        assert set(component) == (GROUP if component["group"] else COMPONENT)
        assert component["status"] in COMPONENT_STATUSES
    groups = {c["id"]: c["components"] for c in summary["components"] if c["group"]}
    assert groups == {"service-channels": ["web-chat", "hotline"], "apps": ["app"]}
    [incident] = summary["incidents"]
    check_incident(incident)
    assert incident["status"] == "identified" and incident["resolved_at"] is None
    assert [u["status"] for u in incident["incident_updates"]] == ["identified", "investigating"]
    assert incident["incident_updates"][0]["affected_components"] == [
        {"code": "web-chat", "name": "Web chat", "old_status": "major_outage",
         "new_status": "partial_outage"}
    ]  # fmt: skip
    [maintenance] = summary["scheduled_maintenances"]
    check_incident(maintenance, MAINTENANCE)
    assert maintenance["status"] == "scheduled"
    assert maintenance["scheduled_for"] == "2026-12-03T09:30:00.000Z"


def test_each_file_has_its_statuspage_keys(snapshot):
    assert set(load(snapshot, "api/v2/status.json")) == {"page", "status"}
    components = load(snapshot, "api/v2/components.json")
    assert set(components) == {"page", "components"} and len(components["components"]) == 6
    incidents = load(snapshot, "api/v2/incidents.json")
    assert [item["id"] for item in incidents["incidents"]] == ["3", "1"]  # newest first
    for item in incidents["incidents"]:
        check_incident(item)
    resolved = incidents["incidents"][1]
    assert resolved["status"] == "resolved" and TIME.match(resolved["resolved_at"])
    assert TIME.match(resolved["monitoring_at"])
    unresolved = load(snapshot, "api/v2/incidents/unresolved.json")
    assert [item["id"] for item in unresolved["incidents"]] == ["3"]
    maintenances = load(snapshot, "api/v2/scheduled-maintenances.json")
    assert [item["id"] for item in maintenances["scheduled_maintenances"]] == ["4"]


def test_json_speaks_the_asked_language_and_the_pages_own_by_default(snapshot):
    zh = load(snapshot, variant("api/v2/summary.json", "zh-CN"))
    assert zh["status"]["description"] == "服务严重中断"
    assert zh["components"][1]["name"] == "在线客服"
    assert zh["incidents"][0]["incident_updates"][1]["body"].startswith("在线客服无法发起会话")
    assert load(snapshot, "api/v2/summary.json") == load(snapshot, "api/v2/summary.en.json")


def test_a_quiet_page_is_all_operational():
    summary = json.loads(build(quiet_view(), SITE)["api/v2/summary.json"].body)
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert summary["incidents"] == summary["scheduled_maintenances"] == []
    assert {item["status"] for item in summary["components"]} == {"operational"}


def test_the_atom_feed_parses_with_an_entry_per_notice(snapshot):
    feed = feedparser.parse(snapshot["history.zh-CN.atom"].body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "服务状态" and feed.feed.language == "zh-CN"
    assert [entry.id for entry in feed.entries] == [
        f"https://status.example.com/status#notice-{n}" for n in (4, 3, 1)
    ]
    incident = feed.entries[1]
    assert incident.title == "在线客服：严重中断"
    assert incident.updated == "2026-12-01T09:20:00.000Z"
    assert "已确认原因" in incident.content[0].value
    assert incident.link == "https://status.example.com/status?lang=zh-CN#notice-3"


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]

    def handle_data(self, data):
        self.text.append(data)


def test_a_notice_with_script_is_inert_everywhere():
    snapshot = build(sample_view(hostile=HOSTILE), SITE)
    for file in snapshot:
        if file.path == "banner.js":
            assert b"onerror" not in file.body  # the script carries no notice text
            continue
        body = file.body.decode()
        assert "<script" not in body and "<img" not in body, file.path
        if file.path.endswith(".html"):
            page = Tags()
            page.feed(body)
            assert "script" not in page.tags and "img" not in page.tags
            assert "onerror" not in page.attrs
            assert HOSTILE in "".join(page.text)  # shown as text, every character of it
        if file.path.endswith(".json"):
            assert "<" not in body and ">" not in body  # written as \u003c, \u003e
    banner = json.loads(snapshot["banner.json"].body)["banner"]
    assert banner["text"]["zh-CN"].endswith(HOSTILE)  # the data is intact, only escaped
    entry = feedparser.parse(snapshot["history.en.atom"].body).entries[1]
    assert HOSTILE not in entry.content[0].value  # a reader's HTML holds no tag of it
    assert "&lt;script&gt;" in entry.content[0].value


def test_the_status_page_in_each_language(snapshot):
    for locale, overall, component in (
        ("zh-CN", "服务严重中断", "在线客服"),
        ("zh-TW", "服務嚴重中斷", "線上客服"),
        ("en", "Major System Outage", "Web chat"),
    ):
        page = snapshot[variant("status/index.html", locale)].body.decode()
        assert f'<html lang="{locale}">' in page
        assert overall in page and component in page
        assert "<main" in page and "<header" in page and "<footer" in page and "<nav" in page
        assert "http://" not in page.replace("https://status.example.com", "")
        assert 'src="' not in page and '<link rel="stylesheet"' not in page  # nothing external
    page = snapshot["status/index.html"]
    assert page.headers["Content-Language"] == "en" and page.headers["Vary"] == "Accept-Language"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_history_has_every_day_of_the_window(snapshot):
    page = snapshot["status/index.en.html"].body.decode()
    days = re.findall(r'<h3><time datetime="(\d{4}-\d\d-\d\d)">', page)
    assert len(days) == 14 and days[0] == "2026-12-01" and days[-1] == "2026-11-18"
    assert page.count("No incidents reported.") == 12  # the resolved and today's are shown
    assert 'id="notice-1"' in page  # the resolved incident, with its updates


def test_the_same_view_gives_the_same_bytes_and_etags():
    first, second = build(sample_view(), SITE), build(sample_view(), SITE)
    assert {f.path: f.etag for f in first} == {f.path: f.etag for f in second}
    other = build(quiet_view(), SITE)
    assert first["api/v2/summary.json"].etag != other["api/v2/summary.json"].etag
    assert first["banner.js"].etag == other["banner.js"].etag


def test_a_snapshot_is_valid_until_the_banner_expires_or_a_window_opens():
    view = sample_view()
    assert valid_until(view, SITE) == NOW + timedelta(hours=1)  # the banner's expiry
    quiet = quiet_view()
    midnight_shanghai = NOW.replace(hour=16, minute=0)  # 2026-12-02 00:00 +08:00
    assert valid_until(quiet, SITE) == midnight_shanghai


def test_etag_comparison():
    etag = '"abc"'
    assert matches('"abc"', etag) and matches('W/"abc"', etag) and matches('"x", "abc"', etag)
    assert matches("*", etag)
    assert not matches('"abcd"', etag) and not matches("", etag) and not matches(None, etag)
