"""The config's ``audit:`` section: which proxies' ``X-Forwarded-For`` to believe."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from surge.audit.actor import Network
from surge.yamlcheck import Checker
from surge.yamlpos import YNode


@dataclass(frozen=True)
class AuditSettings:
    # requests from these addresses may name the client in X-Forwarded-For; from any
    # other address the header is ignored, since anyone can write it
    trusted_proxies: tuple[Network, ...] = ()


def parse_audit(node: YNode, check: Checker) -> AuditSettings:
    fields = check.keys(node, "audit", ("trusted_proxies",))
    if not fields or "trusted_proxies" not in fields:
        return AuditSettings()
    networks: list[Network] = []
    for item in check.sequence(fields["trusted_proxies"], "audit.trusted_proxies") or []:
        text = check.string(item, "a trusted proxy")
        if text is None:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            check.error(
                item.pos,
                f"audit.trusted_proxies: {text!r} is not an IP address or network "
                "(write 127.0.0.1, 10.0.0.0/8 or ::1)",
            )
    return AuditSettings(tuple(networks))
