"""``surge token``: API tokens kept as hashes in the store."""

from __future__ import annotations

import argparse

from surge.audit.actor import cli_actor
from surge.audit.changes import Change
from surge.audit.log import AuditLog
from surge.cli import render
from surge.cli.backend import CliError
from surge.cli.render import err, out
from surge.config import load_config
from surge.engine.engine import utcnow
from surge.store import StoreError, open_store
from surge.store.base import Store
from surge.store.records import TokenRecord
from surge.web.auth import new_token


async def _store(args: argparse.Namespace) -> Store:
    store = open_store(load_config(args.config).store)
    await store.open()
    return store


async def _audit(store: Store, change: Change) -> None:
    """Token changes are kept in the audit log: who, the name and the role, never the token."""
    await AuditLog(store).record(cli_actor(), change)


async def create(args: argparse.Namespace) -> int:
    store = await _store(args)
    try:
        existing = {record.name for record in await store.list_tokens()}
        name = args.name or _free_name(args.role, existing)
        value, digest = new_token()
        try:
            await store.add_token(TokenRecord(name, args.role, digest, utcnow()))
        except StoreError as error:
            raise CliError(str(error)) from None
        await _audit(store, Change("token.create", f"token:{name}", {"role": args.role}))
    finally:
        await store.close()
    if args.json:
        render.print_json({"name": name, "role": args.role, "token": value, "sha256": digest})
        return 0
    out.print(f"token {name!r} ({args.role}), shown only this once:", markup=False)
    out.print(value, markup=False)
    err.print(
        "use it as: export SURGE_TOKEN=… or `Authorization: Bearer …`; "
        f"or put {{name: {name}, role: {args.role}, sha256: {digest}}} under auth.tokens "
        "in config/surge.yaml",
        style="dim",
        markup=False,
    )
    return 0


def _free_name(role: str, taken: set[str]) -> str:
    number = 1
    while f"{role}-{number}" in taken:
        number += 1
    return f"{role}-{number}"


async def list_tokens(args: argparse.Namespace) -> int:
    store = await _store(args)
    try:
        records = await store.list_tokens()
    finally:
        await store.close()
    config_tokens = load_config(args.config).tokens
    rows = [
        {
            "name": r.name,
            "role": r.role,
            "source": "store",
            "created_at": r.created_at.isoformat(),
            "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
        }
        for r in records
    ]
    rows += [
        {"name": t.name, "role": t.role, "source": "config", "created_at": None, "revoked_at": None}
        for t in config_tokens
    ]
    if args.json:
        render.print_json(rows)
        return 0
    result = render.table("NAME", "ROLE", "SOURCE", "CREATED", "REVOKED")
    for row in rows:
        result.add_row(
            row["name"],
            row["role"],
            row["source"],
            render.when(row["created_at"]),
            render.when(row["revoked_at"]),
        )
    out.print(result)
    return 0


async def revoke(args: argparse.Namespace) -> int:
    store = await _store(args)
    try:
        done = await store.revoke_token(args.name, utcnow())
        if done:
            await _audit(store, Change("token.revoke", f"token:{args.name}"))
    finally:
        await store.close()
    if not done:
        raise CliError(
            f"no active token named {args.name!r} in the store (tokens in the config "
            "are revoked by removing them there)"
        )
    out.print(f"token {args.name!r} revoked", markup=False)
    return 0
