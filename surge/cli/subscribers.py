"""``surge subscribers list|remove|deliveries``: who subscribed to status notices, and what
each notice's versions did for them. Tables for people, ``--json`` for scripts (the HTTP
API's shapes); through a server with ``--server`` or on the store directly."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from rich.text import Text

from surge.cli import render
from surge.cli.backend import Backend, Json
from surge.cli.render import out
from surge.subscriptions.records import DeliveryState, SubscriberKind, SubscriberState

Work = Callable[[Backend], Awaitable[int]]
STYLE = {
    "active": "green",
    "pending": "yellow",
    "unsubscribed": "dim",
    "sent": "green",
    "queued": "yellow",
    "sending": "bold yellow",
    "failed": "red",
    "unknown": "bold magenta",
    "cancelled": "dim",
}


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser
) -> None:
    """``surge subscribers …``; ``parent`` carries --config, --json, --server and --token."""
    subscribers = sub.add_parser("subscribers", help="customers subscribed to status notices")
    actions = subscribers.add_subparsers(
        dest="subscribers_command", required=True, metavar="ACTION"
    )
    listing = actions.add_parser("list", parents=[parent], help="subscribers, newest first")
    listing.add_argument("--state", choices=[state.value for state in SubscriberState])
    listing.add_argument("--kind", choices=[kind.value for kind in SubscriberKind])
    listing.add_argument("--limit", type=int, default=100, choices=range(1, 1001), metavar="N")
    remove = actions.add_parser(
        "remove", parents=[parent], help="remove a subscriber and its deliveries"
    )
    remove.add_argument("id", type=int, metavar="ID")
    deliveries = actions.add_parser(
        "deliveries", parents=[parent], help="a notice's deliveries to subscribers"
    )
    deliveries.add_argument("notice", type=int, metavar="NOTICE", help="the notice's id")


def command(args: argparse.Namespace) -> Work:
    if args.subscribers_command == "list":
        filters = {"limit": str(args.limit)}
        filters.update({key: getattr(args, key) for key in ("state", "kind") if getattr(args, key)})
        return _list(filters, args.json)
    if args.subscribers_command == "remove":
        return _remove(args.id, args.json)
    return _deliveries(args.notice, args.json)


def _styled(value: str) -> Text:
    return Text(value, style=STYLE.get(value, ""))


def _list(filters: dict[str, str], as_json: bool) -> Work:
    async def work(backend: Backend) -> int:
        page = await backend.subscribers(filters)
        if as_json:
            render.print_json(page)
            return 0
        if not page["subscribers"]:
            out.print("no subscribers" + (" like that" if len(filters) > 1 else ""))
            return 0
        table = render.table("ID", "KIND", "ADDRESS", "STATE", "COMPONENTS", "LOCALE", "SINCE")
        for item in page["subscribers"]:
            table.add_row(
                str(item["id"]),
                item["kind"],
                item["address"],
                _styled(item["state"]),
                ", ".join(item["components"]) or "all",
                item["locale"],
                render.when(item["confirmed_at"] or item["created_at"]),
            )
        out.print(table)
        out.print(_counts(page["counts"]), markup=False)
        return 0

    return work


def _counts(counts: Json) -> str:
    parts = [
        f"{kind}: " + ", ".join(f"{count} {state}" for state, count in states.items())
        for kind, states in counts.items()
    ]
    return "; ".join(parts) or "no subscribers"


def _remove(subscriber_id: int, as_json: bool) -> Work:
    async def work(backend: Backend) -> int:
        done = await backend.remove_subscriber(subscriber_id)
        if as_json:
            render.print_json(done)
        else:
            out.print(f"subscriber {subscriber_id} removed, with its deliveries", markup=False)
        return 0

    return work


def _deliveries(notice_id: int, as_json: bool) -> Work:
    async def work(backend: Backend) -> int:
        found = await backend.deliveries(notice_id)
        if as_json:
            render.print_json({"deliveries": found})
            return 0
        if not found:
            out.print(f"notice {notice_id} was delivered to no subscriber", markup=False)
            return 0
        table = render.table("ID", "VERSION", "TO", "STATE", "ATTEMPTS", "SENT", "ERROR")
        for item in found:
            table.add_row(
                str(item["id"]),
                str(item["version"] or ""),
                item["address"],
                _styled(item["state"]),
                str(len(item["attempts"])),
                render.when(item["sent_at"]),
                item["error"],
            )
        out.print(table)
        tally = {state.value: 0 for state in DeliveryState}
        for item in found:
            tally[item["state"]] += 1
        summary = ", ".join(f"{count} {state}" for state, count in tally.items() if count)
        out.print(summary, markup=False)
        return 0

    return work
