"""The config's ``status_page:`` section: what the public pages are called and where the
static export goes.

```yaml
status_page:
  name: {zh-CN: 客服服务状态, zh-TW: 客服服務狀態, en: Customer service status}
  locale: zh-CN              # for readers who ask for none of ours, and for the JSON
  time_zone: Asia/Shanghai   # times on the page and the days of its history
  export: /srv/status        # written after each publish (optional)
  history_days: 14
```
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from surge.notices.components import localized
from surge.statuspage.locale import DEFAULT, LOCALES
from surge.triggers.windows import time_zone
from surge.yamlcheck import Checker
from surge.yamlpos import YNode

KEYS = ("name", "locale", "time_zone", "export", "history_days")
DEFAULT_NAME = {"zh-CN": "服务状态", "zh-TW": "服務狀態", "en": "Service status"}


@dataclass(frozen=True)
class StatusPageSettings:
    name: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_NAME))
    locale: str = DEFAULT
    time_zone: str = "UTC"
    export: Path | None = None  # the folder the export rewrites after each publish
    history_days: int = 14

    @property
    def zone(self) -> ZoneInfo:
        return time_zone(self.time_zone)


def parse_status_page(node: YNode, check: Checker) -> StatusPageSettings:
    settings = StatusPageSettings()
    fields = check.keys(node, "status_page", KEYS)
    if fields is None:
        return settings
    if "name" in fields and (name := localized(fields["name"], check, "status_page.name")):
        settings = replace(settings, name=name)
    if "locale" in fields:
        chosen = check.choice(fields["locale"], "status_page.locale", LOCALES)
        settings = replace(settings, locale=chosen or settings.locale)
    if "time_zone" in fields and (zone := check.string(fields["time_zone"], "time_zone")):
        try:
            time_zone(zone)
        except ValueError as error:
            check.error(fields["time_zone"].pos, f"status_page.time_zone: {error}")
        else:
            settings = replace(settings, time_zone=zone)
    if "export" in fields and (folder := check.string(fields["export"], "status_page.export")):
        settings = replace(settings, export=Path(folder))
    if "history_days" in fields:
        days = check.integer(fields["history_days"], "status_page.history_days", minimum=1)
        settings = replace(settings, history_days=days or settings.history_days)
    return settings
