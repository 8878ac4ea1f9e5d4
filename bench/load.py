"""Load through wrk (Debian's wrk 4.1), driven by a Lua script.

wrk is written in C and runs in its own process, so the load generator takes a small,
steady share of the two cores instead of competing with the server for them as a Python
client would. It keeps ``connections`` requests in flight (closed loop) for a fixed time,
and its Lua ``done`` hook prints the counts and latency percentiles as JSON.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from bench.procs import BenchError

MARK = "WRK-RESULT "
_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "%(mark)s{\\"requests\\": %%d, \\"duration_us\\": %%d, \\"status_errors\\": %%d, "
    .. "\\"socket_errors\\": %%d, \\"p50_us\\": %%d, \\"p99_us\\": %%d, \\"max_us\\": %%d}\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""
_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%(auth)s
local template = [==[%(body)s]==]
local unique = %(unique)s
local counter = 0
local ids = 0

function setup(thread)
  ids = ids + 1
  thread:set("tid", tostring(ids))
end

function request()
  if not unique then
    return wrk.format(nil, nil, nil, template)
  end
  counter = counter + 1
  local id = "t" .. tid .. "-" .. counter
  return wrk.format(nil, nil, nil, (template:gsub("@ID@", id)))
end

%(done)s"""


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    status_errors: int  # answers that were not 2xx or 3xx
    socket_errors: int  # connect, read, write errors and time-outs
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_seconds: float = math.nan  # the server's CPU time during the load, where measured

    @property
    def ok_per_second(self) -> float:
        """Requests answered 2xx/3xx per second: each carries one alert."""
        return (self.requests - self.status_errors) / self.seconds

    @property
    def ok_per_cpu_second(self) -> float:
        """Alerts taken per second of the server's CPU: what a busy machine moves least."""
        return (self.requests - self.status_errors) / self.cpu_seconds


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("wrk is not installed: apt-get install wrk (bench/README.md)")
    return found


async def post_load(
    url: str,
    body: str,
    folder: Path,
    *,
    seconds: float,
    connections: int = 16,
    unique: bool = False,
    token: str | None = None,
) -> Load:
    """POST ``body`` to ``url`` for ``seconds``; with ``unique``, ``@ID@`` in the body is
    replaced by a new id in every request."""
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    script = folder / f"wrk-{abs(hash((url, unique))):x}.lua"
    script.write_text(
        _LUA
        % {
            "auth": auth,
            "body": body,
            "unique": str(unique).lower(),
            "done": _DONE % {"mark": MARK},
        }
    )
    return await _run(url, script, seconds, connections)


async def get_load(
    url: str,
    folder: Path,
    *,
    seconds: float,
    connections: int = 16,
    headers: dict[str, str] | None = None,
) -> Load:
    """GET ``url`` for ``seconds`` with ``connections`` in flight (wrk's prepared request:
    the least work a client can do per request)."""
    lines = [f'wrk.headers["{name}"] = "{value}"' for name, value in (headers or {}).items()]
    script = folder / f"wrk-get-{abs(hash((url, tuple(lines)))):x}.lua"
    script.write_text("\n".join([*lines, _DONE % {"mark": MARK}]))
    return await _run(url, script, seconds, connections)


async def _run(url: str, script: Path, seconds: float, connections: int) -> Load:
    process = await asyncio.create_subprocess_exec(
        wrk_binary(),
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=seconds + 60)
    text = output.decode(errors="replace")
    line = next((x for x in text.splitlines() if x.startswith(MARK)), None)
    if process.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({process.returncode}):\n{text}")
    raw = json.loads(line.removeprefix(MARK))
    return Load(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        status_errors=raw["status_errors"],
        socket_errors=raw["socket_errors"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )
