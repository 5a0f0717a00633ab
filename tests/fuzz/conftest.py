"""Bounds shared by the fuzz tests.

Every fuzz test is derandomised: it draws the same examples on every run, so CI is
reproducible and a failure seen once is seen again (derandomize also keeps Hypothesis from
replaying a local example database). `max_examples` is set per test so that the folder
stays well within CI's budget on SQLite and on PostgreSQL; `examples(n)` scales it.

Hypothesis would refuse function-scoped fixtures (`db`, `client`, a small tree) because they
are not reset between the examples of one test; the tests here account for that on purpose:
the page tests only read, and the write tests roll each example back to a savepoint.
"""

import os

from django.db import transaction
from hypothesis import HealthCheck, Phase, settings

from history import projection
from history.models import Change
from orgunits.models import Unit, UnitNode

# FUZZ_SCALE=20 runs twenty times as many examples, for a longer search before a release.
SCALE = int(os.environ.get("FUZZ_SCALE", "1"))

FUZZ = settings(
    derandomize=True,
    deadline=None,
    print_blob=True,
    # Explaining a failure re-runs it hundreds of times: minutes with a database behind it.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def examples(n: int) -> settings:
    """FUZZ with `n` examples (times FUZZ_SCALE)."""
    return settings(FUZZ, max_examples=n * SCALE)


def tree_numbers_problems_beside_the_generated_organisation() -> list[str]:
    """`orgunits.integrity.tree_numbers_problems`, but for every MPTT tree except the
    generated organisation's, which no change here touches: rebuilding its thousand nodes
    after every step would take seconds. Rebuilt in a transaction that is rolled back."""
    fields = ("pk", "tree_id", "lft", "rght", "level")
    trees = set(
        UnitNode.objects.exclude(unit__slug__startswith="syn-").values_list("tree_id", flat=True)
    )
    nodes = UnitNode.objects.filter(tree_id__in=trees).order_by("pk")
    stored = list(nodes.values_list(*fields))
    with transaction.atomic():
        for tree_id in trees:
            UnitNode.objects.partial_rebuild(tree_id)
        rebuilt = list(nodes.values_list(*fields))
        transaction.set_rollback(True)
    return [
        f"stored MPTT numbers {s} differ from a rebuild's {r}"
        for s, r in zip(stored, rebuilt, strict=True)
        if s != r
    ]


def replay_differences_beside_the_generated_organisation() -> list[str]:
    """`projection.replay_differences()` of the whole registry but the generated organisation,
    which no change here names and nothing connects to the rest: a replay of its thousand
    units after every step would take seconds. A correction replays only what it can affect;
    this replays everything it could have."""
    generated = frozenset(Unit.objects.filter(slug__startswith="syn-").values_list("pk", flat=True))
    reorganisations = frozenset(
        Change.objects.filter(unit__in=generated).values_list("reorganisation_id", flat=True)
    )
    return projection.replay_differences(
        scope=projection.Scope(outside=generated, reorganisations_outside=reorganisations)
    )
