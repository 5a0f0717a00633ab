"""Imported passages about a disputed start or end land on the reorganisation they are about,
and only there; what cannot be placed is said, and a refusal names the field (found by the
attacker of issue 13)."""

import datetime

import pytest

from history.loaders.eaccpf.read import ImportFailed
from history.loaders.eaccpf.write import import_records
from history.models import Reorganisation
from orgunits.exports.eaccpf.record import Name, Record, Relation, Source
from orgunits.models import Citation, SourceDocument, Unit
from socialforvaltning.periods import Dating

pytestmark = pytest.mark.django_db

DAY = Dating(datetime.date(2013, 1, 1))


def passage(text: str, key: str, end: str = "start", title: str = "Et referat") -> Source:
    return Source(
        title=title,
        filename=f"{key}.txt",
        document_key=key,
        heading="Referat",
        passage=text,
        role="disputes",
        about=end,  # unused by the importer for these passages; kept for readability
    )


def unit_record(slug: str, **fields) -> Record:
    record = Record(
        slug=slug,
        kind="enhed",
        names=[Name(kind="authorised", name=f"Enhed {slug}", start=DAY)],
        has_exist_dates=True,
        exists_from=DAY,
        relations=[Relation("hierarchical-parent", "socialforvaltningen", start=DAY)],
    )
    for name, value in fields.items():
        setattr(record, name, value)
    return record


def disputing_texts(slug: str) -> set:
    reorganisation = Reorganisation.objects.get(changes__unit__slug=slug, changes__kind="created")
    return set(reorganisation.citations.values_list("excerpt", flat=True))


def test_records_naming_no_event_keep_their_own_disputed_starts(archivist):
    a = unit_record("upl-a", start_disputes=[passage("A begyndte senere.", "one")])
    b = unit_record("upl-b", start_disputes=[passage("B begyndte tidligere.", "two")])
    import_records([("a.xml", a), ("b.xml", b)], user=archivist, reason="Import")
    assert disputing_texts("upl-a") == {"A begyndte senere."}
    assert disputing_texts("upl-b") == {"B begyndte tidligere."}


def test_an_end_dispute_is_not_cited_on_a_split_that_does_not_end_the_unit(archivist):
    split_day, end = Dating(datetime.date(2013, 6, 1)), Dating(datetime.date(2014, 1, 1))
    record = unit_record(
        "upl-c",
        exists_to=end,
        end_disputes=[passage("Enheden sluttede først i 2015.", "three", end="end")],
        relations=[
            Relation("hierarchical-parent", "socialforvaltningen", start=DAY, end=end),
            Relation("temporal-later", "oekonomiservice", start=split_day, change="split"),
        ],
    )
    import_records([("c.xml", record)], user=archivist, reason="Import")
    cited = dict(
        Reorganisation.objects.filter(changes__unit__slug="upl-c", citations__isnull=False)
        .values_list("date", "citations__excerpt")
        .distinct()
    )
    assert cited == {datetime.date(2014, 1, 1): "Enheden sluttede først i 2015."}


def test_passages_that_cannot_be_cited_are_reported_not_dropped_in_silence(archivist):
    record = unit_record("upl-d", end_disputes=[passage("Sluttede 2015.", "four", end="end")])
    record.unread_passages = 1  # a paragraph the reader could not make sense of
    result = import_records([("d.xml", record)], user=archivist, reason="Import")
    said = [m for m in result.messages if "existDates" in m]
    assert len(said) == 1 and "2" in said[0] and "d.xml" in said[0]


def test_a_passage_without_a_file_name_is_not_pinned_on_a_document_of_another_title(archivist):
    source = passage("Et andet dokument siger noget andet.", "plan", title="Et helt andet dokument")
    source.filename = ""
    import_records(
        [("e.xml", unit_record("upl-e", start_disputes=[source]))], user=archivist, reason="x"
    )
    citation = Citation.objects.get(excerpt="Et andet dokument siger noget andet.")
    assert citation.document.title == "Et helt andet dokument"
    assert SourceDocument.objects.get(key="plan").title.startswith("Socialforvaltningen 2008")


def test_a_refused_import_names_the_record_and_the_field_and_writes_nothing(archivist):
    source = passage("For lang titel.", "five", title="T" * 301)
    units = Unit.objects.count()
    with pytest.raises(ImportFailed) as refused:
        import_records(
            [("f.xml", unit_record("upl-f", start_disputes=[source]))], user=archivist, reason="x"
        )
    message = " ".join(refused.value.messages)
    assert "kildedokument" in message.lower() and "titel" in message
    assert Unit.objects.count() == units
