"""Time the registry's pages on one prepared database, through the full Django stack.

Run by `bench/run.py` in a subprocess whose environment names the database (DATABASE_URL) and
production settings (DJANGO_DEBUG=false); prints one JSON document on stdout. Each page is
requested through `django.test.Client`, so every middleware runs:

- render: the page cache is cleared before each request, so each one builds the page;
- cached: the page cache is warm, the client sends no ETag (a second visitor);
- 304: the client sends the page's ETag back (If-None-Match), the registry answers 304.

Queries are counted on one more render, apart from the timed ones.
"""

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

# A unit of the seed that exists from 2008 on, for the unit pages when nothing is generated.
SEED_UNIT = "mr-handicap-og-psykiatri"


@dataclass
class Page:
    name: str
    path: str
    params: dict = field(default_factory=dict)
    # "bounded": time at 10,000 units at most 3x the seed's; "linear": linear in N at worst;
    # "shown": measured and shown beside the targets, judged by none.
    target: str = "linear"

    @property
    def url(self) -> str:
        from urllib.parse import urlencode

        return self.path + (f"?{urlencode(self.params)}" if self.params else "")


def pages(
    *, date: str, compare_from: str, unit_slug: str, task_query: str, broad_query: str
) -> list[Page]:
    return [
        Page("chart", "/", {"date": date}, "bounded"),
        Page("unit page", f"/units/{unit_slug}/", {"date": date}, "bounded"),
        Page("unit list", "/units/", {"date": date}, "bounded"),
        # The same few tasks at every size, and a word that matches more tasks the larger
        # the registry (the page shows the first hundred): its time grows with what it shows,
        # from a handful of tasks at the seed to a hundred, so no target judges it.
        Page("task lookup", "/tasks/", {"q": task_query, "date": date}, "bounded"),
        Page("task lookup (broad)", "/tasks/", {"q": broad_query, "date": date}, "shown"),
        Page("comparison", "/compare/", {"from": compare_from, "to": date}, "linear"),
        Page("timeline", "/changes/", {}, "linear"),
        Page("JSON-LD", "/export/org.jsonld", {"date": date}, "linear"),
        Page("CSV", "/export/units.csv", {"date": date}, "linear"),
        Page("EAC-CPF record", f"/units/{unit_slug}/eac-cpf.xml", {}, "bounded"),
        Page("EAC-CPF zip", "/export/eac-cpf.zip", {}, "linear"),
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


def timed(client, page: Page, n: int, *, clear: bool, headers=None, status=200, budget=None):
    """Wall-clock times in ms, and this process's CPU times (steadier on a busy machine;
    PostgreSQL's own work is not in them)."""
    from django.core.cache import cache

    times, cpu = [], []
    started = time.perf_counter()
    for _ in range(n):
        if budget is not None and len(times) >= 5 and time.perf_counter() - started > budget:
            break
        if clear:
            cache.clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(page.path, page.params, secure=True, headers=headers or {})
        elapsed = time.perf_counter() - start
        cpu.append((time.process_time() - start_cpu) * 1000)
        if response.status_code != status:
            raise SystemExit(
                f"{page.url}: {response.status_code}, expected {status}: {response.content[:300]!r}"
            )
        times.append(elapsed * 1000)
    return times, cpu


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    # p95 by the nearest-rank method: with 20 requests, the 19th.
    rank = max(1, -(-95 * len(ordered) // 100))
    return {
        "median": statistics.median(ordered),
        "p95": ordered[rank - 1],
        "n": len(ordered),
    }


def measure(page: Page, n: int, profile_dir: Path | None, budget: float | None = None) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    cache.clear()
    first = client.get(page.path, page.params, secure=True)  # warm up: templates, connection
    if first.status_code != 200:
        raise SystemExit(f"{page.url}: {first.status_code}: {first.content[:300]!r}")
    etag = first["ETag"]

    # Counted on a warm render (the first one fills per-process caches, such as content
    # types), and at once: the log is cleared at the start of every later request.
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        client.get(page.path, page.params, secure=True)
    queries = len(captured)
    with CaptureQueriesContext(connection) as captured:
        client.get(page.path, page.params, secure=True, headers={"If-None-Match": etag})
    queries_304 = len(captured)

    render, render_cpu = timed(client, page, n, clear=True, budget=budget)
    cached, cached_cpu = timed(client, page, n, clear=False)
    not_modified, not_modified_cpu = timed(
        client, page, n, clear=False, headers={"If-None-Match": etag}, status=304
    )

    if profile_dir is not None:
        profile(client, page, profile_dir)

    return {
        **asdict(page),
        "url": page.url,
        "bytes": len(first.content),
        "queries": queries,
        "queries_304": queries_304,
        "render": summary(render),
        "cached": summary(cached),
        "not_modified": summary(not_modified),
        "cpu": {
            "render": summary(render_cpu),
            "cached": summary(cached_cpu),
            "not_modified": summary(not_modified_cpu),
        },
    }


def profile(client, page: Page, profile_dir: Path) -> None:
    """One render under pyinstrument, written as text (and HTML) beside the results."""
    from django.core.cache import cache
    from pyinstrument import Profiler

    cache.clear()
    profiler = Profiler(interval=0.0005)
    with profiler:
        client.get(page.path, page.params, secure=True)
    label = os.environ.get("BENCH_LABEL", "bench")
    stem = profile_dir / f"{label}-{page.name.lower().replace(' ', '-')}"
    stem.with_suffix(".txt").write_text(profiler.output_text(unicode=True, color=False))
    stem.with_suffix(".html").write_text(profiler.output_html())


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--date", default="2020-01-01")
    parser.add_argument("--compare-from", default="2014-01-01")
    parser.add_argument("--task-query", default="socialudvalget")
    parser.add_argument("--broad-query", default="arbejdsmiljø")
    parser.add_argument("--pages", help="comma-separated page names (default: all)")
    parser.add_argument(
        "--budget",
        type=float,
        help="seconds of renders per page after which to stop (at least 5 renders)",
    )
    parser.add_argument("--profile", default="", help="comma-separated page names to profile")
    parser.add_argument("--profile-dir", type=Path, default=PROJECT / "bench" / "profiles")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialforvaltning.settings")
    import datetime

    import django

    django.setup()
    from django.db import connection

    from orgunits.models import Unit, UnitNode
    from responsibilities.models import Task

    date = datetime.date.fromisoformat(args.date)
    chosen = {name.strip() for name in (args.pages or "").split(",") if name.strip()}
    to_profile = {name.strip() for name in args.profile.split(",") if name.strip()}
    if to_profile:
        args.profile_dir.mkdir(parents=True, exist_ok=True)
    unit_slug = deep_unit(date)
    results = []
    for page in pages(
        date=args.date,
        compare_from=args.compare_from,
        unit_slug=unit_slug,
        task_query=args.task_query,
        broad_query=args.broad_query,
    ):
        if chosen and page.name not in chosen:
            continue
        started = time.perf_counter()
        result = measure(
            page,
            args.requests,
            args.profile_dir if page.name in to_profile else None,
            budget=args.budget,
        )
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
        },
        sys.stdout,
        ensure_ascii=False,
    )


if __name__ == "__main__":
    main()
