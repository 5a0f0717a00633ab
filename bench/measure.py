"""Time the registry's pages on one prepared database, through the full Django stack.

Run by `bench/run.py` in a subprocess whose environment names the database (DATABASE_URL) and
production settings (DJANGO_DEBUG=false); prints one JSON document on stdout. Each page is
requested through `django.test.Client`, so every middleware runs:

- render: the page cache is cleared before each request, so each one builds the page;
- cached: the page cache is warm, the client sends no ETag (a second visitor); not timed for
  a page the cache does not keep (a streamed export, one too large to keep, an API answer),
  where each such request would be a render;
- 304: the client sends the page's ETag back (If-None-Match), the registry answers 304.

A request's time includes reading its whole body: a streamed response is produced while it is
read. Queries are counted on one more render, apart from the timed ones. The CSV and JSON-LD
exports are timed against their floors (bench/floors.py), a floor run after each render so
that both see the same load; and an export's streaming figures are taken on requests of their
own (bench/streamed.py). The EAC-CPF zip is built by the background worker's job the first time
(here, in this process, as the worker would) and then timed as the view serves its file.
"""

import argparse
import contextlib
import datetime
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.streamed import body_of, consume, first_byte, traced_peak  # noqa: E402

# A unit of the seed that exists from 2008 on, for the unit pages when nothing is generated.
SEED_UNIT = "mr-handicap-og-psykiatri"


@dataclass
class Page:
    name: str
    path: str
    params: dict = field(default_factory=dict)
    # "bounded": time at the largest size at most 2x the seed's; "linear": linear in N at
    # worst; "shown": measured and shown beside the targets, judged by none.
    target: str = "linear"
    floor_of: str = ""  # the floor in bench/floors.py it is timed against: csv, jsonld
    export: bool = False  # an export: its first byte and memory are measured
    writes: bool = False  # building it writes to the registry (the zip's job)

    @property
    def url(self) -> str:
        from urllib.parse import urlencode

        return self.path + (f"?{urlencode(self.params)}" if self.params else "")


def pages(
    *, date: str, compare_from: str, unit_slug: str, task_query: str, broad_query: str
) -> list[Page]:
    dated = {"date": date}
    return [
        Page("chart", "/", dated, "bounded"),
        Page("unit page", f"/units/{unit_slug}/", dated, "bounded"),
        Page("unit list", "/units/", dated, "bounded"),
        Page("task lookup", "/tasks/", {"q": task_query, "date": date}, "bounded"),
        # A word that matches more tasks the larger the registry (20 of the seed's 113 and an
        # eighteenth of the generated ones), so that every size fills the page: the page
        # orders at most the first 501 found and shows 25 (the lookup's EXAMINED and SHOWN).
        # ("arbejdsmiljø", as broad at 100,000 units, finds one seed task: its ratio was that
        # of 25 answers to one.)
        Page("task lookup (broad)", "/tasks/", {"q": broad_query, "date": date}, "bounded"),
        # A page of 25 (the seed places 34 units): as many rows at every size.
        Page("API structure", "/api/v1/structure", {**dated, "page_size": "25"}, "bounded"),
        Page("API unit", f"/api/v1/units/{unit_slug}", dated, "bounded"),
        Page("API tasks", "/api/v1/tasks", {"q": task_query, "date": date}, "bounded"),
        # A page of ten, as many as the seed holds: each size lists as many rows (at the
        # default 100 a page the generated sizes list ten times the seed's rows).
        Page("API reorganisations", "/api/v1/reorganisations", {"page_size": "10"}, "bounded"),
        Page("API changes", "/api/v1/changes", {}, "bounded"),
        Page("comparison", "/compare/", {"from": compare_from, "to": date}, "linear"),
        Page("timeline", "/changes/", {}, "linear"),
        Page("JSON-LD", "/export/org.jsonld", dated, "linear", floor_of="jsonld", export=True),
        Page("CSV", "/export/units.csv", dated, "linear", floor_of="csv", export=True),
        Page("EAC-CPF record", f"/units/{unit_slug}/eac-cpf.xml", {}, "bounded"),
        Page("EAC-CPF zip", "/export/eac-cpf.zip", {}, "linear", export=True, writes=True),
    ]


