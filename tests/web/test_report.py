"""``GET /api/v1/incidents/{id}/report``: Markdown or HTML by ?format= or Accept, headings
in the asked locale, contacts masked for every reader."""

from __future__ import annotations


async def _incident(client, auth) -> int:
    response = await client.post(
        "/api/v1/playbooks/waiter/trigger", json={}, headers=auth("responder")
    )
    incident = int((await response.json())["id"])
    customer = {"ref": "C-1", "contact": "13812345678", "note": "<i>late</i>"}
    path = f"/api/v1/incidents/{incident}/customers"
    assert (await client.post(path, json=customer, headers=auth("responder"))).status == 201
    return incident


async def test_the_report_in_both_formats(client, auth):
    incident = await _incident(client, auth)
    path = f"/api/v1/incidents/{incident}/report"
    markdown = await client.get(path, headers=auth("viewer"))
    assert markdown.status == 200
    assert markdown.headers["Content-Type"] == "text/markdown; charset=utf-8"
    text = await markdown.text()
    assert text.startswith(f"# 事件复盘报告: #{incident} Waits for an ack\n")
    assert "*******5678" not in text and "\\*\\*\\*\\*\\*\\*\\*5678" in text
    html = await client.get(path, headers={**auth("viewer"), "Accept": "text/html"})
    assert html.headers["Content-Type"] == "text/html; charset=utf-8"
    page = await html.text()
    assert "&lt;i&gt;late&lt;/i&gt;" in page and "<i>late</i>" not in page
    traditional = await client.get(path + "?format=html&locale=zh-TW", headers=auth("viewer"))
    assert '<h2 id="customers">受影響客戶</h2>' in await traditional.text()
    asked = await client.get(path + "?format=md", headers={**auth("viewer"), "Accept": "text/html"})
    assert asked.headers["Content-Type"].startswith("text/markdown")


async def test_wrong_asks_are_refused(client, auth):
    incident = await _incident(client, auth)
    path = f"/api/v1/incidents/{incident}/report"
    assert (await client.get(path + "?format=pdf", headers=auth("viewer"))).status == 400
    assert (await client.get(path + "?locale=fr", headers=auth("viewer"))).status == 400
    missing = await client.get("/api/v1/incidents/999/report", headers=auth("viewer"))
    assert missing.status == 404
    assert (await client.get(path)).status == 401
