"""The EAC-CPF zip against its floor: the build exactly as the background worker does it, and
the same records produced as directly as Python can, timed on one registry.

- build: `orgunits.exports.eaccpf.jobs.write_zip`, the function the worker's job runs (the
  job around it only records its progress and stores the file), into a temporary file of
  its own: no job row is written, no stored file touched, so it runs on a registry others
  read.
- floor: the same records (identity, names with their dates, descriptions, sources,
  relations, structure, chronology, maintenance history, both EAC-CPF versions) built with
  lxml straight from ten raw SQL queries (rows, no model instances: `zip_floor_rows` groups
  them into each record's facts, `zip_floor_xml` writes them), into a zip with the same
  compression: the honest lower bound of producing that zip in Python. Its records are the
  build's byte for byte (`--compare` checks every member; tests/eaccpf/test_zip_floor.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_big10k DJANGO_SECRET_KEY=x \\
    DJANGO_DEBUG=false PYTHONPATH=. .venv/bin/python bench/zip_floor.py --runs 3

`measure(runs)` is what `bench/run.py` calls: medians and p95 of both, their ratio, the zip
sizes and the number of units.
"""

import argparse
import datetime
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

BASE_URL = "http://testserver"
# Above this many units a warm-up costs minutes and saves a fraction of a second.
WARM_UP_UP_TO = 20_000


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialforvaltning.settings")
    import django

    django.setup()


def build(out) -> int:
    """The worker's build of the zip into `out`; the number of records."""
    from orgunits.exports.eaccpf.jobs import write_zip

    return write_zip(out, base_url=BASE_URL)


def floor(out) -> int:
    """The floor's zip into `out`; the number of records."""
    from django.db import connection

    from bench.zip_floor_xml import write_floor_zip

    with connection.cursor() as cursor:
        rows = read_rows(cursor)
    return write_floor_zip(out, rows, base_url=BASE_URL)


def _tables() -> dict:
    from django.contrib.auth import get_user_model

    from history.models import Change, Reorganisation
    from orgunits.models import Citation, SourceDocument, Unit, UnitIdentifier, UnitName, UnitNode

    models = {
        "unit": Unit,
        "name": UnitName,
        "identifier": UnitIdentifier,
        "node": UnitNode,
        "citation": Citation,
        "document": SourceDocument,
        "change": Change,
        "reorg": Reorganisation,
        "user": get_user_model(),
    }
    tables = {key: model._meta.db_table for key, model in models.items()}
    for key in ("unit", "name", "identifier", "node", "reorg"):
        tables[f"h{key}"] = models[key].history.model._meta.db_table
    return tables


# Units with a record: named, and on record (not created by a plan alone, unless placed).
UNITS = """
SELECT u.id, u.slug, u.kind, u.kind_inferred, u.target_group, u.position, u.description,
       u.functions, u.mandates, u.internal_structure, u.archival_type, u.record_status,
       u.detail_level, u.maintenance_notes, u.record_language,
       CASE WHEN EXISTS (SELECT 1 FROM {name} n WHERE n.unit_id = u.id)
             AND (EXISTS (SELECT 1 FROM {node} p WHERE p.unit_id = u.id)
                  OR NOT EXISTS (SELECT 1 FROM {change} c JOIN {reorg} r
                                 ON r.id = c.reorganisation_id
                                 WHERE c.unit_id = u.id AND c.kind = 'created'
                                 AND r.status = 'planned'))
            THEN 1 ELSE 0 END
FROM {unit} u ORDER BY u.slug
"""
NAMES = """
SELECT id, unit_id, kind, name, short_name, name_inferred, short_name_inferred, language,
       valid_from, valid_to, opened_by_id, closed_by_id FROM {name}
"""
IDENTIFIERS = "SELECT id, unit_id, scheme, value FROM {identifier} ORDER BY scheme, value"
CITATIONS = """
SELECT c.id, t.model, c.object_id, c.heading, c.excerpt, c.role, c.note,
       d.title, d.filename, d.key
FROM {citation} c JOIN {document} d ON d.id = c.document_id
JOIN django_content_type t ON t.id = c.content_type_id
WHERE (t.app_label = 'orgunits' AND t.model IN ('unit', 'unitname', 'unitidentifier'))
   OR (t.app_label = 'history' AND t.model IN ('change', 'reorganisation'))
ORDER BY c.id
"""
NODES = """
SELECT id, unit_id, parent_id, valid_from, valid_to, opened_by_id, closed_by_id
FROM {node} ORDER BY tree_id, lft
"""
REORGANISATIONS = "SELECT id, date, certainty, not_before, not_after, title, status FROM {reorg}"
CHANGES = "SELECT id, reorganisation_id, kind, unit_id, target_id, ends FROM {change}"
USERS = "SELECT id, username, first_name, last_name FROM {user}"
# Every history row of the units, their names, identifiers and placements, but those written
# while a planned reorganisation was tried out.
_HISTORY_OF = """
SELECT {order}, {unit_field}, history_date, history_id, history_type, history_change_reason,
       history_user_id FROM {table} WHERE history_date NOT IN (
    SELECT h.history_date FROM {hreorg} h JOIN {reorg} r ON r.id = h.id
    WHERE r.status = 'planned')
"""


