import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from history.changes import Create
from history.services import apply_reorganisation
from orgunits.models import Unit
from responsibilities.models import Responsibility, Task

D0 = datetime.date(2000, 1, 1)
D1 = datetime.date(2001, 1, 1)
D2 = datetime.date(2002, 1, 1)


@pytest.fixture(autouse=True)
def fresh_pages(db):
    """Pages are cached under the registry's data version, which a test rolled back can
    repeat with other data: each test starts without cached pages (and with the content
    types the citations need already known, as in a running server)."""
    cache.clear()
    ContentType.objects.get_for_model(Responsibility)


@pytest.fixture
def english(client, settings):
    """A visitor who chose English with the language switch."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    yield client
    # The page activated English for this thread; later tests expect the default again.
    translation.deactivate()


@pytest.fixture
def lookup(client):
    """The lookup's JSON answer: one object per unit holding a matching task on the date."""

    def get(q: str = "", date: str = "", **params) -> list[dict]:
        response = client.get(
            reverse("responsibilities:lookup"), {"q": q, "date": date, "format": "json", **params}
        )
        assert response.status_code == 200, response.content.decode()[:500]
        return response.json()

    return get


@pytest.fixture
def offices(archivist):
    """A small organisation from 2000 beside the seed registry, in which office A owns two
    tasks (and B shares one of them):

    r-root ─┬─ r-a
            └─ r-b
    """
    apply_reorganisation(
        title="Testorganisation med opgaver",
        date=D0,
        user=archivist,
        reason="Testopbygning",
        changes=[
            Create(slug="r-root", name="Testforvaltning", parent=None, kind="forvaltning"),
            Create(slug="r-a", name="Kontor A", parent="r-root", kind="kontor"),
            Create(slug="r-b", name="Kontor B", parent="r-root", kind="kontor"),
        ],
    )
    for slug, name in (("r-budget", "Testbudget"), ("r-tilsyn", "Testtilsyn")):
        task = Task.objects.create(slug=slug, name=name, category="oekonomi", synonyms="r-test")
        give(task, "r-a", start=D0)
    give(Task.objects.get(slug="r-tilsyn"), "r-b", role="partner", start=D0)
    return archivist


def give(task, unit_slug, *, role="owner", start=None, end=None, **fields) -> Responsibility:
    responsibility = Responsibility(
        task=task,
        unit=Unit.objects.get(slug=unit_slug),
        role=role,
        valid_from=start,
        valid_to=end,
        **fields,
    )
    responsibility.full_clean()
    responsibility._change_reason = "Testopbygning"
    responsibility.save()
    return responsibility


def owner_on(task_slug: str, date: datetime.date) -> str | None:
    owner = (
        Responsibility.objects.owners()
        .valid_on(date)
        .filter(task__slug=task_slug)
        .select_related("unit")
        .first()
    )
    return owner.unit.slug if owner else None
