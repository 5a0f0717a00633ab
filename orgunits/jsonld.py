"""The structure on a date as JSON-LD, in the W3C Organization Ontology.

The @context is inline: the machines that read the export may be offline.
"""

import datetime

from .structure import Structure

ORG = "http://www.w3.org/ns/org#"


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
        "dct:date": {"@type": "xsd:date"},
        "sof:notBefore": {"@type": "xsd:date"},
        "sof:notAfter": {"@type": "xsd:date"},
        "sof:placedFrom": {"@type": "xsd:date"},
        "sof:placedUntil": {"@type": "xsd:date"},
    }


def unit_iri(base_url: str, slug: str) -> str:
    return f"{base_url}/units/{slug}/"


def organisation_graph(*, base_url: str, date: datetime.date, nodes, reorganisations) -> dict:
    """`nodes`: UnitNode.objects.tree_on(date) with unit identifiers prefetched;
    `reorganisations`: those that took effect by `date`, with changes and units loaded."""
    graph = []
    root_iri = None
    # The nodes valid on a date form a tree: every parent is among them, earlier in tree order.
    slug_of_node = {}
    for node in nodes:
        slug_of_node[node.pk] = node.unit.slug
        unit = node.unit
        iri = unit_iri(base_url, unit.slug)
        name = unit.name_on(date)
        kind, target_group = Structure.classification(node)
        item = {
            "@id": iri,
            "@type": "org:FormalOrganization"
            if node.parent_id is None
            else "org:OrganizationalUnit",
            "sof:kind": kind,
        }
        if name:
            item["skos:prefLabel"] = {"@value": name.name, "@language": "da"}
            if name.short_name:
                item["skos:altLabel"] = {"@value": name.short_name, "@language": "da"}
        if node.parent_id is None:
            root_iri = root_iri or iri
        else:
            item["org:subOrganizationOf"] = unit_iri(base_url, slug_of_node[node.parent_id])
            if root_iri:
                item["org:unitOf"] = root_iri
        if target_group:
            item["sof:targetGroup"] = target_group
        if unit.description:
            item["dct:description"] = {"@value": unit.description, "@language": "da"}
        identifiers = [
            {"@value": ident.value, "@type": f"sof:{ident.scheme}"}
            for ident in unit.identifiers.all()
        ]
        if identifiers:
            item["org:identifier"] = identifiers
        if node.valid_from:
            item["sof:placedFrom"] = node.valid_from.isoformat()
        if node.valid_to:
            item["sof:placedUntil"] = node.valid_to.isoformat()
        graph.append(item)

    for reorganisation in reorganisations:
        original, resulting = set(), set()
        for change in reorganisation.changes.all():
            if change.kind == "created":
                resulting.add(change.unit.slug)
            elif change.kind in ("merged", "split"):
                original.add(change.unit.slug)
                resulting.add(change.target.slug)
            elif change.kind == "dissolved":
                original.add(change.unit.slug)
            else:
                original.add(change.unit.slug)
                resulting.add(change.unit.slug)
        event = {
            "@id": f"{base_url}/changes/{reorganisation.pk}/",
            "@type": "org:ChangeEvent",
            "dct:title": {"@value": reorganisation.title, "@language": "da"},
            "sof:dateCertainty": reorganisation.certainty,
        }
        if reorganisation.date:
            event["dct:date"] = reorganisation.date.isoformat()
        if reorganisation.not_before:
            event["sof:notBefore"] = reorganisation.not_before.isoformat()
        if reorganisation.not_after:
            event["sof:notAfter"] = reorganisation.not_after.isoformat()
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
