"""The structure on a date as JSON-LD, in the W3C Organization Ontology.

The @context is inline: the machines that read the export may be offline.
"""

import datetime
import itertools
import json
from collections.abc import Iterator

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Collate
from django.http import HttpResponse

import orgunits.rows
from orgunits.models import Reading, UnitNode, placement_of_each, placements_of_units
from orgunits.rows import UnitRow, row_of_node, walk
from socialforvaltning.asof import AsOf
from socialforvaltning.periods import Dating

ORG = "http://www.w3.org/ns/org#"
DATING_FIELDS = ("date", "certainty", "not_before", "not_after")

# The property that carries each part of a unit's record the registry infers.
READING_PROPERTIES = {
    Reading.NAME: "skos:prefLabel",
    Reading.SHORT_NAME: "skos:altLabel",
    Reading.KIND: "sof:kind",
}


def context(base_url: str) -> dict:
    as_id = {"@type": "@id"}
    return {
        "org": ORG,
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "dct": "http://purl.org/dc/terms/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "sof": f"{base_url}/vocab#",
        "org:subOrganizationOf": as_id,
        "org:unitOf": as_id,
        "org:originalOrganization": as_id,
        "org:resultingOrganization": as_id,
        "sof:inferredProperty": as_id,
        "sof:disputedProperty": as_id,
        "dct:date": {"@type": "xsd:date"},
        "sof:notBefore": {"@type": "xsd:date"},
        "sof:notAfter": {"@type": "xsd:date"},
        "sof:placedFrom": {"@type": "xsd:date"},
        "sof:placedUntil": {"@type": "xsd:date"},
        "sof:placedLastDay": {"@type": "xsd:date"},
        "sof:placedFromNotBefore": {"@type": "xsd:date"},
        "sof:placedFromNotAfter": {"@type": "xsd:date"},
        "sof:placedUntilNotBefore": {"@type": "xsd:date"},
        "sof:placedUntilNotAfter": {"@type": "xsd:date"},
    }


def _dating(dating: Dating, prop: str) -> dict:
    """A date with its certainty (`sof:<prop>Certainty`) and, for a range, its bounds:
    `date` gives dct:date, sof:dateCertainty, sof:notBefore, sof:notAfter (the names the
    change events have always had); other properties their own prefixed names."""
    if prop == "date":
        names = ("dct:date", "sof:dateCertainty", "sof:notBefore", "sof:notAfter")
    else:
        names = (
            f"sof:{prop}",
            f"sof:{prop}Certainty",
            f"sof:{prop}NotBefore",
            f"sof:{prop}NotAfter",
        )
    values = (dating.date, dating.certainty, dating.not_before, dating.not_after)
    return {
        name: value.isoformat() if isinstance(value, datetime.date) else str(value)
        for name, value in zip(names, values, strict=True)
        if value is not None
    }


# How a reorganisation's changes name the units of its org:ChangeEvent. The ontology's
# originalOrganization is a unit that existed before the event, its resultingOrganization one
# "created or changed as a result of the event". So every unit a change is about, and every
# unit that gained or lost a unit or a task by it (a move's old and new parent, a merger's or
# split's result, the receiver of tasks, the sub-units a merger or split carries into its
# result), is an original if it existed the day before the event and a result if it exists on
# the day of it: a unit the event ends (dissolved, merged away, split up) is only an original,
# a unit it creates only a result. Documented in docs/exports.md.
def _placed_around(nodes: str, date: str) -> tuple[Count, Count]:
    """How many placements of a unit (`nodes` leads to them) held the day before `date` (a
    reference to the reorganisation's date), and how many on the day: in days, the day before
    a date is before it, and a period ending on the date held the day before. Counted in one
    join and grouping, not looked up row by row."""
    starts = Q(**{f"{nodes}__valid_from__isnull": True})
    ends = Q(**{f"{nodes}__valid_to__isnull": True})
    before = (starts | Q(**{f"{nodes}__valid_from__lt": F(date)})) & (
        ends | Q(**{f"{nodes}__valid_to__gte": F(date)})
    )
    on = (starts | Q(**{f"{nodes}__valid_from__lte": F(date)})) & (
        ends | Q(**{f"{nodes}__valid_to__gt": F(date)})
    )
    return Count(nodes, filter=before), Count(nodes, filter=on)


