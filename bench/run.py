"""The benchmark: every page and export at the seed size, 1,000 and 10,000 generated units, on
SQLite and on PostgreSQL, through the full Django stack with production settings.

    .venv/bin/python bench/run.py [--db sqlite|postgres|both] [--sizes seed,1000,10000]
                                  [--requests 20] [--profile "chart,task lookup"]

For each database and size it builds a fresh registry (a temporary SQLite file, or a
PostgreSQL database `sf_bench_…` that it creates and drops): `manage.py bootstrap` loads the
seed, `manage.py generate_org` adds the generated organisation. `bench/measure.py` then times
each page in a subprocess (see there), and this script prints one Markdown table per database
with the targets met or missed, and writes it to bench/results-<db>.md (raw figures in
bench/results-<db>.json).

The whole run took 18 minutes on a 2-core machine on 2026-12-01, most of it in the EAC-CPF zip
at 10,000 units (13–14 s a render, 22 renders each); `--budget 60` stops timing a page after a
minute (and at least 5 renders) for a trial, `--pages`/`--sizes`/`--db` narrow it down.
"""

import argparse
import atexit
import datetime
import functools
import json
import os
import platform
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BENCH = PROJECT / "bench"
PYTHON = sys.executable
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")

BOUNDED_FACTOR = 3  # time at the largest size at most this many times the seed's
LINEAR_SLACK = 1.5  # per-unit cost at the largest size at most this many times the smaller's
NOT_MODIFIED_FACTOR = 10  # a 304 at least this many times faster than a render


# --- preparing a registry -------------------------------------------------------------------


@functools.cache
def static_root() -> str:
    """A folder of the benchmark's own with what `collectstatic` builds for production: the
    pages name their static files through its manifest, as in production."""
    folder = tempfile.mkdtemp(prefix="sf_bench_static_")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_STATIC_ROOT": folder,
    }
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    return folder


