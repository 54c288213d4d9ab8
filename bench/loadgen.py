"""Load generators: wrk (Lua script, ``--latency``) or, without wrk, asyncio + httpx.

Both POST request bodies taken in turn from a file (``write_bodies``: each body as its length in
bytes, a newline, the bytes and a newline, so binary tensors travel as they are) over persistent
connections, and report requests, req/s, latency percentiles and errors: non-2xx, socket errors,
timeouts and 2xx answers whose body carries a GraphQL ``"errors"`` key.

The Python generator runs as ``python -m bench.loadgen ...`` pinned to the client core; it prints
one JSON object. It may be the bottleneck at high rates (httpx costs far more per request than wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.procs import BenchError, Processes
from bench.stats import summarize

RESULT_MARK = "BENCH_RESULT "


@dataclass
class LoadResult:
    concurrency: int
    duration_s: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: int
    error_detail: dict = field(default_factory=dict)
    generator: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _lua_string(value: str) -> str:
    level = 0
    while f"]{'=' * level}]" in value:
        level += 1
    return f"[{'=' * level}[{value}]{'=' * level}]"


WRK_SCRIPT = """
local bodies_path = {bodies}
local path = {path}
local headers = {{{headers}}}
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  reqs = {{}}
  local file = assert(io.open(bodies_path, "rb"))
  local data = file:read("*a")
  file:close()
  local pos = 1
  while pos <= #data do
    local eol = string.find(data, "\\n", pos, true)
    local size = tonumber(string.sub(data, pos, eol - 1))
    reqs[#reqs + 1] = wrk.format("POST", path, headers, string.sub(data, eol + 1, eol + size))
    pos = eol + size + 2
  end
  idx = 0
  gql_errors = 0
  first_error = ""
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function response(status, headers, body)
  if status >= 200 and status < 300 and string.find(body, '"errors"', 1, true) then
    gql_errors = gql_errors + 1
    if first_error == "" then first_error = string.sub(body, 1, 300) end
  end
end

function done(summary, latency, requests)
  local ge = 0
  local fe = ""
  for _, t in ipairs(threads) do
    ge = ge + t:get("gql_errors")
    if fe == "" then fe = t:get("first_error") end
  end
  local e = summary.errors
  io.write(string.format(
    '{mark}{{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "gql_errors": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "mean_us": %.3f, "max_us": %d, "first_error_len": %d}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, ge,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max, #fe))
  if #fe > 0 then io.write("FIRST_ERROR " .. fe .. "\\n") end
end
"""


def write_bodies(target: Path, bodies: list[str] | list[bytes]) -> Path:
    """The bodies file both generators read (``read_bodies``)."""
    with target.open("wb") as out:
        for body in bodies:
            data = body.encode() if isinstance(body, str) else body
            out.write(b"%d\n%s\n" % (len(data), data))
    return target


def read_bodies(path: Path) -> list[bytes]:
    data = path.read_bytes()
    bodies, pos = [], 0
    while pos < len(data):
        eol = data.index(b"\n", pos)
        size = int(data[pos:eol])
        bodies.append(data[eol + 1 : eol + 1 + size])
        pos = eol + size + 2
    return bodies


def write_wrk_script(target: Path, bodies: Path, path: str, headers: dict[str, str]) -> Path:
    lua_headers = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
    target.write_text(
        WRK_SCRIPT.format(
            bodies=_lua_string(str(bodies)),
            path=_lua_string(path),
            headers=lua_headers,
            mark=RESULT_MARK,
        )
    )
    return target


@dataclass
class Pending:
    """A load generator running; ``finish`` waits for it and reads its result."""

    proc: subprocess.Popen
    what: str
    timeout: float
    read: Callable[[int, str, str], LoadResult]

    def finish(self, procs: Processes) -> LoadResult:
        return self.read(*procs.finish(self.proc, self.what, self.timeout))


def start_wrk(
    procs: Processes,
    wrk: str,
    url: str,
    script: Path,
    concurrency: int,
    duration: float,
    cpu: int | None,
) -> Pending:
    seconds = max(1, math.ceil(duration))
    argv = [
        wrk,
        "-t1",
        f"-c{concurrency}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    proc = procs.start(argv, cpu=cpu, capture=True)
    return Pending(proc, "wrk", seconds + 60, lambda *r: _read_wrk(concurrency, *r))


def _read_wrk(concurrency: int, code: int, out: str, err: str) -> LoadResult:
    line = next((ln for ln in out.splitlines() if ln.startswith(RESULT_MARK)), None)
    if code != 0 or line is None:
        raise BenchError(f"wrk failed (exit {code}):\n{out[-2000:]}\n{err[-2000:]}")
    raw = json.loads(line[len(RESULT_MARK) :])
    first_error = next(
        (ln[len("FIRST_ERROR ") :] for ln in out.splitlines() if ln.startswith("FIRST_ERROR ")), ""
    )
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    detail = {
        "non_2xx": raw["status"],
        "socket": {k: raw[k] for k in ("connect", "read", "write", "timeout")},
        "graphql_errors": raw["gql_errors"],
    }
    if first_error:
        detail["first_error"] = first_error
    elapsed = raw["duration_us"] / 1e6
    return LoadResult(
        concurrency=concurrency,
        duration_s=elapsed,
        requests=raw["requests"],
        rps=raw["requests"] / elapsed if elapsed > 0 else 0.0,
        p50_ms=raw["p50_us"] / 1e3,
        p90_ms=raw["p90_us"] / 1e3,
        p99_ms=raw["p99_us"] / 1e3,
        mean_ms=raw["mean_us"] / 1e3,
        max_ms=raw["max_us"] / 1e3,
        errors=raw["status"] + socket_errors + raw["gql_errors"],
        error_detail=detail,
        generator="wrk",
    )


def start_python(
    procs: Processes,
    url: str,
    bodies: Path,
    headers: dict[str, str],
    concurrency: int,
    duration: float,
    cpu: int | None,
) -> Pending:
    argv = [
        sys.executable,
        "-m",
        "bench.loadgen",
        url,
        str(bodies),
        "--concurrency",
        str(concurrency),
        "--duration",
        str(duration),
        "--headers",
        json.dumps(headers),
    ]
    proc = procs.start(argv, cpu=cpu, capture=True, cwd=Path(__file__).resolve().parent.parent)
    return Pending(proc, "the Python load generator", duration + 90, _read_python)


def _read_python(code: int, out: str, err: str) -> LoadResult:
    if code != 0:
        raise BenchError(f"the Python load generator failed (exit {code}):\n{err[-2000:]}")
    return LoadResult(**json.loads(out.strip().splitlines()[-1]))


def combine(results: list[LoadResult]) -> LoadResult:
    """Generators run side by side against several servers, as one load: requests and rates
    add up; each percentile is the worst of the parts (an upper bound of the joint one)."""
    first = results[0]
    return LoadResult(
        concurrency=sum(r.concurrency for r in results),
        duration_s=max(r.duration_s for r in results),
        requests=sum(r.requests for r in results),
        rps=sum(r.rps for r in results),
        p50_ms=max(r.p50_ms for r in results),
        p90_ms=max(r.p90_ms for r in results),
        p99_ms=max(r.p99_ms for r in results),
        mean_ms=max(r.mean_ms for r in results),
        max_ms=max(r.max_ms for r in results),
        errors=sum(r.errors for r in results),
        error_detail={"parts": [r.error_detail for r in results]},
        generator=first.generator,
    )


# --- the Python generator itself (runs in its own process) -------------------------------------


async def _generate(
    url: str, bodies: list[bytes], headers: dict[str, str], concurrency: int, duration: float
) -> LoadResult:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(30.0)
    latencies: list[float] = []
    errors = {"non_2xx": 0, "transport": 0, "graphql_errors": 0}
    first_error: list[str] = []

    async with httpx.AsyncClient(limits=limits, timeout=timeout, headers=headers) as client:
        start = time.perf_counter()
        deadline = start + duration
        finished = [start]

        async def worker(offset: int) -> None:
            i = offset
            while time.perf_counter() < deadline:
                body = bodies[i % len(bodies)]
                i += 1
                t0 = time.perf_counter()
                try:
                    response = await client.post(url, content=body)
                    data = response.content
                except httpx.HTTPError as exc:
                    errors["transport"] += 1
                    if not first_error:
                        first_error.append(f"{type(exc).__name__}: {exc}")
                    continue
                t1 = time.perf_counter()
                latencies.append(t1 - t0)
                finished[0] = max(finished[0], t1)
                if not 200 <= response.status_code < 300:
                    errors["non_2xx"] += 1
                    if not first_error:
                        first_error.append(f"HTTP {response.status_code}: {data[:300]!r}")
                elif b'"errors"' in data:
                    errors["graphql_errors"] += 1
                    if not first_error:
                        first_error.append(data[:300].decode(errors="replace"))

        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        elapsed = finished[0] - start

    detail: dict = dict(errors)
    if first_error:
        detail["first_error"] = first_error[0]
    return LoadResult(
        concurrency=concurrency,
        duration_s=elapsed,
        requests=len(latencies),
        rps=len(latencies) / elapsed if elapsed > 0 else 0.0,
        errors=sum(errors.values()),
        error_detail=detail,
        generator="python-httpx",
        **summarize(latencies),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.loadgen")
    parser.add_argument("url")
    parser.add_argument("bodies", type=Path)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--headers", default="{}")
    args = parser.parse_args(argv)
    bodies = read_bodies(args.bodies)
    headers = json.loads(args.headers)
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    result = runner(_generate(args.url, bodies, headers, args.concurrency, args.duration))
    print(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
