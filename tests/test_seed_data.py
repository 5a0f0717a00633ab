"""The seed data: every fact cites a real passage, and loading it is repeatable."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from history.loaders.seed import TASKS_FIXTURE, read_fixture
from history.models import Change, Reorganisation
from orgunits.models import Citation, Unit, UnitIdentifier

SOURCES = Path(settings.SEED_SOURCES_DIR)


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def documents():
    data = read_fixture()
    return {
        doc["key"]: normalised((SOURCES / doc["file"]).read_text(encoding="utf-8"))
        for doc in data["documents"]
    }


def seed_files():
    """Every seed file with citations: the organisation and the tasks."""
    return [read_fixture(), read_fixture(TASKS_FIXTURE)]


def all_citations(node):
    if isinstance(node, dict):
        if "excerpt" in node and "doc" in node:
            yield node
        for value in node.values():
            yield from all_citations(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_citations(value)


def test_every_cited_excerpt_stands_verbatim_in_its_source(documents):
    citations = list(all_citations(seed_files()))
    assert len(citations) > 600
    missing = [
        (c["doc"], c["excerpt"][:60])
        for c in citations
        if normalised(c["excerpt"]) not in documents[c["doc"]]
    ]
    assert missing == []


def test_every_cited_heading_is_a_heading_of_its_source(documents):
    headings = {
        key: {normalised(h.strip("#* ")) for h in re.split(r"\n", (SOURCES / f).read_text())}
        for key, f in ((d["key"], d["file"]) for d in read_fixture()["documents"])
    }
    wrong = {
        (c["doc"], c["heading"])
        for c in all_citations(seed_files())
        if normalised(c["heading"]) not in headings[c["doc"]]
    }
    assert wrong == set()


@pytest.mark.django_db
def test_every_unit_change_and_reorganisation_cites_a_source():
    assert not Unit.objects.filter(citations__isnull=True).exclude(slug__startswith="syn-")
    assert not Change.objects.filter(citations__isnull=True).exclude(unit__slug__startswith="syn-")
    assert not Reorganisation.objects.filter(citations__isnull=True).exclude(
        key="syntetisk-organisation"
    )
    assert not UnitIdentifier.objects.filter(citations__isnull=True)
    assert Citation.objects.filter(role="disputes").exists()


@pytest.mark.django_db
def test_bootstrap_twice_changes_nothing():
    before = (Unit.objects.count(), Unit.history.count(), Reorganisation.objects.count())
    call_command("bootstrap", verbosity=0)
    assert (Unit.objects.count(), Unit.history.count(), Reorganisation.objects.count()) == before
