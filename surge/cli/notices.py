"""``surge notice list|show|draft|preview|publish|update|resolve|maintenance``,
``surge components [set ID STATUS]`` and ``surge banner [show|clear]``: status notices by
hand. Tables for people, ``--json``
for scripts (the HTTP API's shapes); through a server with ``--server`` or on the store."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from rich.text import Text

from surge.cli import render
from surge.cli.backend import Backend, CliError, Json
from surge.cli.notice_client import NoticeClient
from surge.cli.render import out
from surge.notices.model import (
    Audience,
    ComponentStatus,
    Impact,
    NoticeKind,
    NoticeState,
    Severity,
)

Work = Callable[[Backend], Awaitable[int]]
STYLE = {
    "operational": "green",
    "degraded_performance": "yellow",
    "partial_outage": "bold yellow",
    "major_outage": "bold red",
    "under_maintenance": "cyan",
    "investigating": "bold red",
    "identified": "yellow",
    "monitoring": "cyan",
    "resolved": "green",
    "scheduled": "cyan",
    "in_progress": "yellow",
    "verifying": "cyan",
    "completed": "green",
    "draft": "magenta",
    "published": "green",
    "info": "cyan",
    "warning": "yellow",
    "critical": "bold red",
}


def _values(kind: Any) -> list[str]:
    return [item.value for item in kind]


def _text_args(parser: argparse.ArgumentParser, *, state: bool = True, script: bool = True) -> None:
    parser.add_argument("--script", required=script, help="an approved script's id")
    parser.add_argument(
        "--var", "-v", action="append", default=[], metavar="KEY=VALUE", help="repeatable"
    )
    parser.add_argument(
        "--component",
        "-c",
        action="append",
        default=[],
        metavar="ID=STATUS",
        help=f"a component and its status ({', '.join(_values(ComponentStatus))}); repeatable",
    )
    parser.add_argument("--impact", choices=_values(Impact))
    if state:
        parser.add_argument("--state", choices=_values(NoticeState))


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser
) -> None:
    """``parent`` carries --config, --json, --server and --token."""
    notice = sub.add_parser("notice", help="status notices: draft, preview, publish, update")
    actions = notice.add_subparsers(dest="notice_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[parent], help="notices, newest first")
    listing.add_argument("--kind", choices=_values(NoticeKind))
    listing.add_argument("--audience", choices=_values(Audience))
    listing.add_argument("--open", action="store_true", help="only those not yet closed")
    listing.add_argument("--incident", type=int, metavar="ID")
    listing.add_argument("--limit", type=int, default=100, choices=range(1, 1001), metavar="N")
    show = actions.add_parser("show", parents=[parent], help="a notice and every version")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--locale", default="en", choices=("zh-CN", "zh-TW", "en"))
    preview = actions.add_parser(
        "preview", parents=[parent], help="render a script in every locale, with broken rules"
    )
    preview.add_argument("--script", required=True)
    preview.add_argument("--var", "-v", action="append", default=[], metavar="KEY=VALUE")
    helps = {"draft": "keep a new version as a draft",
             "publish": "publish a new notice, or (with ID VERSION) a draft"}  # fmt: skip
    for name, text in helps.items():
        command = actions.add_parser(name, parents=[parent], help=text)
        if name == "publish":
            command.add_argument("id", type=int, nargs="?", metavar="ID")
            command.add_argument("version", type=int, nargs="?", metavar="VERSION")
        else:
            command.add_argument("--notice", type=int, metavar="ID", help="of this notice")
        _text_args(command, script=name == "draft")  # publishing a draft takes no script
        command.add_argument("--audience", choices=_values(Audience))
        command.add_argument("--incident", type=int, metavar="ID")
    update = actions.add_parser("update", parents=[parent], help="publish a new version")
    update.add_argument("id", type=int, metavar="ID")
    _text_args(update)
    update.add_argument("--draft", action="store_true", help="keep it as a draft")
    resolve = actions.add_parser("resolve", parents=[parent], help="publish the closing version")
    resolve.add_argument("id", type=int, metavar="ID")
    _text_args(resolve, state=False)
    maintenance = actions.add_parser(
        "maintenance", parents=[parent], help="announce a scheduled maintenance"
    )
    _text_args(maintenance, state=False)
    maintenance.add_argument("--start", required=True, metavar="TIME", help="ISO 8601")
    maintenance.add_argument("--end", required=True, metavar="TIME", help="ISO 8601")
    maintenance.add_argument("--draft", action="store_true", help="keep it as a draft")

    components = sub.add_parser("components", parents=[parent], help="components and status")
    more = components.add_subparsers(dest="components_command", metavar="ACTION")
    set_one = more.add_parser("set", parents=[parent], help="set a component's status by hand")
    set_one.add_argument("id", metavar="ID")
    set_one.add_argument("status", choices=_values(ComponentStatus))

    banner = sub.add_parser("banner", parents=[parent], help="the website and app banner")
    banner_actions = banner.add_subparsers(dest="banner_command", metavar="ACTION")
    show_banner = banner_actions.add_parser("show", parents=[parent], help="show a banner")
    show_banner.add_argument("--script", required=True, help="an approved script's id")
    show_banner.add_argument("--var", "-v", action="append", default=[], metavar="KEY=VALUE")
    show_banner.add_argument("--severity", choices=_values(Severity), default="warning")
    show_banner.add_argument("--link", default="", help="an http(s) URL or a path, e.g. /help")
    show_banner.add_argument("--expires", metavar="DURATION", help="hide it after this, e.g. 2h")
    banner_actions.add_parser("clear", parents=[parent], help="clear every banner shown now")


def _pairs(pairs: list[str], flag: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"{flag} takes KEY=VALUE, got {pair!r}", 2)
        found[key.strip()] = value
    return found


def body_of(args: argparse.Namespace) -> Json:
    """The API body the command's options make."""
    body: Json = {"script": args.script, "vars": _pairs(args.var, "--var")}
    if getattr(args, "component", None):
        body["components"] = _pairs(args.component, "--component")
    for name in ("state", "impact", "audience", "incident"):
        if getattr(args, name, None) is not None:
            body[name] = getattr(args, name)
    if getattr(args, "draft", False):
        body["draft"] = True
    return body


