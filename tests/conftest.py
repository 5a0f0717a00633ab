"""Shared fixtures: the seed registry (loaded once per test database), a large synthetic
organisation beside it, and the people who use the registry."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from history.services import Create, apply_reorganisation
from orgunits.seed import load_seed, system_user

# The synthetic organisation exists only from this date, so that every date before it shows
# the seed registry alone and every date after it shows both (≥ 1,000 units).
LARGE_FROM = datetime.date(2100, 1, 1)
LARGE_ON = datetime.date(2100, 6, 1)
LARGE_UNITS = 1_000


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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_seed()
        build_synthetic_organisation(LARGE_UNITS, user=system_user())


@pytest.fixture
def archivist(db):
    return get_user_model().objects.create_user("arkivar", password="x-test-only-x")
