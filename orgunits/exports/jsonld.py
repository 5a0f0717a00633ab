"""The structure on a date as JSON-LD, in the W3C Organization Ontology.

The @context is inline: the machines that read the export may be offline.
"""

import datetime
import heapq
import itertools
import json
from collections.abc import Iterator

from django.db.models import Count, F, Q
from django.http import HttpResponse

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


def event_units(reorganisations) -> Iterator[tuple[int, tuple[set, set, set]]]:
    """Each event's original and resulting organisations, and every unit it involves (see
    above), as slugs, by reorganisation id in the order of `reorganisations`
    (`chronological()`): the units its changes involve and those a merger or split carried
    into its result, with whether each existed the day before and on the day, counted in SQL
    (four queries, read side by side in that order: one event's units held at a time)."""
    from history.models import Change

    changes = Change.objects.filter(reorganisation__in=reorganisations.values("pk"))
    rows = []
    for field in ("unit", "target", "previous_parent"):
        before, on = _placed_around(f"{field}__nodes", "reorganisation__date")
        rows.append(
            changes.filter(**{f"{field}__isnull": False})
            .values("pk", "reorganisation_id", f"{field}__slug")
            .annotate(was=before, is_=on)
            .order_by(F("reorganisation__date").asc(nulls_first=True), "reorganisation_id")
            .values_list(
                "reorganisation__date", "reorganisation_id", f"{field}__slug", "was", "is_"
            )
        )
    # A sub-unit a merger or split carries gets a node under the result, opened by it.
    joins = changes.filter(kind__in=[Change.Kind.MERGED, Change.Kind.SPLIT])
    before, on = _placed_around("unit__nodes", "opened_by__reorganisation__date")
    event = "opened_by__reorganisation"
    rows.append(
        UnitNode.objects.filter(opened_by__in=joins.values("pk"))
        .filter(parent__unit_id=F("opened_by__target_id"))
        .exclude(unit_id=F("opened_by__target_id"))
        .values("pk", f"{event}_id", "unit__slug")
        .annotate(was=before, is_=on)
        .order_by(F(f"{event}__date").asc(nulls_first=True), f"{event}_id")
        .values_list(f"{event}__date", f"{event}_id", "unit__slug", "was", "is_")
    )
    merged = heapq.merge(
        *(query.iterator() for query in rows),
        key=lambda row: (row[0] is not None, row[0] or datetime.date.min, row[1]),
    )
    for reorganisation_id, involved in itertools.groupby(merged, key=lambda row: row[1]):
        original, resulting, every = set(), set(), set()
        for _date, _id, slug, was, is_ in involved:
            every.add(slug)
            if was:
                original.add(slug)
            if is_:
                resulting.add(slug)
        yield reorganisation_id, (original, resulting, every)


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

    found = event_units(reorganisations)
    next_found = next(found, None)
    events = reorganisations.values_list("pk", "title", *DATING_FIELDS)
    for pk, title, *dated in events.iterator():
        dating = Dating(*dated)
        original, resulting, every = set(), set(), set()
        if next_found is not None and next_found[0] == pk:  # in the same order
            (original, resulting, every), next_found = next_found[1], next(found, None)
        if dating.date is None:  # no day before it, and every unit it names results
            original, resulting = set(), every
        event = {
            "@id": f"{base_url}/changes/{pk}/",
            "@type": "org:ChangeEvent",
            "dct:title": {"@value": title, "@language": "da"},
            **_dating(dating, "date"),
        }
        if pk in disputes.reorganisations:
            event["sof:sourcesDisagree"] = True
        if original:
            event["org:originalOrganization"] = [unit_iri(base_url, s) for s in sorted(original)]
        if resulting:
            event["org:resultingOrganization"] = [unit_iri(base_url, s) for s in sorted(resulting)]
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
    whole; the head goes first, before the graph is read. The bytes are those of
    `json.dumps(…, indent=1)` of the same document: an item's lines are indented two levels
    deeper (JSON strings hold no raw line breaks)."""
    size = size or PIECE
    head = json.dumps({k: v for k, v in document.items() if k != "@graph"}, **_WRITTEN)
    yield head[: -len("\n}")] + ',\n "@graph": ['
    pending, length, items = [], 0, 0
    for item in document["@graph"]:
        text = json.dumps(item, **_WRITTEN).replace("\n", "\n  ")
        pending += [",\n  " if items else "\n  ", text]
        length += len(text)
        items += 1
        if length >= size:
            yield "".join(pending)
            pending, length = [], 0
    pending.append("\n ]\n}" if items else "]\n}")
    yield "".join(pending)


PIECE = 64 * 1024  # characters a streamed response is written in at a time
_WRITTEN = {"ensure_ascii": False, "indent": 1}