def event_units(reorganisations) -> tuple[QuerySet, QuerySet]:
    """Each event's original and resulting organisations (see above), as two queries of
    (date, reorganisation id, slug) rows, each unit once an event, in the events' order
    (`chronological()`) and by slug within an event, so that they are written as they are
    read (`_graph`): the units its changes involve and those a merger or split carried into
    its result, with whether each existed the day before and on the day, counted in SQL. An
    event without a date has no day before it: every unit it names is a result."""
    from history.models import Change

    changes = Change.objects.filter(reorganisation__in=reorganisations.values("pk"))
    named = [
        (changes.filter(**{f"{field}__isnull": False}), field, "reorganisation")
        for field in ("unit", "target", "previous_parent")
    ]
    # A sub-unit a merger or split carries gets a node under the result, opened by it.
    joins = changes.filter(kind__in=[Change.Kind.MERGED, Change.Kind.SPLIT])
    carried = (
        UnitNode.objects.filter(opened_by__in=joins.values("pk"))
        .filter(parent__unit_id=F("opened_by__target_id"))
        .exclude(unit_id=F("opened_by__target_id"))
    )
    named.append((carried, "unit", "opened_by__reorganisation"))
    originals, results = (
        [_named(rows, unit, event, resulting=side) for rows, unit, event in named]
        for side in (False, True)
    )
    # One query a side, so that each is read once: UNION (not UNION ALL) names a unit once
    # an event, and a UNION is ordered by the names of its first query's columns.
    by_event = (F("event_date").asc(nulls_first=True), "event", "unit_slug")
    return (
        originals[0].union(*originals[1:]).order_by(*by_event),
        results[0].union(*results[1:]).order_by(*by_event),
    )


def _named(rows, unit: str, event: str, *, resulting: bool) -> QuerySet:
    """The (date, reorganisation id, slug) of the `unit` of each of `rows` on one side of
    its `event`: a result if it exists on the day (or the event has no date), an original if
    it existed the day before."""
    before, on = _placed_around(f"{unit}__nodes", f"{event}__date")
    dated = Q(**{f"{event}__date__isnull": False})
    kept = (~dated | Q(held_on__gt=0)) if resulting else (dated & Q(held_before__gt=0))
    return (
        rows.values("pk")
        .alias(held_before=before, held_on=on)
        .filter(kept)
        .order_by()
        .annotate(
            event_date=F(f"{event}__date"),
            event=F(f"{event}_id"),
            unit_slug=_in_code_point_order(f"{unit}__slug"),
        )
        .values_list("event_date", "event", "unit_slug")
    )


def _in_code_point_order(field: str):
    """A text column that sorts as Python sorts strings, by code point, as the export has
    always ordered slugs: PostgreSQL's collation may follow a locale, and a Danish one puts
    "aa" (read "å") after "ab"; SQLite compares the bytes of UTF-8, code point order already."""
    if connection.vendor == "postgresql":
        return Collate(F(field), "C")
    return F(field)


class Streamed:
    """An array written as it is read (`chunks`), not held: `values`, any iterable, read once
    when the array is written. json.dumps cannot write it."""

    def __init__(self, values):
        self.values = values

    def __iter__(self):
        return iter(self.values)


class _Named:
    """The units each event names on one side, read off one of `event_units`' queries in the
    events' order: `of` an event is its units, given lazily, or None where it names none. An
    event's units are read when it is written, before the next event asks for its own; rows
    left unread, or of an event not asked for, are passed over."""

    def __init__(self, rows):
        self._rows = iter(rows)
        self._head = next(self._rows, None)

    def of(self, date: datetime.date | None, pk: int) -> Iterator[str] | None:
        while self._head is not None and _chronological(*self._head[:2]) < _chronological(date, pk):
            self._head = next(self._rows, None)
        if self._head is None or self._head[1] != pk:
            return None
        return self._slugs(pk)

    def _slugs(self, pk: int) -> Iterator[str]:
        while self._head is not None and self._head[1] == pk:
            yield self._head[2]
            self._head = next(self._rows, None)


def _chronological(date: datetime.date | None, pk: int) -> tuple:
    """The order of `chronological()`: undated first, then by date, then by id."""
    return (date is not None, date or datetime.date.min, pk)


def unit_iri(base_url: str, slug: str) -> str:
    return f"{base_url}/units/{slug}/"


