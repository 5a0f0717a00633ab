"""The structure on a date as JSON-LD, in the W3C Organization Ontology.

The @context is inline: the machines that read the export may be offline.
"""

import datetime
import json
from dataclasses import dataclass

from django.db.models import F, Prefetch, Q
from django.http import HttpResponse

from orgunits.models import Reading, UnitNode, placement_of_each, placements_of_units
from orgunits.structure import Structure
from socialforvaltning.asof import AsOf
from socialforvaltning.periods import Dating, is_valid_on

ORG = "http://www.w3.org/ns/org#"

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


def _changes_not_loaded(nodes) -> set:
    """The changes that opened or closed the nodes, where the nodes do not carry them: rows
    as recorded earlier carry only their ids (UnitNode.objects.tree_on loads them)."""
    ids = set()
    for node in nodes:
        for field in ("opened_by", "closed_by"):
            if getattr(node, f"{field}_id") and not UnitNode._meta.get_field(field).is_cached(node):
                ids.add(getattr(node, f"{field}_id"))
    return ids


def _datings_of_changes(change_ids: set) -> dict:
    """How certain the date of each change is: its reorganisation's dating (one query)."""
    if not change_ids:
        return {}
    from history.models import Change

    changes = Change.objects.filter(pk__in=change_ids).select_related("reorganisation")
    return {c.pk: c.reorganisation.dating for c in changes}


# How a reorganisation's changes name the units of its org:ChangeEvent. The ontology's
# originalOrganization is a unit that existed before the event, its resultingOrganization one
# "created or changed as a result of the event". So every unit a change is about, and every
# unit that gained or lost a unit or a task by it (a move's old and new parent, a merger's or
# split's result, the receiver of tasks, the sub-units a merger or split carries into its
# result), is an original if it existed the day before the
# event and a result if it exists on the day of it: a unit the event ends (dissolved, merged
# away, split up) is only an original, a unit it creates only a result. Documented in
# docs/exports.md.
@dataclass(frozen=True)
class _Carried:
    pk: int
    slug: str


def _involved(change) -> list:
    return [u for u in (change.unit, change.target, change.previous_parent) if u is not None]


def _periods_of_involved_units(reorganisations) -> tuple[dict, dict]:
    """The placements' periods of every unit the reorganisations' changes involve, and the
    units a merger or split carried into its result, by reorganisation (one query, the units
    chosen in SQL: a long registry's list of them would outgrow SQLite's limit on
    parameters)."""
    from history.models import Change

    changes = Change.objects.filter(reorganisation__in=reorganisations.values("pk"))
    joins = changes.filter(kind__in=[Change.Kind.MERGED, Change.Kind.SPLIT])
    # A sub-unit a merger carries gets a node under the result, opened by the merger.
    carried_nodes = UnitNode.objects.filter(
        opened_by__in=joins.values("pk"), parent__unit_id=F("opened_by__target_id")
    )
    involved = (
        Q(unit_id__in=changes.values("unit_id"))
        | Q(unit_id__in=changes.values("target_id"))
        | Q(unit_id__in=changes.values("previous_parent_id"))
        | Q(unit_id__in=carried_nodes.values("unit_id"))
    )
    periods, carried = {}, {}
    rows = UnitNode.objects.filter(involved).values_list(
        "unit_id",
        "unit__slug",
        "valid_from",
        "valid_to",
        "opened_by__kind",
        "opened_by__reorganisation_id",
        "opened_by__target_id",
        "parent__unit_id",
    )
    for unit_id, slug, start, end, kind, reorganisation_id, target_id, parent_id in rows:
        periods.setdefault(unit_id, []).append((start, end))
        joined = kind in (Change.Kind.MERGED, Change.Kind.SPLIT)
        if joined and parent_id == target_id and unit_id != target_id:
            carried.setdefault(reorganisation_id, {})[unit_id] = slug
    return periods, carried


def change_event_units(reorganisation, periods: dict, carried: dict) -> tuple[set, set]:
    """The slugs of the event's original and resulting organisations (see above)."""
    date, day_before = reorganisation.date, reorganisation.day_before
    original, resulting = set(), set()
    units = [u for change in reorganisation.changes.all() for u in _involved(change)]
    units += [_Carried(pk, slug) for pk, slug in carried.get(reorganisation.pk, {}).items()]
    for unit in units:
        spans = periods.get(unit.pk, [])
        if day_before is not None and any(is_valid_on(*s, day_before) for s in spans):
            original.add(unit.slug)
        if date is None or any(is_valid_on(*s, date) for s in spans):
            resulting.add(unit.slug)
    return original, resulting


def unit_iri(base_url: str, slug: str) -> str:
    return f"{base_url}/units/{slug}/"


