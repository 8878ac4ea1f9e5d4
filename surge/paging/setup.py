"""Loading the rota and configuring the pagers when a runtime is built."""

from __future__ import annotations

from collections.abc import Mapping

from surge.config import Config
from surge.paging.spec import Pager, PagerSpec
from surge.rota.model import Rota
from surge.rota.parse import load_rota_file
from surge.yamlcheck import Checker
from surge.yamlpos import Pos, YamlProblem


def load_rota(config: Config) -> tuple[Rota | None, list[YamlProblem]]:
    if config.rota is None:
        return None, []
    return load_rota_file(config.rota)


def configure_pagers(
    config: Config, types: Mapping[str, PagerSpec]
) -> tuple[dict[str, Pager], list[YamlProblem]]:
    """Each pager under ``pagers:``, read by its type; problems keep the config's positions."""
    check = Checker()
    pagers: dict[str, Pager] = {}
    for name, entry in config.pagers.pagers.items():
        spec = types.get(entry.type)
        if spec is None:
            known = ", ".join(sorted(types)) or "none"
            check.error(
                entry.node.pos,
                f"pagers.{name}: no pager type {entry.type!r} (installed: {known}); "
                "set `type:` or install the plugin that provides it",
            )
            continue
        try:
            options = spec.configure(entry.node, check, f"pagers.{name}", config)
        except Exception as error:  # a plugin's bug: say so where the pager is configured
            check.error(
                entry.node.pos,
                f"pagers.{name}: the {entry.type} pager failed to read its options: "
                f"{type(error).__name__}: {error}",
            )
            continue
        if options is not None:
            pagers[name] = Pager(name, spec, options)
    return pagers, check.problems


def rota_problems(rota: Rota, pagers: Mapping[str, Pager], config: Config) -> list[YamlProblem]:
    """Contact methods that name no configured pager (the pager may come later, e.g. a
    chat plugin's): reported only when the config configures pagers at all."""
    if not config.pagers.pagers:
        return []
    problems = []
    for person in rota.people.values():
        for contact in person.contacts:
            if contact.pager not in pagers and contact.pager not in config.pagers.pagers:
                where = person.pos or Pos(rota.source, 1, 1)
                problems.append(
                    YamlProblem(
                        where,
                        f"people.{person.id}: contact method {contact.pager!r} is not a pager "
                        f"under pagers: in the config (configured: {', '.join(sorted(pagers))})",
                    )
                )
    return problems
