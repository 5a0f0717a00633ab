"""The benchmark of writing structure: new dated changes, corrections and a whole replay, at
the seed size and with a generated organisation, on PostgreSQL (or SQLite).

    .venv/bin/python bench/corrections.py [--db postgres|sqlite] [--sizes seed,10000]
                                          [--repeat 5] [--years 8] [--seed 1]

For each size it builds a fresh registry as `bench/run.py` does (the seed, then
`generate_org`, whose time is the yardstick of a whole replay), then times, in a subprocess
with production settings, each write in a transaction that is rolled back, so that every
repetition starts from the same registry:

- a new dated change dated after everything, of each kind the archivists use most: a rename,
  the move of a leaf, and the move of a unit with about 50 units below it (at the seed size,
  the largest subtree there is), each as its preview and as its apply;
- corrections from the middle of the history: withdrawing a reorganisation, re-dating one by
  a month (a correction that a later reorganisation refuses is timed too: it did the work);
- `replay_structure` of the whole history.

It prints a Markdown table and writes it to bench/results-corrections.md, with the raw
figures in bench/results-corrections.json.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

LATE = datetime.date(2045, 1, 1)  # after every generated reorganisation (at most 2041)


# --- in the measuring subprocess ------------------------------------------------------------


class _RollBack(Exception):
    pass


def timed(write, repeat: int) -> dict:
    """Run `write` `repeat` times, each in a transaction rolled back; the median and the
    slowest in seconds, and whether it was refused."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    times, refused = [], False
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            with transaction.atomic():
                write()
                raise _RollBack
        except _RollBack:
            pass
        except ValidationError:
            refused = True
        times.append(time.perf_counter() - started)
    return {
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "n": repeat,
        "refused": refused,
    }