def deep_unit(date) -> str:
    """The deepest generated unit valid on the date (the first by slug among equals), or a
    seed unit when the registry holds only the seed."""
    from orgunits.models import UnitNode

    node = (
        UnitNode.objects.valid_on(date)
        .filter(unit__slug__startswith="gen-")
        .select_related("unit")
        .order_by("-level", "unit__slug")
        .first()
    )
    return node.unit.slug if node else SEED_UNIT


def get(client, page: Page, headers=None):
    return client.get(page.path, page.params, secure=True, headers=headers or {})


def timed(client, page: Page, n: int, *, clear: bool, headers=None, status=200, **options):
    """Wall-clock times in ms, and this process's CPU times (steadier on a busy machine;
    PostgreSQL's own work is not in them). Options: `budget`, seconds after which to stop
    (once there are 5); `floor`, a function timed after each request, whose times come third
    (alternated, so that the request and its floor see the same load); `counted`, a list to
    which the first request's SQL queries are counted (no slow render of its own for that)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    budget, floor, counted = options.get("budget"), options.get("floor"), options.get("counted")
    times, cpu, floors = [], [], []
    started = time.perf_counter()
    for _ in range(n):
        if budget is not None and len(times) >= 5 and time.perf_counter() - started > budget:
            break
        if clear:
            cache.clear()
        counting = counted is not None and not times
        start, start_cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) if counting else contextlib.nullcontext() as log:
            response = get(client, page, headers)
            consume(response)
        elapsed = time.perf_counter() - start
        if counting:
            counted.append(len(log))
        cpu.append((time.process_time() - start_cpu) * 1000)
        if response.status_code != status:
            raise SystemExit(f"{page.url}: {response.status_code}, expected {status}")
        times.append(elapsed * 1000)
        if floor is not None:
            start = time.perf_counter()
            floor()
            floors.append((time.perf_counter() - start) * 1000)
    return times, cpu, floors


def summary(times: list[float]) -> dict | None:
    if not times:
        return None
    ordered = sorted(times)
    # p95 by the nearest-rank method: with 20 requests, the 19th.
    rank = max(1, -(-95 * len(ordered) // 100))
    return {"median": statistics.median(ordered), "p95": ordered[rank - 1], "n": len(ordered)}


def build_zip_if_asked(client, page: Page) -> dict:
    """The zip is the background worker's: when the view answers that it is being built
    (202), run the worker's job here, once, as the worker would, and say how long it took."""
    response = get(client, page)
    consume(response)
    if response.status_code != 202:
        return {"zip": "built before"}
    from orgunits.exports.eaccpf.jobs import build_zip
    from orgunits.models import ArchiveJob
    from socialforvaltning.version import data_version

    job = ArchiveJob.objects.get(kind=ArchiveJob.Kind.ZIP, data_version=data_version())
    started = time.perf_counter()
    build_zip.call(job.pk)
    return {"zip": "built", "zip_build_seconds": round(time.perf_counter() - started, 1)}


def rows_of(page: Page, body: bytes) -> int:
    """The export's rows as its floor counts them: CSV lines, or JSON-LD graph items."""
    if page.floor_of == "csv":
        import csv
        import io

        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1
    return len(json.loads(body)["@graph"])


def floor_of(page: Page) -> tuple:
    """The export's floor as a function to time, and what it makes (run once: warm)."""
    if not page.floor_of:
        return None, None
    from bench import floors

    date = datetime.date.fromisoformat(page.params["date"])
    make = {"csv": floors.csv_floor, "jsonld": floors.jsonld_floor}[page.floor_of]
    return (lambda: make(date)), make(date)