def _history_sql(tables: dict) -> str:
    parts = [
        _HISTORY_OF.format(order=order, unit_field=field, table=tables[key], **tables)
        for order, (key, field) in enumerate(
            [
                ("hunit", "id"),
                ("hname", "unit_id"),
                ("hidentifier", "unit_id"),
                ("hnode", "unit_id"),
            ]
        )
    ]
    return " UNION ALL ".join(parts) + " ORDER BY 3, 1, 4"


def read_rows(cursor) -> dict:
    """Everything the records say, as rows: ten queries, whatever the number of units."""
    tables = _tables()
    queries = {
        "units": UNITS,
        "names": NAMES,
        "identifiers": IDENTIFIERS,
        "citations": CITATIONS,
        "nodes": NODES,
        "reorganisations": REORGANISATIONS,
        "changes": CHANGES,
        "users": USERS,
    }
    rows = {}
    for key, sql in queries.items():
        cursor.execute(sql.format(**tables))
        rows[key] = cursor.fetchall()
    cursor.execute(_history_sql(tables))
    rows["history"] = cursor.fetchall()
    return rows


def _timed(function) -> tuple[float, int, int]:
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        count = function(out)
        elapsed = time.perf_counter() - start
        return elapsed, count, out.tell()


def _summary(times: list[float]) -> dict:
    ordered = sorted(times)
    rank = max(1, -(-95 * len(ordered) // 100))  # p95 by the nearest rank
    return {"median": statistics.median(ordered), "p95": ordered[rank - 1], "n": len(ordered)}


def measure(runs: int) -> dict:
    """`runs` builds and `runs` floors, in pairs whose order alternates (a machine growing
    busier or quieter weighs on both alike), after one of each to warm up (the connection,
    translations, lxml) on registries up to WARM_UP_UP_TO units: medians and p95 in seconds,
    the ratio of the medians, the zips' sizes in bytes, the number of units (records in each
    version), and the process's peak memory."""
    setup()
    from orgunits.models import Unit

    if Unit.objects.count() <= WARM_UP_UP_TO:
        for function in (build, floor):
            _timed(function)
    times = {"build": [], "floor": []}
    sizes, units = {}, 0
    pair = (("build", build), ("floor", floor))
    for run in range(runs):
        for name, function in pair if run % 2 == 0 else pair[::-1]:
            gc.collect()  # each starts from the same heap, not the other's garbage
            elapsed, units, sizes[name] = _timed(function)
            times[name].append(elapsed)
    result = {name: _summary(values) for name, values in times.items()}
    return {
        **result,
        "ratio": result["build"]["median"] / result["floor"]["median"],
        "bytes_build": sizes["build"],
        "bytes_floor": sizes["floor"],
        "units": units,
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def compare() -> dict:
    """Whether the floor's records are the build's, member by member."""
    setup()
    with tempfile.TemporaryFile() as a, tempfile.TemporaryFile() as b:
        build(a)
        floor(b)
        built, floored = zipfile.ZipFile(a), zipfile.ZipFile(b)
        names = built.namelist()
        differ = [n for n in names if built.read(n) != floored.read(n)]
        return {
            "members": len(names),
            "same_names": names == floored.namelist(),
            "differ": len(differ),
            "first_differing": differ[:5],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", action="store_true", help="check the records match")
    args = parser.parse_args()
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    result = compare() if args.compare else measure(args.runs)
    print(json.dumps({"started": started, "load": os.getloadavg(), **result}, indent=2))


if __name__ == "__main__":
    main()
