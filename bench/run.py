"""The benchmark: every page, API answer and export at the seed size and at generated sizes, on
SQLite and on PostgreSQL, through the full Django stack with production settings.

    .venv/bin/python bench/run.py [--db sqlite|postgres|both] [--sizes seed,10000,100000]
                                  [--requests 20] [--budget 60] [--reuse]
                                  [--database-url 100000=postgres://…/registry]
                                  [--pages "CSV,JSON-LD"] [--profile "chart,task lookup"]

For each database and size it prepares a registry (bench/registries.py): by default a fresh
one (a temporary SQLite file, or a PostgreSQL database `sf_bench_…` that it creates and drops),
with `--reuse` one kept under a stable name and reused by later runs, with `--database-url
SIZE=URL` an existing one used as it is. `bench/measure.py` then times each page in a
subprocess (see there), and this script prints one Markdown report per database (bench/
report.py) with the targets met or missed, and writes it to results-<db>.md in --out (raw
figures in results-<db>.json).

`--budget S` stops timing a page after S seconds (and at least 5 requests) of each kind of
request; `--pages`/`--sizes`/`--db` narrow a run down. A 100,000-unit registry takes about 12
minutes to generate on PostgreSQL: keep it with --reuse, or point at one with --database-url.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.registries import POSTGRES, PYTHON, registry, settings_env  # noqa: E402
from bench.report import report, report_again  # noqa: E402

BENCH = PROJECT / "bench"


def measure_command(args, registry) -> list[str]:
    command = [PYTHON, str(BENCH / "measure.py"), "--requests", str(args.requests)]
    command += ["--date", args.date, "--compare-from", args.compare_from]
    command += ["--task-query", args.task_query, "--broad-query", args.broad_query]
    if args.pages:
        command += ["--pages", args.pages]
    if args.budget:
        command += ["--budget", str(args.budget)]
    if args.profile:
        command += ["--profile", args.profile, "--profile-dir", str(args.profile_dir)]
    if not registry.writable:
        command += ["--read-only"]
    return command


def run_size(db: str, size: str, args) -> dict:
    prepared = registry(db, size, args)
    try:
        print(f"{db}, {size}: preparing the registry", flush=True)
        made = prepared.prepare(size, args.years, args.seed)
        print(f"{db}, {size}: {made['registry']}; timing the pages", flush=True)
        output = subprocess.run(
            measure_command(args, prepared),
            cwd=PROJECT,
            env={**settings_env(prepared.url, prepared.files), "BENCH_LABEL": f"{db}-{size}"},
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        result = {**json.loads(output), **made}
        if args.zip_floor and size != "seed":
            print(f"{db}, {size}: the EAC-CPF zip against its floor", flush=True)
            result["zip_floor"] = zip_floor(args.zip_floor, prepared)
        return result
    finally:
        prepared.drop()


def zip_floor(runs: int, prepared) -> dict:
    """bench/zip_floor.py on the registry: the worker's build of the zip against its floor,
    in a process of its own (it writes into temporary files only: any registry will do)."""
    output = subprocess.run(
        [PYTHON, str(BENCH / "zip_floor.py"), "--runs", str(runs)],
        cwd=PROJECT,
        env={**settings_env(prepared.url, prepared.files), "PYTHONPATH": str(PROJECT)},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(output)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    import sqlite3

    import django

    facts = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "day": datetime.date.today().isoformat(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres") as connection:
            facts["postgres"] = connection.execute("SHOW server_version").fetchone()[0]
    except Exception:  # no server: the SQLite figures still stand
        facts["postgres"] = "not reachable"
    return facts


def existing_registries(values: list[str], parser) -> dict:
    """`--database-url SIZE=URL` options as {size: url}."""
    found = {}
    for value in values:
        size, _, url = value.partition("=")
        if not url or not (size == "seed" or size.isdigit()):
            parser.error(f"--database-url is SIZE=URL (100000=postgres://…), not {value!r}")
        found[size] = url
    return found


def arguments():
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sizes", default="seed,1000,10000")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--years", type=int, default=8, help="of generated reorganisations")
    parser.add_argument("--seed", type=int, default=1, help="of the generator")
    parser.add_argument("--date", default="2020-01-01", help="the pages' date")
    parser.add_argument("--compare-from", default="2014-01-01")
    parser.add_argument("--task-query", default="socialudvalget", help="matches a few tasks")
    parser.add_argument("--broad-query", default="budget", help="matches ever more")
    parser.add_argument(
        "--pages",
        help="comma-separated page names (default: all): chart, unit page, unit list, "
        "task lookup, task lookup (broad), API structure, API unit, API tasks, "
        "API reorganisations, API changes, comparison, timeline, JSON-LD, CSV, "
        "EAC-CPF record, EAC-CPF zip",
    )
    parser.add_argument(
        "--budget",
        type=float,
        help="stop timing a page's requests of each kind after this many seconds (at least "
        "5 requests); for trials, and for 100,000 units, where the comparison, the timeline "
        "and the exports take 15 s to a minute a render: with 60, a run of everything at "
        "seed, 10,000 and 100,000 on PostgreSQL is some 25 minutes on a quiet 2-core machine "
        "(an estimate from its parts; twice that on a busy one)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep each prepared registry under a stable name (sf_bench_<size>_y<years>_"
        "s<seed>; SQLite files in bench/.registries/) and reuse it when present, migrated",
    )
    parser.add_argument(
        "--database-url",
        action="append",
        default=[],
        metavar="SIZE=URL",
        help="time an existing registry as the given size, as it is: not migrated, written "
        "or dropped (the EAC-CPF zip, whose build writes, is not timed on it); repeatable",
    )
    parser.add_argument(
        "--zip-floor",
        type=int,
        default=0,
        metavar="RUNS",
        help="at each generated size, time the EAC-CPF zip as the worker builds it against "
        "its floor (bench/zip_floor.py), RUNS pairs; some 6 minutes a pair at 100,000 units",
    )
    parser.add_argument("--profile", help="comma-separated page names to profile")
    parser.add_argument("--profile-dir", type=Path, default=BENCH / "profiles")
    parser.add_argument("--out", type=Path, default=BENCH, help="where results-<db>.md go")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="time nothing: print the tables again from results-<db>.json in --out, each page "
        "judged by the target bench/measure.py gives it now",
    )
    args = parser.parse_args()
    args.database_url = existing_registries(args.database_url, parser)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in args.sizes:
        if size != "seed" and not size.isdigit():
            parser.error(f"a size is 'seed' or a number of units, not {size!r}")
    return args


def main() -> None:
    args = arguments()
    if args.report_only:
        report_again(args)
        return
    # Stopped from outside: still drop the databases (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    command = "bench/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    facts = machine()
    for db in databases:
        facts["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        results = {}
        for size in args.sizes:
            result = run_size(db, size, args)
            result.update(date=args.date, compare_from=args.compare_from, requests=args.requests)
            results[size] = result
        text = report(db, results, facts, command.strip())
        print("\n" + text, flush=True)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"results-{db}.md").write_text(text)
        (args.out / f"results-{db}.json").write_text(
            json.dumps({"machine": facts, "command": command, "results": results}, indent=1)
        )


if __name__ == "__main__":
    main()