def unit_item(base_url: str, unit: UnitRow, *, parent_iri, root_iri, disputes) -> dict:
    """One unit placed on a date as an org:OrganizationalUnit (org:FormalOrganization at the
    top): its names, kind, parent, identifiers, and since when it sat there, with certainty."""
    item = {
        "@id": unit_iri(base_url, unit.slug),
        "@type": "org:OrganizationalUnit" if parent_iri else "org:FormalOrganization",
        "sof:kind": unit.kind,
    }
    if unit.name is not None:
        item["skos:prefLabel"] = {"@value": unit.name, "@language": "da"}
        if unit.short_name:
            item["skos:altLabel"] = {"@value": unit.short_name, "@language": "da"}
    if unit.readings:
        item["sof:inferredProperty"] = [READING_PROPERTIES[r] for r in unit.readings]
    if parent_iri is not None:
        item["org:subOrganizationOf"] = parent_iri
        if root_iri:
            item["org:unitOf"] = root_iri
    if unit.target_group:
        item["sof:targetGroup"] = unit.target_group
    if unit.description:
        item["dct:description"] = {"@value": unit.description, "@language": "da"}
    identifiers = [
        {"@value": value, "@type": f"sof:{scheme}"} for scheme, value in unit.identifiers
    ]
    if identifiers:
        item["org:identifier"] = identifiers
    # The placement may have begun on an earlier node, and go on on a later one.
    placement = unit.placement
    item.update(_dating(placement.start_dating, "placedFrom"))
    if placement.valid_to:
        end = placement.end_dating
        item.update(_dating(end, "placedUntil"))
        if end.is_exact:  # the last day is known only where the end is
            item["sof:placedLastDay"] = placement.last_day.isoformat()
    disputed = [
        prop
        for prop, change_id in (
            ("sof:placedFrom", placement.opened_by_id),
            ("sof:placedUntil", placement.closed_by_id),
        )
        if disputes.of_change(change_id)
    ]
    if disputed:
        item["sof:disputedProperty"] = disputed
    return item


def organisation_graph(*, base_url: str, date: datetime.date, rows, reorganisations) -> dict:
    """The structure on `date` as a JSON-LD document whose graph is an iterator, written as
    it is read (`chunks`): `rows`, the units placed on the date in tree order (`orgunits.rows`);
    `reorganisations`, those that took effect by `date`, with changes and units loaded."""
    # A description of the export itself; no top-level @id, which would make the whole
    # export a named graph that plain RDF readers put aside.
    about = {
        "@id": f"{base_url}/export/org.jsonld?date={date.isoformat()}",
        "dct:title": {"@value": "Socialforvaltningens organisation", "@language": "da"},
        "dct:valid": date.isoformat(),
    }
    graph = itertools.chain(
        [about], _graph(base_url=base_url, rows=rows, reorganisations=reorganisations)
    )
    return {"@context": context(base_url), "@graph": graph}


def _graph(*, base_url: str, rows, reorganisations) -> Iterator[dict]:
    from history.models import Disputes

    disputes = Disputes()
    root_iri = None
    for unit, parent in walk(rows):
        parent_iri = unit_iri(base_url, parent.slug) if parent else None
        yield unit_item(base_url, unit, parent_iri=parent_iri, root_iri=root_iri, disputes=disputes)
        if unit.parent_id is None:
            root_iri = root_iri or unit_iri(base_url, unit.slug)

    # The events' units are read a batch at a time, as the tree is.
    originals, results = (
        _Named(query.iterator(chunk_size=orgunits.rows.BATCH))
        for query in event_units(reorganisations)
    )
    events = reorganisations.values_list("pk", "title", *DATING_FIELDS)
    for pk, title, *dated in events.iterator():
        dating = Dating(*dated)
        event = {
            "@id": f"{base_url}/changes/{pk}/",
            "@type": "org:ChangeEvent",
            "dct:title": {"@value": title, "@language": "da"},
            **_dating(dating, "date"),
        }
        if pk in disputes.reorganisations:
            event["sof:sourcesDisagree"] = True
        # Lazily: the founding reorganisation of a large registry names nearly every unit.
        for prop, named in (
            ("org:originalOrganization", originals),
            ("org:resultingOrganization", results),
        ):
            slugs = named.of(dating.date, pk)
            if slugs is not None:
                event[prop] = Streamed(unit_iri(base_url, slug) for slug in slugs)
        yield event


