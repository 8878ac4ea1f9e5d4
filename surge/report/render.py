"""The report as Markdown or HTML, from one set of labels and two Jinja templates.

The HTML environment autoescapes everything; the Markdown one escapes what could break
a table or start markup. Nothing in a report is a template: every text in it (timeline
messages, notes, notice bodies) is a value.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

import jinja2

from surge.durations import format_duration
from surge.report.model import Report
from surge.report.text import labels

Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")
MEDIA_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _md(value: Any) -> str:
    """Text for a Markdown table cell or line: one line, markup characters escaped."""
    text = " ".join(str(value if value is not None else "").split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else ""


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("surge.report", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _md
    env.filters["when"] = _when
    env.filters["took"] = lambda seconds: format_duration(seconds) if seconds is not None else None
    return env


_ENVIRONMENTS = {"md": _environment(False), "html": _environment(True)}


def render(report: Report, fmt: Format = "md") -> str:
    text = labels(report.locale)
    times = [
        (text["to_acknowledge"], report.since_opened(report.milestones.acknowledged)),
        (text["to_mitigate"], report.since_opened(report.milestones.mitigated)),
        (text["to_resolve"], report.since_opened(report.milestones.closed)),
    ]
    template = _ENVIRONMENTS[fmt].get_template(f"report.{fmt}.j2")
    return template.render(r=report, t=text, times=times, incident=report.incident)
