"""The demo's config: the shipped playbooks, scripts and rota, on a SQLite file of its
own, with every webhook target, channel, hotline and pager of the shipped config bound to
the demo's far side on loopback, and an admin token for the person watching."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from surge.config import Config, load_config
from surge.web.auth import hash_token

LINK_SECRET_ENV = "SURGE_DEMO_LINK_SECRET"


@dataclass(frozen=True)
class Shipped:
    """Where the shipped tree is: the working directory's, else the checkout's."""

    root: Path

    @classmethod
    def find(cls) -> Shipped:
        here = Path.cwd()
        if (here / "playbooks").is_dir() and (here / "config" / "surge.yaml").is_file():
            return cls(here)
        return cls(Path(__file__).resolve().parents[2])

    @property
    def config(self) -> Config:
        return load_config(str(self.root / "config" / "surge.yaml"))

    def section(self, name: str) -> Any:
        """A top-level section of the shipped config as plain data, to copy as it is."""
        return yaml.safe_load((self.root / "config" / "surge.yaml").read_text("utf-8")).get(name)


def write_config(
    folder: Path,
    shipped: Shipped,
    listen: str,
    far_side: str,
    tokens: dict[str, tuple[str, str]],
    poll: float,
) -> Path:
    """``tokens``: name -> (role, token); only their hashes are written."""
    base = shipped.config
    root = shipped.root
    rota = root / base.rota if base.rota else root / "config" / "rota.yaml"
    lines = [
        "# written by `surge demo`: the shipped tree, bound to the demo's far side",
        f"store: {json.dumps('sqlite:///' + str(folder.resolve() / 'surge.db'))}",
        f"listen: {listen}",
        f"public_url: http://{listen}",
        f"playbooks: {json.dumps(str(_under(root, base.playbooks)))}",
        f"scripts: {{folder: {json.dumps(str(_under(root, base.scripts.folder)))}}}",
        f"rota: {json.dumps(str(rota))}",
        # the engine's clock runs fast: a step's lease is long in its time, and the store
        # is looked at often
        f"engine: {{lease: 1h, poll_interval: {poll:.3f}s}}",
        "auth:",
        "  tokens:",
        *(
            f"    - {{name: {name}, role: {role}, sha256: {hash_token(token)}}}"
            for name, (role, token) in tokens.items()
        ),
        "webhooks:",
        *(
            f"  {name}: {{url: {json.dumps(f'{far_side}/hooks/{name}')}}}"
            for name in sorted(base.webhooks)
        ),
        *(
            f"  channel-{name}: {{url: {json.dumps(f'{far_side}/channels/{name}')}}}"
            for name in sorted(base.channels)
        ),
        "channels:",
        *(
            f"  {name}: {{provider: webhook, target: channel-{name}}}"
            for name in sorted(base.channels)
        ),
    ]
    if base.hotlines:
        lines.append("hotlines:")
        lines.extend(
            f"  {name}: {{number: {json.dumps(hotline.number)}, "
            "open: {webhook: ivr}, close: {webhook: ivr}}"
            for name, hotline in sorted(base.hotlines.items())
        )
        if "ivr" not in base.webhooks:
            lines.insert(
                lines.index("channels:"), f"  ivr: {{url: {json.dumps(far_side + '/hooks/ivr')}}}"
            )
    lines.append("pagers:")
    lines.append(f"  links: {{secret_env: {LINK_SECRET_ENV}, ttl: 1h}}")
    lines.extend(
        f"  {name}: {{type: webhook, url: {json.dumps(f'{far_side}/pagers/{name}')}}}"
        for name in sorted(base.pagers.pagers) or ["email"]
    )
    components = shipped.section("components")
    if components:
        lines.append(f"components: {json.dumps(components, ensure_ascii=False)}")
    path = folder / "surge.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _under(root: Path, path: Path) -> Path:
    return path if path.is_absolute() else root / path
