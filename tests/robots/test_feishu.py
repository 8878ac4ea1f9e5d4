"""What only Feishu needs: its limit is the request body's (20 KB), and a post wraps each
line of text in JSON of its own, so a text of many short lines is split by that count."""

from __future__ import annotations

from surge_feishu.robot import FeishuRobot

from surge.robots.channel import fit
from surge.robots.connection import Secret
from surge.robots.mentions import Mention
from surge.robots.robot import encode


def test_a_report_of_many_short_lines_fits_feishus_20_kb_body_in_every_part() -> None:
    robot = FeishuRobot("http://127.0.0.1:1", Secret("t", value="hook"), Secret("s", value="SEC"))
    report = "\n".join(f"- 第 {n} 项跟进：质量部复核工单" for n in range(1500))  # ~60 KB as posts
    mentions = [Mention(f"p{n}", f"ou_{n:032x}") for n in range(10)]
    parts = fit(robot, report, robot.mention_text(mentions), "zh-CN")
    assert len(parts) >= 3
    for number, part in enumerate(parts):
        body = robot.request(
            robot.bodies(part, "事件 #2 投诉激增" * 4, mentions if number == 0 else [])[0]
        ).body
        assert len(encode(body)) <= 20 * 1024
    lines = [line for part in parts for line in part.split("\n") if line.startswith("- 第")]
    assert lines == report.split("\n")  # every line once, in order, none cut