def measure(page: Page, n: int, options) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    built = build_zip_if_asked(client, page) if page.writes else {}
    cache.clear()
    first = get(client, page)  # warm up: templates, connection
    body = body_of(first)
    if first.status_code != 200:
        raise SystemExit(f"{page.url}: {first.status_code}: {body[:300]!r}")
    etag = first.get("ETag")  # a streamed response may have none

    # Counted on a warm render (the first one fills per-process caches, such as content
    # types), and at once: the log is cleared at the start of every later request. An
    # export's on the request its first byte is timed on, another page's on its first timed
    # render (at 100,000 units a render of the slowest takes a minute on a busy machine).
    counted = []
    request = lambda: get(client, page)  # noqa: E731
    if page.export:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            streamed = first_byte(request)
        counted.append(len(captured))
    queries_304 = None
    if etag:
        with CaptureQueriesContext(connection) as captured:
            consume(get(client, page, {"If-None-Match": etag}))
        queries_304 = len(captured)

    floor, floor_made = floor_of(page)
    if page.export:
        streamed["traced_peak_mb"] = traced_peak(request)

    budget = options.budget
    render, render_cpu, floor_times = timed(
        client, page, n, clear=True, budget=budget, floor=floor, counted=counted
    )
    # A page the cache does not keep (streamed, too large, an API answer): a "cached"
    # request would be a render, so there is none. The middleware keeps a page under its ETag.
    cached = cached_cpu = []
    if etag and cache.has_key(f"page:{etag}"):
        cached, cached_cpu, _ = timed(client, page, n, clear=False, budget=budget)
    not_modified = not_modified_cpu = []
    if etag:
        headers = {"If-None-Match": etag}
        not_modified, not_modified_cpu, _ = timed(
            client, page, n, clear=False, headers=headers, status=304, budget=budget
        )
    if page.name in options.to_profile:
        profile(client, page, options.profile_dir)

    result = {
        **asdict(page),
        "url": page.url,
        "bytes": len(body),
        "queries": counted[0],
        "queries_304": queries_304,
        "render": summary(render),
        "cached": summary(cached),
        "not_modified": summary(not_modified),
        "cpu": {
            "render": summary(render_cpu),
            "cached": summary(cached_cpu),
            "not_modified": summary(not_modified_cpu),
        },
        **built,
    }
    if page.floor_of:
        result["rows"] = rows_of(page, body)
        result["floor"] = {**floor_made, "render": summary(floor_times)}
    if page.export:
        result["streamed"] = streamed
    return result


def profile(client, page: Page, profile_dir: Path) -> None:
    """One render under pyinstrument, written as text (and HTML) beside the results."""
    from django.core.cache import cache
    from pyinstrument import Profiler

    cache.clear()
    profiler = Profiler(interval=0.0005)
    with profiler:
        consume(get(client, page))
    label = os.environ.get("BENCH_LABEL", "bench")
    stem = profile_dir / f"{label}-{page.name.lower().replace(' ', '-')}"
    stem.with_suffix(".txt").write_text(profiler.output_text(unicode=True, color=False))
    stem.with_suffix(".html").write_text(profiler.output_html())


def arguments():
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--date", default="2020-01-01")
    parser.add_argument("--compare-from", default="2014-01-01")
    parser.add_argument("--task-query", default="socialudvalget")
    parser.add_argument("--broad-query", default="budget")
    parser.add_argument("--pages", help="comma-separated page names (default: all)")
    parser.add_argument(
        "--budget",
        type=float,
        help="seconds of requests per page and kind after which to stop (at least 5)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="time no page whose building writes to the registry (the EAC-CPF zip)",
    )
    parser.add_argument("--profile", default="", help="comma-separated page names to profile")
    parser.add_argument("--profile-dir", type=Path, default=PROJECT / "bench" / "profiles")
    args = parser.parse_args()
    args.to_profile = {name.strip() for name in args.profile.split(",") if name.strip()}
    return args


def main() -> None:
    args = arguments()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialforvaltning.settings")
    import django

    django.setup()
    from django.db import connection

    from orgunits.models import Unit, UnitNode
    from responsibilities.models import Task

    date = datetime.date.fromisoformat(args.date)
    chosen = {name.strip() for name in (args.pages or "").split(",") if name.strip()}
    if args.to_profile:
        args.profile_dir.mkdir(parents=True, exist_ok=True)
    unit_slug = deep_unit(date)
    results, skipped = [], []
    for page in pages(
        date=args.date,
        compare_from=args.compare_from,
        unit_slug=unit_slug,
        task_query=args.task_query,
        broad_query=args.broad_query,
    ):
        if chosen and page.name not in chosen:
            continue
        if page.writes and args.read_only:
            skipped.append(page.name)
            continue
        started = time.perf_counter()
        result = measure(page, args.requests, args)
        result["seconds"] = round(time.perf_counter() - started, 1)
        results.append(result)
        print(
            f"  {page.name}: {result['render']['median']:.1f} ms, {result['queries']} queries",
            file=sys.stderr,
            flush=True,
        )
    json.dump(
        {
            "vendor": connection.vendor,
            "units": Unit.objects.count(),
            "units_on_date": UnitNode.objects.valid_on(date).count(),
            "tasks": Task.objects.count(),
            "unit_slug": unit_slug,
            "pages": results,
            "skipped": skipped,
        },
        sys.stdout,
        ensure_ascii=False,
    )


if __name__ == "__main__":
    main()
