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
from collections import Counter
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


def units_to_move(date, sizes=(11, 50)):
    """(a leaf, {size: a unit with about that many below it}, where each can move) on `date`.
    11 is the most the seed has below a unit that can move: the size compared across sizes."""
    from orgunits.models import UnitNode

    # In the largest tree: the generated organisation, once there is one.
    on_date = UnitNode.objects.valid_on(date)
    tree = Counter(on_date.values_list("tree_id", flat=True)).most_common(1)[0][0]
    nodes = list(
        on_date.filter(level__gte=2, tree_id=tree).values_list(
            "unit__slug", "tree_id", "lft", "rght", "level", "parent__unit__slug"
        )
    )
    leaf = max((n for n in nodes if n[3] == n[2] + 1), key=lambda n: (n[4], n[0]))
    subtrees = {
        size: min(nodes, key=lambda n: (abs((n[3] - n[2] - 1) // 2 - size), n[0])) for size in sizes
    }
    level_one = list(
        UnitNode.objects.valid_on(date)
        .filter(level=1)
        .values_list("unit__slug", "tree_id", "lft", "rght", "parent__unit__slug")
    )
    moves = {}
    for size, subtree in subtrees.items():
        # Somewhere to go: a unit of level 1 outside the subtree, other than its parent.
        to = next(
            slug
            for slug, tree, lft, rght, _parent in level_one
            if not (tree == subtree[1] and lft <= subtree[2] and rght >= subtree[3])
            and slug != subtree[5]
            and slug != leaf[5]
        )
        moves[size] = (subtree[0], to, (subtree[3] - subtree[2] - 1) // 2)
    return leaf[0], moves


def a_move_in_the_middle():
    """A move of a unit with about 11 below it, dated the day after the middle reorganisation
    in force: found late, as archivists find sources, and entered out of order. (A generated
    reorganisation creates units that hold tasks from their first day: withdrawing one, or
    dating it later, strands those tasks and is refused, so it says little about the cost
    of a correction that goes through.)"""
    from history.changes import Move
    from history.models import Reorganisation

    dated = list(Reorganisation.objects.in_force().exclude(date=None).chronological())
    date = dated[len(dated) // 2].date + datetime.timedelta(days=1)
    _leaf, moves = units_to_move(date, sizes=(11,))
    unit, to, below = moves[11]
    return date, Move(unit=unit, to=to), below


def measure(repeat: int) -> dict:
    import django

    django.setup()
    from history.changes import Move, Rename
    from history.models import Reorganisation
    from history.preview import preview_correction, preview_reorganisation
    from history.services import (
        apply_reorganisation,
        redate_reorganisation,
        replay_structure,
        withdraw_reorganisation,
    )
    from orgunits.models import Unit, UnitNode

    results = {"units": Unit.objects.count(), "placements": UnitNode.objects.count()}
    leaf, moves = units_to_move(LATE)
    change = {"date": LATE, "reason": "benchmark"}
    kinds = {
        "rename": [Rename(unit=leaf, name="Omdøbt i benchmarken")],
        "move a leaf": [Move(unit=leaf, to=next(iter(moves.values()))[1])],
    }
    for size, (subtree, to, below) in moves.items():
        kinds[f"move a unit with about {size} below it"] = [Move(unit=subtree, to=to)]
        results[f"below: {size}"] = below
    for name, changes in kinds.items():
        results[f"preview: {name}"] = timed(
            lambda c=changes, n=name: preview_reorganisation(title=n, changes=c, **change),
            repeat,
        )
        results[f"apply: {name}"] = timed(
            lambda c=changes, n=name: apply_reorganisation(title=n, changes=c, **change), repeat
        )

    date, move, below = a_move_in_the_middle()
    middle = {"title": "benchmark: found late", "date": date, "changes": [move]}
    results["below: in the middle"] = below
    results["apply: a move in the middle (out of order)"] = timed(
        lambda: apply_reorganisation(**middle, reason="benchmark"), repeat
    )
    results["preview: a move in the middle (out of order)"] = timed(
        lambda: preview_reorganisation(**middle, reason="benchmark"), repeat
    )
    entered = apply_reorganisation(**middle, reason="benchmark")  # kept: corrected below
    for name, correct, kwargs in (
        ("withdraw from the middle", withdraw_reorganisation, {}),
        (
            "re-date from the middle by a month",
            redate_reorganisation,
            {"date": date + datetime.timedelta(days=30)},
        ),
    ):

        def corrected(c=correct, k=kwargs):
            c(Reorganisation.objects.get(pk=entered.pk), reason="benchmark", **k)

        def previewed(c=correct, k=kwargs):
            reorganisation = Reorganisation.objects.get(pk=entered.pk)
            preview_correction(c, reorganisation, reason="benchmark", **k)

        results[name] = timed(corrected, repeat)
        results[f"preview: {name}"] = timed(previewed, repeat)
    results["replay_structure (whole history)"] = timed(
        lambda: replay_structure(reason="benchmark"), max(1, repeat // 2)
    )
    results["middle"] = f"{move.unit} ({below} below it) to {move.to} on {date}"
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
            figure = results[size].get(name)
            below = name.split(" about ")[1].split()[0] if " about " in name else None
            cells.append(
                "—"
                if figure is None
                else f"{figure['median_s']:.2f} s ({figure['max_s']:.2f})"
                + (" refused" if figure["refused"] else "")
                + (f" [{results[size][f'below: {below}']} below]" if below else "")
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "| generate_org (the yardstick of a whole replay) | "
        + " | ".join(
            f"{results[s]['generator_seconds']:.1f} s" if s != "seed" else "—" for s in sizes
        )
        + " |",
        "",
        "Corrected in the middle: a move entered out of order, the day after the middle "
        "reorganisation (a generated one creates units holding tasks from their first day: "
        "withdrawing one strands them and is refused). "
        + "; ".join(f"{s}: {results[s]['middle']}" for s in sizes),
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