def unit_document(base_url: str, node, date: datetime.date, *, parent_slug, root_slug) -> dict:
    """One unit's page as JSON-LD (`/units/<slug>/` asked for application/ld+json): the unit
    as the structure export has it on `date`, with the same @context."""
    from history.models import Disputes

    placement = placement_of_each([node], placements_of_units([node.unit_id]))[node.pk]
    item = unit_item(
        base_url,
        row_of_node(node, date, placement),
        parent_iri=unit_iri(base_url, parent_slug) if parent_slug else None,
        root_iri=unit_iri(base_url, root_slug) if root_slug else None,
        disputes=Disputes(),
    )
    item["dct:valid"] = date.isoformat()
    return {"@context": context(base_url), **item}


def reorganisations_as_of(as_of: AsOf):
    """The reorganisations in force that took effect by the date (or have no date), as the
    registry knew them at `as_of.recorded` if given."""
    from history.models import Reorganisation

    date = as_of.date
    reorganisations = Reorganisation.objects.in_force().filter(
        Q(date__lte=date) | Q(date__isnull=True)
    )
    if as_of.recorded is not None:
        recorded = Reorganisation.history.filter(history_date__lte=as_of.recorded)
        reorganisations = reorganisations.filter(pk__in=recorded.values("id"))
    return reorganisations.chronological()


def unit_named(base_url: str, unit, date: datetime.date) -> dict:
    """A unit not placed on `date`, asked for as JSON-LD: its name, and no more."""
    return {
        "@context": context(base_url),
        "@id": unit_iri(base_url, unit.slug),
        "@type": "org:OrganizationalUnit",
        "skos:prefLabel": {"@value": unit.name_at(date), "@language": "da"},
        "dct:valid": date.isoformat(),
    }


CONTENT_TYPE = "application/ld+json; charset=utf-8"


def response(document: dict) -> HttpResponse:
    """A JSON-LD document as the registry serves it: UTF-8, indented, readable."""
    return HttpResponse(json.dumps(document, **_WRITTEN), content_type=CONTENT_TYPE)


def chunks(document: dict, size: int | None = None) -> Iterator[str]:
    """`document` as `response` writes it, in pieces of about `size` characters (`PIECE`),
    its "@graph" (the last key; any iterable) written item by item as it is read, never
    whole, and an item's `Streamed` arrays value by value; the head goes first, before the
    graph is read. The bytes are those of `json.dumps(…, indent=1)` of the same document,
    arrays whole: an item's lines are indented two levels deeper (JSON strings hold no raw
    line breaks)."""
    size = size or PIECE
    head = json.dumps({k: v for k, v in document.items() if k != "@graph"}, **_WRITTEN)
    yield head[: -len("\n}")] + ',\n "@graph": ['
    pending, length, items = [], 0, 0
    for item in document["@graph"]:
        pending.append(",\n  " if items else "\n  ")
        items += 1
        for text in _item(item):
            pending.append(text)
            length += len(text)
            if length >= size:
                yield "".join(pending)
                pending, length = [], 0
    pending.append("\n ]\n}" if items else "]\n}")
    yield "".join(pending)


def _item(item) -> Iterator[str]:
    """An item of the graph as json.dumps writes it two levels deep: whole, or, where it
    is a dict with `Streamed` arrays, key by key and their values one by one."""
    # Looked for without a Python loop: most items, the units, have none.
    if not (isinstance(item, dict) and Streamed in map(type, item.values())):
        yield _indented(item, 2)
        return
    for n, (key, value) in enumerate(item.items()):
        yield ("," if n else "{") + "\n   " + _ENCODER.encode(key) + ": "
        if not isinstance(value, Streamed):
            yield _indented(value, 3)
            continue
        empty = True
        for element in value:
            yield ("[" if empty else ",") + "\n    " + _indented(element, 4)
            empty = False
        yield "[]" if empty else "\n   ]"
    yield "\n  }"


def _indented(value, depth: int) -> str:
    """`value` as json.dumps writes it `depth` levels deep in the document."""
    return _ENCODER.encode(value).replace("\n", "\n" + " " * depth)


PIECE = 64 * 1024  # characters a streamed response is written in at a time
_WRITTEN = {"ensure_ascii": False, "indent": 1}
# The encoder json.dumps(…, **_WRITTEN) makes for each call, made once: an event writes
# thousands of values.
_ENCODER = json.JSONEncoder(**_WRITTEN)
