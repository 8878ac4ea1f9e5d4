"""The runtime's services that actions and plugins reach through ``ActionContext.services``.

Each concept that outlives one step (response scripts, notices, the rota and its pagers,
chat channels) is built once by the runtime and put here, so an action gets at it with
``ctx.services.notices`` and type checks see what it is. A slot is None where the part is
not configured (no scripts folder, say): the action then fails with a message naming
what to configure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from surge.audit.log import AuditLog
    from surge.channels.hub import Channels
    from surge.customers.service import Customers
    from surge.notices.service import Notices
    from surge.paging.service import Paging
    from surge.report.build import Reports
    from surge.rota.model import Rota
    from surge.scripts.active import Scripts
    from surge.subscriptions.service import Subscriptions
    from surge.triggers.chain import Chains
    from surge.triggers.prometheus import DataSource


@dataclass
class Services:
    scripts: Scripts | None = None
    channels: Channels | None = None  # surge/channels: rooms, posts, broadcasts
    audit: AuditLog | None = None  # record a change a person asked for (surge.audit)
    rota: Rota | None = None  # config/rota.yaml, when the config names one
    pagers: Paging | None = None  # paging people through the configured pagers
    subscriptions: Subscriptions | None = None  # customers' e-mail and webhook subscriptions
    chains: Chains | None = None  # one playbook starting another (playbook.trigger)
    customers: Customers | None = None  # an incident's affected customers (surge.customers)
    # where PromQL queries (metric triggers, staff.call_in) are answered: None is the
    # config's Prometheus; `surge demo` puts its metrics simulator here
    metrics: DataSource | None = None
    notices: Notices | None = None  # status notices, components, the banner (surge/notices)
    reports: Reports | None = None  # post-incident reports (surge/report)
