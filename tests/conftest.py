"""Shared fixtures: the seed registry (loaded once per test database), a large synthetic
organisation beside it, and the people who use the registry."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from simple_history.utils import bulk_create_with_history

from history.changes import Create
from history.loaders.seed import load_seed
from history.services import apply_reorganisation
from orgunits.models import Unit
from responsibilities.models import Category, Responsibility, Task
from socialforvaltning.lib.people import system_user

# The synthetic organisation exists only from this date, so that every date before it shows
# the seed registry alone and every date after it shows both (≥ 1,000 units).
LARGE_FROM = datetime.date(2100, 1, 1)
LARGE_ON = datetime.date(2100, 6, 1)
LARGE_UNITS = 1_000
TASKS_PER_UNIT = 3


def build_synthetic_organisation(n_units: int, *, date=LARGE_FROM, user=None):
    """A balanced organisation of `n_units` units (depth 5), created in one reorganisation."""
    changes = [
        Create(slug="syn-root", name="Syntetisk forvaltning", parent=None, kind="forvaltning")
    ]
    frontier, made = ["syn-root"], 1
    while made < n_units:
        next_frontier = []
        for parent in frontier:
            for _ in range(6):
                if made >= n_units:
                    break
                slug = f"syn-{made}"
                changes.append(
                    Create(
                        slug=slug,
                        name=f"Syntetisk enhed {made}",
                        parent=parent,
                        kind="kontor",
                        short_name=f"S{made}",
                    )
                )
                next_frontier.append(slug)
                made += 1
        frontier = next_frontier
    return apply_reorganisation(
        key="syntetisk-organisation",
        title="Syntetisk organisation (test)",
        date=date,
        changes=changes,
        user=user,
        reason="Testdata",
    )


def give_synthetic_units_tasks(per_unit: int, *, date=LARGE_FROM, user=None):
    """`per_unit` tasks owned by each synthetic unit from `date`, written in bulk (with their
    history rows): the per-row validation of the seed would make a large registry slow."""
    units = list(Unit.objects.filter(slug__startswith="syn-").order_by("pk"))
    categories = list(Category)
    tasks = []
    for unit in units:
        for k in range(per_unit):
            task = Task(
                slug=f"{unit.slug}-opgave-{k}",
                name=f"Syntetisk opgave {k} for {unit.slug}",
                category=categories[(unit.pk + k) % len(categories)],
                synonyms="syntetisk\ntestopgave",
            )
            task.update_search_text()
            tasks.append(task)
    tasks = bulk_create_with_history(
        tasks, Task, default_user=user, default_change_reason="Testdata"
    )
    by_unit = {unit.slug: unit for unit in units}
    responsibilities = [
        Responsibility(
            task=task,
            unit=by_unit[task.slug.rsplit("-opgave-", 1)[0]],
            role=Responsibility.Role.OWNER,
            valid_from=date,
        )
        for task in tasks
    ]
    bulk_create_with_history(
        responsibilities, Responsibility, default_user=user, default_change_reason="Testdata"
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_seed()
        build_synthetic_organisation(LARGE_UNITS, user=system_user())
        give_synthetic_units_tasks(TASKS_PER_UNIT, user=system_user())
        from django.db import connection

        if connection.vendor == "postgresql":
            # The planner's statistics, as autovacuum would have them on a live registry:
            # without them it plans the freshly filled tables as empty ones.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")


@pytest.fixture
def archivist(db):
    return get_user_model().objects.create_user("arkivar", password="x-test-only-x")


@pytest.fixture(autouse=True)
def clear_cache():
    """Rendered pages are cached under the data version, which a rolled-back test can reuse."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def jobs_run_at_once(settings, tmp_path):
    """In-process tests run background jobs at once, in the request that queues them
    (django-tasks' immediate backend runs the same task code); tests/test_worker.py runs
    the real worker process. Their files go to a folder of the test's own."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "files"
