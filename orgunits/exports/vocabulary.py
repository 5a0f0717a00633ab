"""The registry's own terms (`sof:` in the JSON-LD, local types in EAC-CPF), each with its
meaning. Their IRIs are `<base>/vocab#<term>`; `/vocab/` serves this list as a page and
`/vocab.jsonld` as RDF, so that a reader who follows an IRI finds what it means. A test
checks that every term the exports use is here."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Term:
    name: str
    group: str
    label: str
    definition: str


DATES = _("Dates and their certainty")
PLACEMENT = _("Placements (JSON-LD)")
UNITS = _("Units")
NAMES = _("Names")
CHANGES = _("Kinds of change")
SOURCES = _("Citations of sources (EAC-CPF)")
RECORDS = _("The record (EAC-CPF)")
IDENTIFIERS = _("Identifiers")

TERMS = [
    Term("exact", DATES, _("exact"), _("The day is known.")),
    Term(
        "approximate",
        DATES,
        _("approximate"),
        _("The date is about this day (“til udgangen af 2008”)."),
    ),
    Term(
        "range",
        DATES,
        _("within a range"),
        _(
            "Some day from notBefore to notAfter; either bound may be open (“på et tidspunkt”, "
            "“senest”, “tidligst”)."
        ),
    ),
    Term("unknown", DATES, _("unknown"), _("No date is known.")),
    Term(
        "beforeRecords",
        DATES,
        _("before the records"),
        _(
            "Since before the registry's sources begin; notAfter, where given, is the latest day "
            "it is known to have held."
        ),
    ),
    Term(
        "dateCertainty",
        DATES,
        _("certainty of the date"),
        _(
            "How certain a change event's date is: exact, approximate, range or unknown (a range "
            "open at its start is also called beforeRecords in EAC-CPF)."
        ),
    ),
    Term("notBefore", DATES, _("not before"), _("The earliest day a date within a range can be.")),
    Term("notAfter", DATES, _("not after"), _("The latest day a date within a range can be.")),
    Term(
        "placedFrom",
        PLACEMENT,
        _("placed from"),
        _("The first day of the unit's placement under its parent valid on the export's date."),
    ),
    Term(
        "placedUntil",
        PLACEMENT,
        _("placed until"),
        _(
            "The day the placement ended: the day of the change that ended it, the first day it "
            "no longer held."
        ),
    ),
    Term(
        "placedLastDay",
        PLACEMENT,
        _("last day placed"),
        _("The last day of the placement, given only where its end is exact."),
    ),
    Term(
        "placedFromCertainty",
        PLACEMENT,
        _("certainty of the start"),
        _("How certain placedFrom is: exact, approximate, range or unknown."),
    ),
    Term(
        "placedUntilCertainty",
        PLACEMENT,
        _("certainty of the end"),
        _("How certain placedUntil is: exact, approximate, range or unknown."),
    ),
    Term(
        "placedFromNotBefore",
        PLACEMENT,
        _("start not before"),
        _("The earliest day the placement can have begun."),
    ),
    Term(
        "placedFromNotAfter",
        PLACEMENT,
        _("start not after"),
        _("The latest day the placement can have begun."),
    ),
    Term(
        "placedUntilNotBefore",
        PLACEMENT,
        _("end not before"),
        _("The earliest day the change that ended the placement can have taken effect."),
    ),
    Term(
        "placedUntilNotAfter",
        PLACEMENT,
        _("end not after"),
        _("The latest day the change that ended the placement can have taken effect."),
    ),
    Term(
        "kind",
        UNITS,
        _("kind of unit"),
        _(
            "What the unit is in the administration: forvaltning, direktion, center, kontor, "
            "sekretariat, cross-cutting unit, post, and so on."
        ),
    ),
    Term(
        "targetGroup",
        UNITS,
        _("target group"),
        _(
            "The citizens a unit's work is aimed at: children and families; the mentally ill and "
            "disabled; the socially marginalised, addiction and housing."
        ),
    ),
    Term(
        "parallel",
        NAMES,
        _("parallel name"),
        _("The unit's name in another language or form used beside the authorised one."),
    ),
    Term(
        "other",
        NAMES,
        _("other name"),
        _("A variant of the unit's name, such as the archive's form of it."),
    ),
    Term("shortName", NAMES, _("short name"), _("The short form of a name (“MR Børn”).")),
    Term(
        "archive",
        NAMES,
        _("the archive's authorised form"),
        _(
            "The form of the unit's name that the City Archives of Copenhagen authorises in its "
            "own record of the creator (“Socialforvaltningen Center for Mål og Rammer”); in "
            "EAC-CPF an authorised form under the archive's convention, KSA."
        ),
    ),
    Term(
        "subUnits",
        UNITS,
        _("units below"),
        _(
            "In EAC-CPF structureOrGenealogy, the units below the unit over time and the "
            "cross-cutting units anchored with their heads, written from the structure."
        ),
    ),
    Term(
        "inferredProperty",
        UNITS,
        _("the registry's reading"),
        _(
            "A property of the unit (its name, short name or kind) whose value no source states: "
            "the registry formed or inferred it (the short name “SOF”, the kind of the three "
            "authority centres)."
        ),
    ),
    Term(
        "disputedProperty",
        PLACEMENT,
        _("the sources disagree"),
        _(
            "A date of the placement (placedFrom, placedUntil) that rests on a reorganisation "
            "the sources disagree about; the change's page gives both passages."
        ),
    ),
    Term(
        "sourcesDisagree",
        CHANGES,
        _("the sources disagree"),
        _(
            "The sources disagree about the change event (the plan brings the handicap area's "
            "new organisation forward to 1 June 2008; the archive dates it with the centre, "
            "1 September 2008); the registry follows the passages it cites as supporting."
        ),
    ),
    Term(
        "registryReading",
        NAMES,
        _("the registry's reading"),
        _(
            "In EAC-CPF, a name part or a description that no source states: the registry formed "
            "or inferred it."
        ),
    ),
    Term("created", CHANGES, _("created"), _("The unit began to exist.")),
    Term(
        "dissolved",
        CHANGES,
        _("dissolved"),
        _("The unit ceased to exist; its tasks may have gone to other units."),
    ),
    Term("renamed", CHANGES, _("renamed"), _("The unit got a new name.")),
    Term("reclassified", CHANGES, _("reclassified"), _("The unit's kind or target group changed.")),
    Term(
        "moved",
        CHANGES,
        _("moved / re-anchored"),
        _(
            "The unit was placed under another unit, or a cross-cutting unit anchored elsewhere, "
            "with the units below it."
        ),
    ),
    Term("merged", CHANGES, _("merged"), _("Units were merged into one; the merged units ended.")),
    Term(
        "split",
        CHANGES,
        _("split"),
        _("A unit was split into several; it ended unless the change says otherwise."),
    ),
    Term(
        "tasks_transferred",
        CHANGES,
        _("tasks transferred"),
        _("Tasks passed from one unit to another, or ended."),
    ),
    Term(
        "within",
        CHANGES,
        _("change below the unit"),
        _("A change to a unit below this one (in an EAC-CPF record's chronology)."),
    ),
    Term(
        "heading",
        SOURCES,
        _("heading"),
        _("The heading in the source document the cited passage stands under."),
    ),
    Term("passage", SOURCES, _("passage"), _("The cited passage, verbatim.")),
    Term("fileName", SOURCES, _("file"), _("The file the source document is kept in.")),
    Term(
        "documentKey", SOURCES, _("document key"), _("The registry's key for the source document.")
    ),
    Term(
        "role",
        SOURCES,
        _("role of the passage"),
        _("“disputes” where the passage says otherwise than the fact it is cited for."),
    ),
    Term("note", SOURCES, _("note"), _("The registry's note on how the passage is read.")),
    Term("about", SOURCES, _("about"), _("What in the record the passage is cited for.")),
    Term(
        "disputes",
        SOURCES,
        _("the sources disagree about"),
        _(
            "In existDates: the end of the unit's existence (start or end) that rests on a "
            "reorganisation the sources disagree about; the paragraph gives one passage about it."
        ),
    ),
    Term("documentTitle", SOURCES, _("document"), _("The title of the cited document.")),
    Term(
        "position", RECORDS, _("position"), _("The unit's order among its siblings on the chart.")
    ),
    Term("detailLevel", RECORDS, _("level of detail"), _("How complete the record is.")),
    Term(
        "maintenanceNotes",
        RECORDS,
        _("maintenance notes"),
        _("Notes on how the record was made and kept."),
    ),
    Term(
        "starbas",
        IDENTIFIERS,
        _("Starbas ID"),
        _("The unit's number in Københavns Stadsarkiv's Starbas."),
    ),
    Term(
        "asta7", IDENTIFIERS, _("ASTA7 ID"), _("The unit's identifier in the archive system ASTA7.")
    ),
]

BY_NAME = {term.name: term for term in TERMS}


def groups() -> list[tuple[str, list[Term]]]:
    """The terms by group, in the order above."""
    grouped: dict = {}
    for term in TERMS:
        grouped.setdefault(str(term.group), []).append(term)
    return list(grouped.items())


def as_jsonld(base_url: str, language: str = "da") -> dict:
    """The vocabulary as RDF: each term a resource with its label and definition (RDFS and
    SKOS, in Danish and English as the page's language gives them)."""
    return {
        "@context": {
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "skos": "http://www.w3.org/2004/02/skos/core#",
        },
        "@graph": [
            {
                "@id": f"{base_url}/vocab#{term.name}",
                "rdfs:label": {"@value": str(term.label), "@language": language},
                "skos:definition": {"@value": str(term.definition), "@language": language},
                "rdfs:isDefinedBy": {"@id": f"{base_url}/vocab"},
            }
            for term in TERMS
        ],
    }