def command(args: argparse.Namespace) -> Work:
    if args.command == "banner":
        return _banner(args)
    if args.command == "components":
        if args.components_command == "set":
            return _set_component(args.id, args.status, args.json)
        return _components(args.json)
    action = args.notice_command
    if action == "list":
        filters = {"limit": str(args.limit)}
        filters.update({k: str(getattr(args, k)) for k in ("kind", "audience", "incident")
                        if getattr(args, k) is not None})  # fmt: skip
        if args.open:
            filters["open"] = "true"
        return _list(filters, args.json)
    if action == "show":
        return _show(args.id, args.locale, args.json)
    return _change(args)


def _change(args: argparse.Namespace) -> Work:
    action = args.notice_command

    async def call(client: NoticeClient) -> Json:
        if action == "preview":
            return await client.preview({"script": args.script, "vars": _pairs(args.var, "--var")})
        if action == "publish" and args.id is not None:
            if args.version is None:
                raise CliError("surge notice publish ID VERSION publishes a draft; give both", 2)
            return await client.publish(args.id, args.version)
        if action in ("publish", "draft") and not args.script:
            raise CliError("--script is required", 2)
        body = body_of(args)
        if action == "draft":
            body["draft"] = True
            if args.notice is not None:
                return await client.add_version(args.notice, body)
        if action == "maintenance":
            body.update(kind="maintenance", window={"starts_at": args.start, "ends_at": args.end})
        if action == "update":
            return await client.add_version(args.id, body)
        if action == "resolve":
            return await client.resolve(args.id, body)
        return await client.create(body)

    async def work(backend: Backend) -> int:
        answer = await call(backend.notices())
        if args.json:
            render.print_json(answer)
        elif action == "preview":
            _print_preview(answer)
        else:
            _print_changed(answer)
        return 0

    return work


def _styled(value: str) -> Text:
    return Text(value, style=STYLE.get(value, ""))


def _list(filters: dict[str, str], as_json: bool) -> Work:
    async def work(backend: Backend) -> int:
        found = await backend.notices().list(filters)
        if as_json:
            render.print_json(found)
            return 0
        if not found["notices"]:
            out.print("no notices" + (" like that" if len(filters) > 1 else ""))
            return 0
        table = render.table("ID", "KIND", "STATE", "AUDIENCE", "IMPACT", "COMPONENTS",
                             "UPDATED", "TITLE")  # fmt: skip
        for item in found["notices"]:
            table.add_row(
                str(item["id"]),
                item["kind"],
                _styled(item["state"] if item["published_at"] else "draft"),
                item["audience"],
                item["impact"],
                ", ".join(f"{k}: {v}" for k, v in item["components"].items()),
                render.when(item["updated_at"]),
                item["title"].get("en") or next(iter(item["title"].values()), ""),
            )
        out.print(table)
        return 0

    return work


