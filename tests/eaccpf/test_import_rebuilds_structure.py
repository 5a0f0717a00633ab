"""A set of records rebuilds its units' structure: creations, renames, moves, splits, mergers
and dissolutions with the certainty of their dates. The seed has no renames, so this builds a
small organisation that has each kind of change, exports it, imports the records as new units
(under new slugs, beside the originals) and compares the two sets of records."""

import datetime

import pytest
from django.utils import translation
from lxml import etree

from history.changes import Create, Dissolve, Merge, Move, Rename, Split
from history.loaders.eaccpf.write import import_files
from history.services import apply_reorganisation
from orgunits.exports.eaccpf import collect, export
from orgunits.exports.eaccpf.schemas import V1, V2
from orgunits.models import Unit

pytestmark = pytest.mark.django_db

SLUGS = ["t-root", "t-a", "t-b", "t-c", "t-d"]


def reorganise(user, title, date, changes, **certainty):
    apply_reorganisation(
        title=title, date=date, changes=changes, user=user, reason="Testopbygning", **certainty
    )


@pytest.fixture
def organisation(archivist):
    """t-root ── t-a (renamed about 2001, moved under t-b some time in 2001, merged into t-b
    2003), t-b (splits off t-c in 2002 and goes on), t-c (dissolved 2004), t-d (before the
    records, under t-root)."""
    reorganise(
        archivist,
        "Før registret",
        None,
        [Create(slug="t-root", name="Testforvaltning", parent=None, kind="forvaltning")],
        certainty="range",
        not_after=datetime.date(1999, 12, 31),
    )
    reorganise(
        archivist,
        "Udgangspunkt",
        datetime.date(2000, 1, 1),
        [
            Create(slug="t-a", name="Kontor A", short_name="A", parent="t-root", kind="kontor"),
            Create(slug="t-b", name="Kontor B", parent="t-root", kind="kontor"),
            Create(slug="t-d", name="Enhed D", parent="t-root", kind="enhed"),
        ],
    )
    reorganise(
        archivist,
        "A får nyt navn",
        datetime.date(2001, 1, 1),
        [Rename(unit="t-a", name="Kontor A2", short_name="A2")],
        certainty="approximate",
    )
    reorganise(
        archivist,
        "A flyttes under B",
        datetime.date(2001, 12, 31),
        [Move(unit="t-a", to="t-b")],
        certainty="range",
        not_before=datetime.date(2001, 6, 1),
        not_after=datetime.date(2001, 12, 31),
    )
    reorganise(
        archivist,
        "C udskilles fra B",
        datetime.date(2002, 1, 1),
        [
            Create(slug="t-c", name="Kontor C", parent="t-root", kind="kontor"),
            Split(unit="t-b", into=("t-c",), ends=False),
        ],
    )
    reorganise(
        archivist,
        "A lægges ind i B",
        datetime.date(2003, 1, 1),
        [Merge(units=("t-a",), into="t-b")],
    )
    reorganise(archivist, "C nedlægges", datetime.date(2004, 1, 1), [Dissolve(unit="t-c")])


def records(slugs, version, base_url="http://testserver"):
    found = collect.records_for(Unit.objects.filter(slug__in=slugs).order_by("slug"))
    return {r.slug: export.to_bytes(r, version, base_url=base_url) for r in found}


def comparable(content: bytes, prefix: str) -> bytes:
    """The record with the copy's slugs turned back, and without what the import changes on
    purpose: the maintenance history, and reorganisation titles marked as imported."""
    content = content.replace(f"/units/{prefix}".encode(), b"/units/t-")
    content = content.replace(f"<recordId>{prefix}".encode(), b"<recordId>t-")
    content = content.replace(b" (imported from EAC-CPF)", b"")
    root = etree.fromstring(content)
    for history in root.iter("{*}maintenanceHistory"):
        for event in list(history):
            history.remove(event)
    return etree.tostring(root, method="c14n")


@pytest.mark.parametrize("version", [V1, V2])
def test_a_set_of_records_rebuilds_renames_moves_splits_mergers_and_ends(
    organisation, archivist, version
):
    originals = records(SLUGS, version)
    prefix = f"k{version}-"
    copies = [
        (
            f"{slug}.xml",
            content.replace(b"/units/t-", f"/units/{prefix}".encode()).replace(
                b"<recordId>t-", f"<recordId>{prefix}".encode()
            ),
        )
        for slug, content in originals.items()
    ]

    with translation.override("en"):
        result = import_files(copies, user=archivist, reason="Genopbygning")

    assert sorted(result.units) == sorted(s.replace("t-", prefix) for s in SLUGS)
    assert result.messages == []
    rebuilt = records([s.replace("t-", prefix) for s in SLUGS], version)
    for slug, content in originals.items():
        copy = rebuilt[slug.replace("t-", prefix)]
        assert comparable(copy, prefix) == comparable(content, prefix), slug
    renamed = Unit.objects.get(slug=f"{prefix}a")
    assert renamed.name_on(datetime.date(2000, 6, 1)).name == "Kontor A"
    assert renamed.name_on(datetime.date(2002, 6, 1)).name == "Kontor A2"