def unit_item(
    base_url: str, node, date, *, parent_iri, root_iri, placement, datings: dict, disputes
) -> dict:
    """One unit placed on `date` as an org:OrganizationalUnit (org:FormalOrganization at the
    top): its names, kind, parent, identifiers, and since when it sat there, with certainty."""
    unit = node.unit
    iri = unit_iri(base_url, unit.slug)
    name = unit.name_on(date)
    kind, target_group = Structure.classification(node)
    item = {
        "@id": iri,
        "@type": "org:OrganizationalUnit" if parent_iri else "org:FormalOrganization",
        "sof:kind": kind,
    }
    if name:
        item["skos:prefLabel"] = {"@value": name.name, "@language": "da"}
        if name.short_name:
            item["skos:altLabel"] = {"@value": name.short_name, "@language": "da"}
    readings = unit.readings(name, Structure.own_kind(node))
    if readings:
        item["sof:inferredProperty"] = [READING_PROPERTIES[r] for r in readings]
    if parent_iri is not None:
        item["org:subOrganizationOf"] = parent_iri
        if root_iri:
            item["org:unitOf"] = root_iri
    if target_group:
        item["sof:targetGroup"] = target_group
    if unit.description:
        item["dct:description"] = {"@value": unit.description, "@language": "da"}
    identifiers = [
        {"@value": ident.value, "@type": f"sof:{ident.scheme}"} for ident in unit.identifiers.all()
    ]
    if identifiers:
        item["org:identifier"] = identifiers
    # The placement may have begun on an earlier node, and go on on a later one.
    first, last = placement.first, placement.last
    item.update(_dating(datings.get(first.opened_by_id) or first.start_dating, "placedFrom"))
    if last.valid_to:
        end = datings.get(last.closed_by_id) or last.end_dating
        item.update(_dating(end, "placedUntil"))
        if end.is_exact:  # the last day is known only where the end is
            item["sof:placedLastDay"] = placement.last_day.isoformat()
    disputed = [
        prop
        for prop, change_id in (
            ("sof:placedFrom", first.opened_by_id),
            ("sof:placedUntil", last.closed_by_id),
        )
        if disputes.of_change(change_id)
    ]
    if disputed:
        item["sof:disputedProperty"] = disputed
    return item


def organisation_graph(
    *, base_url: str, date: datetime.date, nodes, placements: dict, reorganisations
) -> dict:
    """`nodes`: UnitNode.objects.tree_on(date) with unit identifiers prefetched;
    `placements`: the placement of each node by id (`Structure.placements`);
    `reorganisations`: those that took effect by `date`, with changes and units loaded."""
    from history.models import Disputes

    nodes = list(nodes)
    datings = _datings_of_changes(_changes_not_loaded(nodes))
    disputes = Disputes()
    graph = []
    root_iri = None
    # The nodes valid on a date form a tree: every parent is among them, earlier in tree order.
    slug_of_node = {}
    for node in nodes:
        slug_of_node[node.pk] = node.unit.slug
        parent_iri = unit_iri(base_url, slug_of_node[node.parent_id]) if node.parent_id else None
        graph.append(
            unit_item(
                base_url,
                node,
                date,
                parent_iri=parent_iri,
                root_iri=root_iri,
                placement=placements[node.pk],
                datings=datings,
                disputes=disputes,
            )
        )
        if node.parent_id is None:
            root_iri = root_iri or unit_iri(base_url, node.unit.slug)

    periods, carried = _periods_of_involved_units(reorganisations)
    for reorganisation in reorganisations:
        original, resulting = change_event_units(reorganisation, periods, carried)
        event = {
            "@id": f"{base_url}/changes/{reorganisation.pk}/",
            "@type": "org:ChangeEvent",
            "dct:title": {"@value": reorganisation.title, "@language": "da"},
            **_dating(reorganisation.dating, "date"),
        }
        if reorganisation.pk in disputes.reorganisations:
            event["sof:sourcesDisagree"] = True
        if original:
            event["org:originalOrganization"] = [unit_iri(base_url, s) for s in sorted(original)]
        if resulting:
            event["org:resultingOrganization"] = [unit_iri(base_url, s) for s in sorted(resulting)]
        graph.append(event)

    # A description of the export itself; no top-level @id, which would make the whole
    # export a named graph that plain RDF readers put aside.
    about = {
        "@id": f"{base_url}/export/org.jsonld?date={date.isoformat()}",
        "dct:title": {"@value": "Socialforvaltningens organisation", "@language": "da"},
        "dct:valid": date.isoformat(),
    }
    return {"@context": context(base_url), "@graph": [about, *graph]}


def unit_document(base_url: str, node, date: datetime.date, *, parent_slug, root_slug) -> dict:
    """One unit's page as JSON-LD (`/units/<slug>/` asked for application/ld+json): the unit
    as the structure export has it on `date`, with the same @context."""
    from history.models import Disputes

    item = unit_item(
        base_url,
        node,
        date,
        parent_iri=unit_iri(base_url, parent_slug) if parent_slug else None,
        root_iri=unit_iri(base_url, root_slug) if root_slug else None,
        placement=placement_of_each([node], placements_of_units([node.unit_id]))[node.pk],
        datings={},
        disputes=Disputes(),
    )
    item["dct:valid"] = date.isoformat()
    return {"@context": context(base_url), **item}


def reorganisations_as_of(as_of: AsOf):
    """The reorganisations in force that took effect by the date (or have no date), as the
    registry knew them at `as_of.recorded` if given, with their changes and units."""
    from history.models import Change, Reorganisation

    date = as_of.date
    reorganisations = Reorganisation.objects.in_force().filter(
        Q(date__lte=date) | Q(date__isnull=True)
    )
    if as_of.recorded is not None:
        recorded = Reorganisation.history.filter(history_date__lte=as_of.recorded)
        reorganisations = reorganisations.filter(pk__in=recorded.values("id"))
    changes = Change.objects.select_related("unit", "target", "previous_parent")
    return reorganisations.prefetch_related(Prefetch("changes", queryset=changes)).chronological()


def unit_named(base_url: str, unit, date: datetime.date) -> dict:
    """A unit not placed on `date`, asked for as JSON-LD: its name, and no more."""
    return {
        "@context": context(base_url),
        "@id": unit_iri(base_url, unit.slug),
        "@type": "org:OrganizationalUnit",
        "skos:prefLabel": {"@value": unit.name_at(date), "@language": "da"},
        "dct:valid": date.isoformat(),
    }


def response(document: dict) -> HttpResponse:
    """A JSON-LD document as the registry serves it: UTF-8, indented, readable."""
    return HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=1),
        content_type="application/ld+json; charset=utf-8",
    )