def _show(notice_id: int, locale: str, as_json: bool) -> Work:
    async def work(backend: Backend) -> int:
        found = await backend.notices().show(notice_id)
        if as_json:
            render.print_json(found)
            return 0
        title = found["title"].get(locale) or next(iter(found["title"].values()), "")
        out.print(f"notice {found['id']} ({found['kind']}, {found['audience']}): {title}",
                  markup=False)  # fmt: skip
        out.print(Text.assemble("state ", _styled(found["state"]), f", impact {found['impact']}"))
        if found["window"]:
            window = found["window"]
            out.print(f"window {window['starts_at']} – {window['ends_at']}", markup=False)
        table = render.table("V", "STATUS", "STATE", "SCRIPT", "BY", "AT")
        for version in found["versions"]:
            by = version["author"]
            if version["published_by"] and version["published_by"] != by:
                by += f" / {version['published_by']}"
            table.add_row(
                str(version["number"]),
                _styled(version["status"]),
                _styled(version["state"]),
                version["script"],
                by,
                render.when(version["published_at"] or version["at"]),
            )
        out.print(table)
        for version in found["versions"]:
            text = version["body"].get(locale) or next(iter(version["body"].values()), "")
            out.print(f"{version['number']}: {text}", markup=False)
        return 0

    return work


def _print_changed(answer: Json) -> None:
    notice, version = answer["notice"], answer["version"]
    verb = "kept as a draft" if version["status"] == "draft" else "published"
    if not answer.get("created", True):
        verb = "already " + verb
    out.print(
        f"notice {notice['id']} version {version['number']} {verb} ({version['state']})",
        markup=False,
    )
    for locale, text in version["body"].items():
        out.print(f"  {locale}: {text}", markup=False)


def _print_preview(answer: Json) -> None:
    for item in answer["locales"]:
        out.print(f"{item['locale']}: {item['title']}", markup=False, style="bold")
        out.print(f"  {item['body']}", markup=False)
        for violation in item["title_violations"] + item["body_violations"]:
            out.print(f"  ✗ {violation['message']}", markup=False, style="red")
    out.print("every text keeps the script's rules" if answer["ok"] else "some text breaks a rule")


def _components(as_json: bool) -> Work:
    async def work(backend: Backend) -> int:
        found = await backend.notices().components()
        if as_json:
            render.print_json(found)
            return 0
        if not found["components"]:
            out.print("no components: list them under `components:` in the config")
            return 0
        table = render.table("ID", "GROUP", "NAME", "STATUS", "SINCE", "BY")
        for item in found["components"]:
            group = item["group"]["name"].get("en", "") if item["group"] else ""
            table.add_row(
                item["id"],
                group,
                " / ".join(dict.fromkeys(item["name"].values())),
                _styled(item["status"]),
                render.when(item["updated_at"]),
                item["updated_by"],
            )
        out.print(table)
        return 0

    return work


def _set_component(component_id: str, status: str, as_json: bool) -> Work:
    async def work(backend: Backend) -> int:
        found = await backend.notices().set_component(component_id, {"status": status})
        if as_json:
            render.print_json(found)
        else:
            out.print(f"{found['id']} is now {found['status']}", markup=False)
        return 0

    return work


def _banner(args: argparse.Namespace) -> Work:
    async def work(backend: Backend) -> int:
        client = backend.notices()
        if args.banner_command == "show":
            body: Json = {"script": args.script, "vars": _pairs(args.var, "--var"),
                          "severity": args.severity, "link": args.link}  # fmt: skip
            if args.expires:
                body["expires"] = args.expires
            found = await client.show_banner(body)
            shown = [found]
        elif args.banner_command == "clear":
            found = await client.clear_banner()
            ids = ", ".join(str(item) for item in found["cleared"])
            shown = []
            message = f"cleared banner {ids}" if ids else "no banner was shown"
        else:
            found = await client.banners()
            shown = [found["active"]] if found["active"] else []
            message = "no banner is shown"
        if args.json:
            render.print_json(found)
        elif not shown:
            out.print(message, markup=False)
        for item in [] if args.json else shown:
            _print_banner(item)
        return 0

    return work


def _print_banner(item: Json) -> None:
    out.print(Text.assemble(f"banner {item['id']} ", _styled(item["severity"])))
    for locale, text in item["text"].items():
        out.print(f"  {locale}: {text}", markup=False)
    if item["expires_at"]:
        out.print(f"  until {render.when(item['expires_at'])}", markup=False)
