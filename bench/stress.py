"""Concurrent writers and readers against a PostgreSQL registry, then a check that nothing broke.

    .venv/bin/python bench/stress.py [--writers 8] [--readers 8] [--seconds 30] [--seed N] [-v 2]

It runs against the database DATABASE_URL names, which must hold the seed (`manage.py
bootstrap`); `make stress` runs it with 8 writers and 8 readers for 30 s. The run is in
bench/stress_run.py, the checks in bench/stress_checks.py.

Writers (processes, each with its own database connection) apply random reorganisations through
`apply_reorganisation` — valid ones (creations, renames, moves, task transfers, merges, splits,
dissolutions), ones that are invalid whatever happens concurrently (unknown units, a unit under
itself, a duplicate identifier, a child before its parent) and ones that are invalid on the
structure they were built from (a unit under its own descendant, a unit ended while its sub-units
remain) — and corrections that are not structural: a name's spelling through the admin's change
form, a unit's description saved as the admin saves it. Readers (at a lower CPU priority) render
the chart, unit pages and the JSON-LD export on random dates, and read the data version.

Afterwards, with every writer stopped:

- the tree's stored numbering equals a fresh rebuild (in a rolled-back transaction) and every
  invariant `check_registry` knows holds;
- every accepted reorganisation is there with each of its changes and their history rows, and
  every accepted correction has its history row with the user and the reason;
- every refused write left nothing: no reorganisation under its key, no unit it created, no
  history row with its (unique) reason;
- an authorised name of a stress unit is valid only while the unit has a placement;
- no write undid another's: in each record's history a correction changes only what a
  correction may change, a reorganisation never changes a name's spelling, and the live row
  equals its latest history row;
- no page failed, and the data version never stood for two different states of the data.

It prints each problem, the counts, and `STRESS_RESULT {json}` with the summary; exit status 1
when anything is wrong. It writes test units into the database, so it refuses to run unless
debug is on, and only on PostgreSQL (SQLite serialises writers by itself).
"""

import argparse
import json
import os
import random
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))


def bounded(kind, low, high):
    """An argparse type: a number of `kind` from `low` to `high` (each process is a database
    connection and a CPU's share; the run's length a finite number of seconds)."""

    def read(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not low <= value <= high:  # also refuses nan
            raise argparse.ArgumentTypeError(f"{text} is not from {low} to {high}")
        return value

    return read


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Stress the registry on PostgreSQL: concurrent writers apply random valid "
        "and invalid reorganisations and corrections while readers render pages; then check "
        "that the tree and every invariant are intact, every accepted write is there with its "
        "history and every refused one left nothing. Writes test units: only with debug on. "
        "Exit status 1 when anything is wrong."
    )
    parser.add_argument("--writers", type=bounded(int, 1, 64), default=8)
    parser.add_argument("--readers", type=bounded(int, 0, 64), default=8)
    parser.add_argument("--seconds", type=bounded(float, 1, 3600), default=30.0)
    parser.add_argument("--seed", type=int, default=None, help="Random seed (default: any).")
    parser.add_argument(
        "-v", "--verbosity", type=int, default=1, help="2 also prints every refused write."
    )
    return parser


def set_up_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialforvaltning.settings")
    from socialforvaltning.settings_check import exit_on_bad_settings

    exit_on_bad_settings()
    import django

    django.setup()


def refusal() -> str | None:
    """Why the stress test must not run against this registry, if it must not."""
    from django.conf import settings
    from django.db import connection
    from django.utils.translation import gettext as _

    from bench.stress_run import SEED_ROOT
    from orgunits.models import Unit

    if connection.vendor != "postgresql":
        return _("The stress test runs only on PostgreSQL.")
    if not settings.DEBUG:
        return _("The stress test writes test units into the registry: refused when debug is off.")
    if not Unit.objects.filter(slug=SEED_ROOT).exists():
        return _("Load the seed first (manage.py bootstrap).")
    return None


def report(run, summary: dict, problems: list[str], verbosity: int):
    if verbosity > 1:
        for a in run.stats.attempts:
            if not a.accepted:
                print(f"refused {a.kind} {a.reason}: {a.refusal or a.error}")
    for problem in problems[:200]:
        print(f"- {problem}")
    rows = [(k, v) for k, v in summary.items() if k != "by_kind"]
    rows += [
        (f"  {kind}", f"{c['accepted']} accepted, {c['refused']} refused")
        for kind, c in summary["by_kind"].items()
    ]
    width = max(len(k) for k, _v in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")
    print("STRESS_RESULT " + json.dumps(summary), flush=True)


def main(argv=None) -> int:
    options = arguments().parse_args(argv)
    set_up_django()
    from django.db import DatabaseError, ProgrammingError
    from django.utils.translation import gettext as _

    try:
        refused = refusal()
    except ProgrammingError:  # it answers, without the registry's tables
        refused = _("Load the seed first (manage.py bootstrap).")
    except DatabaseError as error:
        refused = _("The database does not answer: %(error)s") % {
            "error": str(error).splitlines()[0]
        }
    if refused:
        print(refused, file=sys.stderr)
        return 1
    # The run and its checks import the models: only once Django is set up.
    from bench.stress_checks import Checks
    from bench.stress_run import StressRun

    seed = options.seed if options.seed is not None else random.randrange(10**6)
    run = StressRun(
        writers=options.writers, readers=options.readers, seconds=options.seconds, seed=seed
    )
    run.set_up()
    duration = run.run()
    checks = Checks(run)
    problems = checks.verify()
    report(run, checks.summary(duration, problems), problems, options.verbosity)
    if problems:
        print(_("%(count)s problems found.") % {"count": len(problems)}, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
