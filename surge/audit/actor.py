"""Who made a change and from where: a token over HTTP (behind trusted proxies or not), or
a person running the CLI on the store directly."""

from __future__ import annotations

import getpass
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
STORE_ROLE = "store"  # a command on the store needs no token: it may do anything


@dataclass(frozen=True)
class Actor:
    name: str  # the token's name, or cli:USER
    role: str  # the token's role, or STORE_ROLE
    origin: str  # the client address (and the proxies it came through), or cli@HOST as USER
    address: str = ""  # the client's IP address; empty from the CLI


def cli_actor() -> Actor:
    """The person running a command that works on the store directly."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        user = "unknown"
    return Actor(f"cli:{user}", STORE_ROLE, f"cli@{socket.gethostname()} as {user}")


def http_actor(
    name: str,
    role: str,
    remote: str | None,
    forwarded_for: Sequence[str],
    trusted: Iterable[Network],
) -> Actor:
    """An API caller; ``X-Forwarded-For`` counts only when the peer is a trusted proxy."""
    address, proxies = client_address(remote, forwarded_for, tuple(trusted))
    origin = address + (f" via {', '.join(proxies)}" if proxies else "")
    return Actor(name, role, origin, address)


def client_address(
    remote: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]
) -> tuple[str, list[str]]:
    """The client's address and the trusted proxies between it and us (nearest last).

    From the peer, walk ``X-Forwarded-For`` right to left while each hop is a trusted
    proxy: the first hop that is not (or the last readable one) is the client. Entries
    left of it were written by the client itself, so they are never believed."""
    peer = _address(remote or "")
    if peer is None:
        return remote or "unknown", []
    hops = [item.strip() for value in forwarded_for for item in value.split(",")]
    current, proxies = peer, []
    while _is_trusted(current, trusted) and hops:
        earlier = _address(hops.pop())
        if earlier is None:  # unreadable: the proxy we trust is as far as we can see
            break
        proxies.append(str(current))
        current = earlier
    return str(current), list(reversed(proxies))


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)