def units_to_move(date):
    """(a leaf, a unit with about 50 below it, where each can move) on `date`."""
    from orgunits.models import UnitNode

    nodes = list(
        UnitNode.objects.valid_on(date)
        .filter(level__gte=2)
        .values_list("unit__slug", "tree_id", "lft", "rght", "level", "parent__unit__slug")
    )
    leaf = max((n for n in nodes if n[3] == n[2] + 1), key=lambda n: (n[4], n[0]))
    subtree = min(nodes, key=lambda n: (abs((n[3] - n[2] - 1) // 2 - 50), n[0]))
    # Somewhere to go: a unit of level 1 outside the subtree, other than its parent.
    to = next(
        slug
        for slug, tree, lft, rght, level, _parent in UnitNode.objects.valid_on(date)
        .filter(level=1)
        .values_list("unit__slug", "tree_id", "lft", "rght", "level", "parent__unit__slug")
        if not (tree == subtree[1] and lft <= subtree[2] and rght >= subtree[3])
        and slug != subtree[5]
        and slug != leaf[5]
    )
    return leaf[0], subtree[0], (subtree[3] - subtree[2] - 1) // 2, to


def middle_reorganisations():
    from history.models import Reorganisation

    dated = list(Reorganisation.objects.in_force().exclude(date=None).chronological())
    return dated[len(dated) // 2], dated[len(dated) // 2 + 1]


def measure(repeat: int) -> dict:
    import django

    django.setup()
    from history.models import Reorganisation
    from history.preview import preview_reorganisation
    from history.services import (
        Move,
        Rename,
        apply_reorganisation,
        redate_reorganisation,
        replay_structure,
        withdraw_reorganisation,
    )
    from orgunits.models import Unit, UnitNode

    leaf, subtree, below, to = units_to_move(LATE)
    change = {"date": LATE, "reason": "benchmark"}
    kinds = {
        "rename": [Rename(unit=leaf, name="Omdøbt i benchmarken")],
        "move a leaf": [Move(unit=leaf, to=to)],
        f"move a unit with {below} below it": [Move(unit=subtree, to=to)],
    }
    results = {"units": Unit.objects.count(), "placements": UnitNode.objects.count()}
    for name, changes in kinds.items():
        results[f"preview: {name}"] = timed(
            lambda c=changes, n=name: preview_reorganisation(title=n, changes=c, **change),
            repeat,
        )
        results[f"apply: {name}"] = timed(
            lambda c=changes, n=name: apply_reorganisation(title=n, changes=c, **change), repeat
        )
    first, second = middle_reorganisations()
    results["withdraw from the middle"] = timed(
        lambda: withdraw_reorganisation(
            Reorganisation.objects.get(pk=first.pk), reason="benchmark"
        ),
        repeat,
    )
    results["re-date from the middle by a month"] = timed(
        lambda: redate_reorganisation(
            Reorganisation.objects.get(pk=second.pk),
            date=second.date + datetime.timedelta(days=30),
            reason="benchmark",
        ),
        repeat,
    )
    results["replay_structure (whole history)"] = timed(
        lambda: replay_structure(reason="benchmark"), max(1, repeat // 2)
    )
    results["middle"] = [first.key, second.key]
    return results


# --- the orchestrator -----------------------------------------------------------------------


def run(args) -> dict:
    from bench.run import DATABASES, populate, settings_env

    results = {}
    for size in args.sizes.split(","):
        database = DATABASES[args.db](size)
        try:
            env = settings_env(database.url)
            print(f"{args.db}, {size}: preparing the registry", flush=True)
            started = time.perf_counter()
            populate(env, "seed", args)
            seeded = time.perf_counter() - started
            prepared = populate(env, size, args) if size != "seed" else 0.0
            print(f"{args.db}, {size}: timing the writes", flush=True)
            output = subprocess.run(
                [PYTHON, __file__, "--measure", "--repeat", str(args.repeat)],
                cwd=PROJECT,
                env=env,
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            ).stdout
            result = json.loads(output)
            result["seed_seconds"] = round(seeded, 1)
            result["generator_seconds"] = round(prepared, 1)
            results[size] = result
        finally:
            database.drop()
    return results


PYTHON = sys.executable


def report(results: dict, args) -> str:
    from bench.run import machine

    sizes = list(results)
    names = [k for k in results[sizes[0]] if isinstance(results[sizes[0]][k], dict)]
    lines = [
        f"# Writing structure: new dated changes, corrections, replay ({args.db})",
        "",
        f"`{' '.join(sys.argv)}` on {datetime.date.today().isoformat()}; "
        + ", ".join(f"{k}: {v}" for k, v in machine().items()),
        "",
        "Medians of "
        f"{args.repeat} runs, each in a transaction rolled back (slowest in brackets); "
        "'refused' marks a correction a later reorganisation refused, timed all the same.",
        "",
        "| what | " + " | ".join(f"{s} ({results[s]['units']} units)" for s in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for name in sorted(names, key=lambda n: (n.split(":")[0], n)):
        cells = []
        for size in sizes:
            key = name
            if key not in results[size]:  # the subtree moved differs in size per registry
                key = next(
                    (k for k in results[size] if k.split(" with ")[0] == name.split(" with ")[0]),
                    None,
                )
            figure = results[size].get(key) if key else None
            cells.append(
                "—"
                if figure is None
                else f"{figure['median_s']:.2f} s ({figure['max_s']:.2f})"
                + (" refused" if figure["refused"] else "")
                + (f" [{key.split(' with ')[1]}]" if key and " with " in key else "")
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "| generate_org (the yardstick of a whole replay) | "
        + " | ".join(
            f"{results[s]['generator_seconds']:.1f} s" if s != "seed" else "—" for s in sizes
        )
        + " |",
        "",
        "Reorganisations corrected from the middle: "
        + "; ".join(f"{s}: {', '.join(results[s]['middle'])}" for s in sizes),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--sizes", default="seed,10000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--years", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=PROJECT / "bench")
    args = parser.parse_args()
    if args.measure:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialforvaltning.settings")
        print(json.dumps(measure(args.repeat)))
        return
    results = run(args)
    text = report(results, args)
    print(text)
    (args.out / "results-corrections.md").write_text(text + "\n")
    (args.out / "results-corrections.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
