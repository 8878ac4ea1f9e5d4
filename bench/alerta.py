"""Alerta, the peer: alerta-server 9.1 from PyPI in a virtual environment of its own,
under gunicorn (2 sync workers, one per core), on a PostgreSQL database of its own.

The environment is built once under ``var/bench/alerta-venv`` (pinned versions, from
PyPI) and reused; each run creates a fresh database and drops it afterwards.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.procs import ROOT, BenchError, Service, free_port, start, wait_ready

REQUIREMENTS = ("alerta-server==9.1.0", "gunicorn==27.0.1", "psycopg2-binary==2.9.13")
VENV = ROOT / "var" / "bench" / "alerta-venv"
POSTGRES = os.environ.get("SURGE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
WORKERS = 2


@dataclass
class Alerta:
    url: str
    service: Service


def _python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> None:
    marker = VENV / "requirements.txt"
    if marker.is_file() and marker.read_text() == "\n".join(REQUIREMENTS):
        return
    print(f"  building Alerta's environment in {VENV} (once)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    pip = [str(_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    done = subprocess.run([*pip, *REQUIREMENTS], capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"could not install Alerta ({' '.join(REQUIREMENTS)}):\n{done.stderr}")
    marker.write_text("\n".join(REQUIREMENTS))


def _sql(statement: str) -> None:
    """Run one statement on PostgreSQL's maintenance database (with Alerta's psycopg2)."""
    code = (
        "import psycopg2, sys\n"
        "c = psycopg2.connect(sys.argv[1] + '/postgres'); c.autocommit = True\n"
        "c.cursor().execute(sys.argv[2])\n"
    )
    done = subprocess.run(
        [str(_python()), "-c", code, POSTGRES, statement], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BenchError(
            f"PostgreSQL at {POSTGRES} (set SURGE_BENCH_POSTGRES): {done.stderr.strip()}"
        )


@asynccontextmanager
async def running(folder: Path) -> AsyncIterator[Alerta]:
    await asyncio.to_thread(ensure_venv)
    database = f"surge_bench_alerta_{os.getpid()}"
    await asyncio.to_thread(_sql, f"DROP DATABASE IF EXISTS {database}")
    await asyncio.to_thread(_sql, f"CREATE DATABASE {database}")
    config = folder / "alertad.conf"
    config.write_text(
        f"DATABASE_URL = '{POSTGRES}/{database}'\nDATABASE_NAME = '{database}'\n"
        "AUTH_REQUIRED = False\nLOG_LEVEL = 'WARNING'\n"
    )
    env = {"ALERTA_SVR_CONF_FILE": str(config)}
    # the schema is created by the first app; two workers creating it at once collide
    schema = await asyncio.to_thread(
        subprocess.run,
        [str(_python()), "-c", "from alerta import create_app; create_app()"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    try:
        if schema.returncode != 0:
            raise BenchError(f"Alerta could not create its schema:\n{schema.stderr[-2000:]}")
        port = free_port()
        gunicorn = VENV / "bin" / "gunicorn"
        argv = [str(gunicorn), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}"]
        argv += ["--control-socket", str(folder / "gunicorn.ctl"), "alerta:create_app()"]
        service = start("alerta", argv, folder, env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            await wait_ready(service, f"{url}/management/healthcheck")
            yield Alerta(url, service)
        finally:
            service.stop()
    finally:
        await asyncio.to_thread(_sql, f"DROP DATABASE IF EXISTS {database}")
