"""``python -m bench [--quick] [--only NAME ...] [--markdown]``: run the benchmarks and
print each figure with its same-run baseline and ratio; the results also go to
``var/bench/results.json``."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from importlib import import_module

from bench.procs import ROOT, BenchError
from bench.report import Result, table

# name -> module with ``async def run(quick: bool) -> list[Result]``; other branches add
# their own lines here (public pages, replicas)
BENCHMARKS = {
    "ingest": "bench.ingest",
    "first-action": "bench.first_action",
    "engine": "bench.engine",
    "triggers": "bench.triggers",
    "memory": "bench.memory",
    "replicas": "bench.replicas",  # PostgreSQL: three replicas against one
    "public-pages": "bench.public_pages",  # /banner.json, /api/v2/summary.json vs bare aiohttp
}


def machine() -> dict[str, str]:
    model = ""
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    for line in lscpu.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    return {
        "cpus": str(os.cpu_count()),
        "model": model,
        "python": platform.python_version(),
        "date": datetime.date.today().isoformat(),
    }


async def main(names: list[str], quick: bool) -> tuple[list[Result], list[str]]:
    results: list[Result] = []
    failed = []
    for name in names:
        print(f"== {name}", flush=True)
        run: Callable[[bool], Awaitable[list[Result]]] = import_module(BENCHMARKS[name]).run
        started = time.monotonic()
        try:
            found = await run(quick)
        except BenchError as error:
            print(f"  {name} could not run: {error}", flush=True)
            failed.append(name)
            continue
        print(table(found), flush=True)
        print(f"  ({time.monotonic() - started:.0f}s)", flush=True)
        results += found
    return results, failed


def cli() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (about 2 minutes)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only these: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    about = machine()
    print(
        f"surge benchmarks on {about['cpus']} × {about['model']}, Python {about['python']}, "
        f"{about['date']}{' (quick)' if args.quick else ''}",
        flush=True,
    )
    results, failed = asyncio.run(main(args.only or list(BENCHMARKS), args.quick))
    print("\n== all results")
    print(table(results, markdown=args.markdown))
    out = ROOT / "var" / "bench" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"machine": about, "quick": args.quick, "results": [r.as_dict() for r in results]},
            indent=2,
        )
    )
    print(f"\n(written to {out.relative_to(ROOT)})")
    if failed:
        print(f"could not run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(cli())
