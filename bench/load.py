"""The load test: wrk against the production command serving the seed registry on PostgreSQL.

    .venv/bin/python bench/load.py [--seconds 5] [--connections 16] [--threads 2]

It creates a PostgreSQL database of its own (`sf_bench_<pid>_load`), starts `make serve` on a
free loopback port (collectstatic, bootstrap, gunicorn with WEB_CONCURRENCY or 2 × cores + 1
workers, debug off, a generated secret key; DJANGO_STATIC_ROOT in a temporary folder) and runs
wrk against one static file (the ceiling on this machine), the chart as of a past date, the
chart as of today, the task lookup and a unit page, each after a second of warm-up (so that
every worker has cached the page). Then it stops the server, drops the database, and prints
requests/s, p50/p99 latency and errors with the targets, also written to bench/results-load.md.
It needs wrk (`apt-get install -y wrk`) and installs nothing.
"""

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import POSTGRES, PostgresDatabase, machine  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent
BENCH = PROJECT / "bench"
TOTAL_SECONDS = 30  # the whole load, all addresses together, stays within this
WARM_UP_SECONDS = 1
# TLS ends at the load balancer in production, which says so; without it every request
# would be redirected to https.
HEADERS = {"X-Forwarded-Proto": "https"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=HEADERS)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


def wait_until_up(base: str, server: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode}):\n{log.read_text()}")
        if fetch(f"{base}/healthz")[0] == 200:
            return
        time.sleep(0.5)
    raise SystemExit(f"the server did not answer within {timeout:.0f} s:\n{log.read_text()}")


def settle(database: PostgresDatabase) -> None:
    """A registry in service has statistics and a visibility map; one just loaded gets them
    from autovacuum a little later, in the middle of the load. Do it first."""
    import psycopg

    with psycopg.connect(database.url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def stop(server: subprocess.Popen, timeout: float = 40) -> None:
    """Stop `make serve` and what it started (the process group of our own making), and wait
    until the last gunicorn worker has finished the requests wrk left queued."""
    group = server.pid
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server.poll()  # reap make when it exits
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(group, signal.SIGKILL)
    server.wait()


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def duration_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def parse_wrk(output: str) -> dict:
    def find(pattern: str, default: str = "0") -> str:
        match = re.search(pattern, output)
        return match.group(1) if match else default

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests": int(find(r"(\d+) requests in")),
        "rps": float(find(r"Requests/sec:\s+([\d.]+)")),
        "p50": duration_ms(find(r"50%\s+([\d.]+\w+)", "0ms")),
        "p99": duration_ms(find(r"99%\s+([\d.]+\w+)", "0ms")),
        "non_2xx_3xx": int(find(r"Non-2xx or 3xx responses: (\d+)")),
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
    }


def run_wrk(url: str, args, seconds: int | None = None) -> dict:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds or args.seconds}s",
        "--latency",
        *(part for name, value in HEADERS.items() for part in ("-H", f"{name}: {value}")),
        url,
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {**parse_wrk(output), "output": output}


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--seconds", type=int, default=5, help="of wrk per address")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--past", default="2009-01-01", help="the past date of the chart")
    parser.add_argument("--unit", default="mr-handicap-og-psykiatri")
    parser.add_argument("--task-query", default="arbejdsmiljø")
    parser.add_argument("--out", type=Path, default=BENCH)
    return parser


def addresses_to_load(args) -> dict[str, str]:
    """The pages under load by name (the static file is added once the chart names it);
    refused if they would not fit in TOTAL_SECONDS."""
    from urllib.parse import quote

    addresses = {
        "chart, past date": f"/?date={args.past}",
        "chart, today": "/",
        "task lookup": f"/tasks/?q={quote(args.task_query)}",
        "unit page": f"/units/{args.unit}/",
    }
    runs = len(addresses) + 1
    if (args.seconds + WARM_UP_SECONDS) * runs > TOTAL_SECONDS:
        raise SystemExit(
            f"{runs} runs of {args.seconds} s (and {WARM_UP_SECONDS} s of warm-up each) "
            f"exceed {TOTAL_SECONDS} s"
        )
    return addresses


def start_server(serve: list[str], database, folder: str, workers: str, log: Path):
    """`make serve` on the database with production settings, its output in `log`."""
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_ROOT": str(Path(folder) / "static"),
        "WEB_CONCURRENCY": workers,
    }
    env.pop("REGISTRY_CACHE_URL", None)
    with log.open("w") as output:
        return subprocess.Popen(
            serve,
            cwd=PROJECT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so that stop() ends all of it
        )