def settings_env(database_url: str) -> dict:
    """Production settings (debug off) on the given database, answering the test client."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        # One JSON line per request would be written to stderr while timing: not the page.
        "REGISTRY_REQUEST_LOG_LEVEL": "WARNING",
        # The content-hashed static file names of production (see static_root).
        "DJANGO_STATIC_ROOT": static_root(),
    }
    env.pop("REGISTRY_CACHE_URL", None)  # the default per-process page cache
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=PROJECT, env=env, check=True)


def generator_args(units: int, args) -> list[str]:
    options = ["--units", str(units), "--years", str(args.years), "--seed", str(args.seed)]
    return [PYTHON, "manage.py", "generate_org", *options]


def populate(env: dict, size: str, args) -> float:
    """Bootstrap the seed and generate `size` units; return the seconds it took."""
    started = time.perf_counter()
    manage(env, "bootstrap", "--verbosity", "0")
    if size != "seed":
        subprocess.run(generator_args(int(size), args), cwd=PROJECT, env=env, check=True)
    return time.perf_counter() - started


class SqliteDatabase:
    def __init__(self, size: str):
        self.folder = tempfile.TemporaryDirectory(prefix="sf_bench_")
        self.url = f"sqlite:///{self.folder.name}/registry-{size}.sqlite3"

    def drop(self) -> None:
        self.folder.cleanup()


class PostgresDatabase:
    def __init__(self, size: str):
        self.name = f"sf_bench_{os.getpid()}_{size}"
        self.url = f"{POSTGRES}/{self.name}"
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
        self._admin(f'CREATE DATABASE "{self.name}"')

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
            connection.execute(sql)

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


DATABASES = {"sqlite": SqliteDatabase, "postgres": PostgresDatabase}


def run_size(db: str, size: str, args) -> dict:
    database = DATABASES[db](size)
    try:
        env = settings_env(database.url)
        print(f"{db}, {size}: preparing the registry", flush=True)
        prepared = populate(env, size, args)
        print(f"{db}, {size}: prepared in {prepared:.0f} s; timing the pages", flush=True)
        command = [
            PYTHON,
            str(BENCH / "measure.py"),
            "--requests",
            str(args.requests),
            "--date",
            args.date,
            "--compare-from",
            args.compare_from,
            "--task-query",
            args.task_query,
            "--broad-query",
            args.broad_query,
        ]
        if args.pages:
            command += ["--pages", args.pages]
        if args.budget:
            command += ["--budget", str(args.budget)]
        if args.profile:
            command += ["--profile", args.profile, "--profile-dir", str(args.profile_dir)]
        output = subprocess.run(
            command,
            cwd=PROJECT,
            env={**env, "BENCH_LABEL": f"{db}-{size}"},
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        result = json.loads(output)
        result["prepare_seconds"] = round(prepared, 1)
        return result
    finally:
        database.drop()


# --- the machine ----------------------------------------------------------------------------


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
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres") as connection:
            facts["postgres"] = connection.execute("SHOW server_version").fetchone()[0]
    except Exception:  # no server: the SQLite figures still stand
        facts["postgres"] = "not reachable"
    return facts


# --- the table ------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def size_label(size: str) -> str:
    return "seed" if size == "seed" else f"{int(size):,}"


def per_unit_us(result: dict, seed: dict, page: dict, seed_page: dict) -> float | None:
    extra = result["units"] - seed["units"]
    if extra <= 0:
        return None
    return (page["render"]["median"] - seed_page["render"]["median"]) * 1000 / extra


def table(results: dict[str, dict]) -> list[str]:
    seed = results.get("seed")
    lines = [
        "| page | units | queries | median ms | p95 ms | × seed | µs per unit "
        "| cached ms | 304 ms | render ÷ 304 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = [page["name"] for page in next(iter(results.values()))["pages"]]
    for name in names:
        for size, result in results.items():
            page = next(p for p in result["pages"] if p["name"] == name)
            seed_page = next(p for p in seed["pages"] if p["name"] == name) if seed else None
            ratio = per_unit = "—"
            if seed_page is not None and size != "seed":
                ratio = f"{page['render']['median'] / seed_page['render']['median']:.1f}×"
                cost = per_unit_us(result, seed, page, seed_page)
                per_unit = f"{cost:,.0f}" if cost is not None else "—"
            speedup = page["render"]["median"] / page["not_modified"]["median"]
            median = ms(page["render"]["median"])
            if page["render"]["n"] < result["requests"]:
                median += f" (n={page['render']['n']})"
            lines.append(
                f"| {name if size == next(iter(results)) else ''} | {result['units']:,} "
                f"| {page['queries']} | {median} "
                f"| {ms(page['render']['p95'])} | {ratio} | {per_unit} "
                f"| {ms(page['cached']['median'])} | {ms(page['not_modified']['median'])} "
                f"| {speedup:.0f}× |"
            )
    return lines


def page_of(result: dict, name: str) -> dict:
    return next(p for p in result["pages"] if p["name"] == name)


def targets(results: dict[str, dict]) -> list[str]:
    """One line per target: met or missed, with the figures that say so."""
    sizes = list(results)
    names = [p["name"] for p in results[sizes[0]]["pages"]]
    lines = [
        constant_queries_target(results, sizes, names),
        bounded_target(results, sizes, names),
        linear_target(results, sizes, names),
        not_modified_target(results, sizes, names),
    ]
    return [line for line in lines if line is not None]


def constant_queries_target(results: dict, sizes: list, names: list) -> str | None:
    """Constant in N: the same count at every generated size. (The seed may differ either
    way: a prefetch runs only when there is something to fetch, such as the seed's citations
    or the merges in a generated comparison.)"""
    if len(sizes) <= 1:
        return None
    counts = {name: [page_of(results[s], name)["queries"] for s in sizes] for name in names}
    compared = [i for i, s in enumerate(sizes) if s != "seed"]
    if len(compared) < 2:
        compared = list(range(len(sizes)))  # one generated size: it against the seed
    varying = [name for name, c in counts.items() if len({c[i] for i in compared}) > 1]
    shown = "; ".join(f"{n} {' / '.join(map(str, c))}" for n, c in counts.items())
    return (
        "- SQL queries per page constant in N: "
        + ("**missed** (" + ", ".join(varying) + ")" if varying else "**met**")
        + f" (queries at {' / '.join(size_label(s) for s in sizes)}: {shown})"
    )


def bounded_target(results: dict, sizes: list, names: list) -> str | None:
    """The bounded pages at the largest size at most BOUNDED_FACTOR times the seed's time."""
    generated = [s for s in sizes if s != "seed"]
    if "seed" not in results or not generated:
        return None
    largest = sizes[-1]
    at = f"{results[largest]['units']:,} units"
    rows = []
    missed = False
    shown = []
    for name in names:
        page = page_of(results[largest], name)
        ratio = page["render"]["median"] / page_of(results["seed"], name)["render"]["median"]
        if page["target"] == "shown":
            shown.append(f"{name} {ratio:.1f}×")
        if page["target"] != "bounded":
            continue
        missed |= ratio > BOUNDED_FACTOR
        rows.append(f"{name} {ratio:.1f}×")
    return (
        f"- At most {BOUNDED_FACTOR}× the seed's time at {at}: "
        + ("**missed**" if missed else "**met**")
        + " ("
        + ", ".join(rows)
        + ")"
        + (f"; no target for {', '.join(shown)}" if shown else "")
    )


