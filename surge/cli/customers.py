"""``surge customers ID``: an incident's affected customers; ``--add REF`` adds one.

The table shows each contact masked unless ``--show-contact`` is given; ``--json`` prints
what the HTTP API answers (the contact in full when the caller may respond).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from surge.cli import render
from surge.cli.backend import Backend, Json
from surge.cli.render import out

Work = Callable[[Backend], Awaitable[int]]


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser
) -> None:
    """``surge customers …``; ``parent`` carries --config, --json, --server and --token."""
    customers = sub.add_parser(
        "customers", parents=[parent], help="an incident's affected customers; --add one"
    )
    customers.add_argument("id", type=int, metavar="ID", help="the incident")
    customers.add_argument("--add", metavar="REF", help="add the customer with this reference")
    customers.add_argument("--channel", default="", help="with --add: where they reached you")
    customers.add_argument("--contact", default="", help="with --add: phone, e-mail or handle")
    customers.add_argument("--note", default="", help="with --add: what they said")
    customers.add_argument(
        "--show-contact", action="store_true", help="show contacts in full, not masked"
    )


def command(args: argparse.Namespace) -> Work:
    if args.add is not None:
        body = {"ref": args.add, "channel": args.channel, "contact": args.contact}
        return _add(args.id, {**body, "note": args.note}, args.json)
    return _list(args.id, args.json, args.show_contact)


def _add(incident_id: int, body: Json, as_json: bool) -> Work:
    async def work(backend: Backend) -> int:
        added = await backend.add_customer(incident_id, body)
        if as_json:
            render.print_json(added)
        else:
            out.print(f"incident {incident_id}: customer {added['ref']}", markup=False)
        return 0

    return work


def _list(incident_id: int, as_json: bool, full: bool) -> Work:
    async def work(backend: Backend) -> int:
        found = await backend.customers(incident_id)
        if as_json:
            render.print_json({"customers": found})
            return 0
        table = render.table("REF", "CHANNEL", "CONTACT", "NOTE", "ADDED BY", "ADDED")
        for item in found:
            contact = item["contact"] if full and item["contact"] is not None else None
            table.add_row(
                item["ref"],
                item["channel"],
                contact or item["contact_masked"],
                item["note"],
                item["added_by"],
                render.when(item["added_at"]),
            )
        out.print(table)
        return 0

    return work