def load(base: str, addresses: dict[str, str], args) -> dict:
    """wrk against the static file the chart names and each address, after checking that
    every one answers 200; the figures by name."""
    status, chart = fetch(f"{base}{addresses['chart, past date']}")
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', chart)
    if status != 200 or stylesheet is None:
        raise SystemExit(f"the chart answered {status} without a stylesheet")
    addresses = {"static file": stylesheet.group(1), **addresses}
    for name, path in addresses.items():
        status, _ = fetch(base + path)
        if status != 200:
            raise SystemExit(f"{name} ({path}) answered {status}, not 200")
    results = {}
    for name, path in addresses.items():
        # A second of load first, not counted: every worker builds and caches the page.
        run_wrk(base + path, args, seconds=WARM_UP_SECONDS)
        results[name] = {"path": path, **run_wrk(base + path, args)}
        figures = results[name]
        print(
            f"  {name}: {figures['rps']:.0f} requests/s, p50 {figures['p50']:.1f} ms, "
            f"p99 {figures['p99']:.1f} ms",
            flush=True,
        )
    return results


def main() -> None:
    args = arguments().parse_args()
    # Stopped from outside: still drop the databases and stop the server (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    addresses = addresses_to_load(args)
    facts = machine()
    workers = os.environ.get("WEB_CONCURRENCY") or str(2 * (os.cpu_count() or 1) + 1)
    database = PostgresDatabase("load")
    folder = tempfile.TemporaryDirectory(prefix="sf_bench_load_")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(folder.name) / "server.log"
    serve = ["make", "--no-print-directory", "serve", "HOST=127.0.0.1", f"PORT={port}"]
    server = None
    try:
        server = start_server(serve, database, folder.name, workers, log)
        print(f"{shlex.join(serve)}: starting on {base} with {workers} workers", flush=True)
        wait_until_up(base, server, log)
        settle(database)
        results = load(base, addresses, args)
    finally:
        # The log up to the end of the load: what the shutdown writes is not the load's.
        server_log = log.read_text() if log.exists() else ""
        if server is not None:
            stop(server)
        database.drop()
        folder.cleanup()
    write_results(results, facts, args, workers, server_log)


def write_results(results: dict, facts: dict, args, workers: str, server_log: str) -> None:
    """Print the report and write it (and the figures) to `args.out`; the server's log too if
    it shows a failure."""
    failures = [line for line in server_log.splitlines() if re.search(r'"status": 5\d\d', line)]
    failures += [
        line for line in server_log.splitlines() if "Traceback" in line or "[CRITICAL]" in line
    ]
    for line in failures[:10]:
        print("server:", line)
    errors_in_log = len(failures)
    args.out.mkdir(parents=True, exist_ok=True)
    if failures:
        (args.out / "results-load-server.log").write_text(server_log)
    text = report(results, facts, args, workers, errors_in_log)
    print("\n" + text)
    (args.out / "results-load.md").write_text(text)
    (args.out / "results-load.json").write_text(
        json.dumps({"machine": facts, "results": results}, indent=1)
    )


def report(results: dict, facts: dict, args, workers: str, errors_in_log: int) -> str:
    static = results["static file"]["rps"]
    lines = [
        f"`{shlex.join(['bench/load.py', *sys.argv[1:]])}` on {time.strftime('%Y-%m-%d')}: "
        f"`make serve` ({workers} gunicorn sync "
        f"workers) on the seed registry, PostgreSQL {facts['postgres']} on {POSTGRES}; "
        f"wrk {args.threads} threads, {args.connections} connections, {args.seconds} s per "
        f"address after {WARM_UP_SECONDS} s of warm-up, loopback; {facts['cpu']}, "
        f"{facts['cores']} cores, {facts['memory']}; "
        f"load average {facts['load']} at the start.",
        "",
        "| address | requests/s | ÷ static | p50 ms | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        errors = r["non_2xx_3xx"] + r["socket_errors"]
        lines.append(
            f"| {name} `{r['path']}` | {r['rps']:,.0f} | {r['rps'] / static:.2f} "
            f"| {r['p50']:.1f} | {r['p99']:.1f} | {errors} |"
        )
    total_errors = sum(r["non_2xx_3xx"] + r["socket_errors"] for r in results.values())
    charts = {n: r["rps"] / static for n, r in results.items() if n.startswith("chart")}
    lines += [
        "",
        "- Zero errors: "
        + ("**met**" if total_errors == 0 and errors_in_log == 0 else "**missed**")
        + f" ({total_errors} non-2xx/3xx or socket errors, {errors_in_log} 5xx in the log)",
        "- The cached chart at least half the static file's requests/s: "
        + ("**met**" if all(v >= 0.5 for v in charts.values()) else "**missed**")
        + " ("
        + ", ".join(f"{n} {v:.2f}" for n, v in charts.items())
        + ")",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