def linear_target(results: dict, sizes: list, names: list) -> str | None:
    """The linear pages' cost per unit no more than LINEAR_SLACK times higher at the largest
    generated size than at the smallest."""
    generated = [s for s in sizes if s != "seed"]
    if "seed" not in results or len(generated) < 2:
        return None
    small, large = generated[0], generated[-1]
    rows, missed = [], False
    for name in names:
        page = page_of(results[large], name)
        if page["target"] != "linear":
            continue
        seed_page = page_of(results["seed"], name)
        a = per_unit_us(results[small], results["seed"], page_of(results[small], name), seed_page)
        b = per_unit_us(results[large], results["seed"], page, seed_page)
        # Below 20 µs a unit the page barely grows: noise, not a trend.
        bad = b > LINEAR_SLACK * max(a, 0) and b > 20
        missed |= bad
        rows.append(f"{name} {a:,.0f} → {b:,.0f} µs/unit" + (" (superlinear)" if bad else ""))
    return (
        f"- Linear in N at worst (per-unit cost at {size_label(small)} → "
        f"{size_label(large)} units): "
        + ("**missed**" if missed else "**met**")
        + " ("
        + "; ".join(rows)
        + ")"
    )


def not_modified_target(results: dict, sizes: list, names: list) -> str:
    """Every page's 304 at least NOT_MODIFIED_FACTOR times faster than its render."""
    slow = []
    worst = None
    for size in sizes:
        for name in names:
            page = page_of(results[size], name)
            speedup = page["render"]["median"] / page["not_modified"]["median"]
            if worst is None or speedup < worst[0]:
                worst = (speedup, name, size)
            if speedup < NOT_MODIFIED_FACTOR:
                slow.append(f"{name} at {size_label(size)} {speedup:.0f}×")
    return f"- A 304 at least {NOT_MODIFIED_FACTOR}× faster than the render: " + (
        f"**met** (the least: {worst[1]} at {size_label(worst[2])}, {worst[0]:.0f}×)"
        if not slow
        else "**missed**: " + ", ".join(slow)
    )


def any_budget(results: dict[str, dict]) -> bool:
    return any(p["render"]["n"] < r["requests"] for r in results.values() for p in r["pages"])


def report(db: str, results: dict[str, dict], facts: dict, command: str) -> str:
    title = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[db]
    version = facts["sqlite"] if db == "sqlite" else facts["postgres"]
    any_result = next(iter(results.values()))
    largest = list(results.values())[-1]
    lines = [
        f"### {title} {version}",
        "",
        f"`{command}` on {datetime.date.today().isoformat()}: {facts['cpu']}, "
        f"{facts['cores']} cores, {facts['memory']}, {facts['os']}, Python {facts['python']}, "
        f"Django {facts['django']}; load average {facts['load']} at the start. "
        f"Pages as of {any_result['date']}, the comparison from {any_result['compare_from']}; "
        f"the unit page is `{largest['unit_slug']}` at the largest size. "
        f"Median and p95 of {any_result['requests']} requests each"
        + (" (fewer where n= says so)." if any_budget(results) else "."),
        "",
        *table(results),
        "",
        *targets(results),
        "",
    ]
    return "\n".join(lines)


def report_again(args) -> None:
    """The tables of an earlier run from its raw figures, with today's page targets."""
    sys.path.insert(0, str(PROJECT))
    from bench.measure import pages

    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for db in databases:
        path = args.out / f"results-{db}.json"
        if not path.exists():
            raise SystemExit(f"{path}: no results of an earlier run to print again")
        raw = json.loads(path.read_text())
        first = next(iter(raw["results"].values()))
        target = {
            page.name: page.target
            for page in pages(
                date=first["date"],
                compare_from=first["compare_from"],
                unit_slug="-",  # the targets do not depend on which unit a page shows
                task_query=args.task_query,
                broad_query=args.broad_query,
            )
        }
        for result in raw["results"].values():
            for page in result["pages"]:
                page["target"] = target.get(page["name"], page["target"])
        text = report(db, raw["results"], raw["machine"], raw["command"].strip())
        print("\n" + text, flush=True)
        (args.out / f"results-{db}.md").write_text(text)
        (args.out / f"results-{db}.json").write_text(json.dumps(raw, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sizes", default="seed,1000,10000")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--years", type=int, default=8, help="of generated reorganisations")
    parser.add_argument("--seed", type=int, default=1, help="of the generator")
    parser.add_argument("--date", default="2020-01-01", help="the pages' date")
    parser.add_argument("--compare-from", default="2014-01-01")
    parser.add_argument("--task-query", default="socialudvalget", help="matches a few tasks")
    parser.add_argument("--broad-query", default="arbejdsmiljø", help="matches ever more")
    parser.add_argument(
        "--pages",
        help="comma-separated page names (default: all): chart, unit page, unit list, "
        "task lookup, task lookup (broad), comparison, timeline, JSON-LD, CSV, "
        "EAC-CPF record, EAC-CPF zip",
    )
    parser.add_argument(
        "--budget",
        type=float,
        help="stop timing a page's renders after this many seconds (at least 5 renders); "
        "for trial runs: the issue asks for 20",
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
    if args.report_only:
        report_again(args)
        return
    # Stopped from outside: still drop the databases and stop the server (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        if size != "seed" and not size.isdigit():
            parser.error(f"a size is 'seed' or a number of units, not {size!r}")
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    command = "bench/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    facts = machine()
    for db in databases:
        facts["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        results = {}
        for size in sizes:
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
