"""Floors for the CSV and JSON-LD exports: what one SQL query and the standard library's writer
cost to produce the same rows, so that an export's time reads as a ratio to the least it could
take (issue 18: within 3× of its floor).

Each floor reads in ONE query (raw SQL through `django.db.connection.cursor()`, the same text
on SQLite and PostgreSQL but for the aggregate of identifiers) the nodes valid on the date,
joined with their unit, its authorised name and its classification on the date, the datings
of the node's ends (the reorganisations of the changes that opened and closed it) and, for the
CSV, the unit's dates of existence. Then the standard library writes what the export writes:
`csv.writer` into a StringIO, the path of names built from a dict; or `json.dumps(indent=1,
ensure_ascii=False)` of a graph of dicts of the export's shape, including its change events
(the second half of the same query, UNION ALL: the units each reorganisation's changes name,
each with whether it existed the day before and on the day).

What a floor leaves out, so that it is a floor: a placement is the node itself (the export
joins runs of nodes under one parent unit, which may start earlier), the sources'
disagreements are not read (a few cells), certainty is a word and two ISO dates rather than
the export's Danish sentence, and a change event names the units its changes name, not the
sub-units a merger carries along. The rows are the same; the bytes come out within a few per
cent, and the table prints them beside the export's.
"""

import csv
import datetime
import io
import json

from django.db import connection
from django.utils import translation

# Columns of the unit rows, in the order of the SELECT below.
UNIT_COLUMNS = [
    *("id", "parent_id", "slug", "name", "short_name", "name_inferred", "short_name_inferred"),
    *("kind", "target_group", "reclassified", "kind_inferred", "description"),
    *("valid_from", "valid_to", "start_date", "start_certainty", "start_not_before"),
    *("start_not_after", "end_date", "end_certainty", "end_not_before", "end_not_after"),
    *("identifiers", "exists_from", "exists_until"),
]


def _valid_on(alias: str) -> str:
    return (
        f"({alias}.valid_from IS NULL OR {alias}.valid_from <= %s) "
        f"AND ({alias}.valid_to IS NULL OR {alias}.valid_to > %s)"
    )


def _identifiers() -> str:
    """The unit's identifiers as one text cell ("scheme value|scheme value")."""
    if connection.vendor == "postgresql":
        aggregate = "string_agg(i.scheme || ' ' || i.value, '|' ORDER BY i.scheme, i.value)"
    else:
        aggregate = "group_concat(i.scheme || ' ' || i.value, '|')"
    return f"(SELECT {aggregate} FROM orgunits_unitidentifier i WHERE i.unit_id = n.unit_id)"


def _existence(column: str, aggregate: str) -> str:
    """The unit's first start or last end over all its nodes; NULL where one is open."""
    return (
        f"(SELECT CASE WHEN COUNT(*) > COUNT(e.{column}) THEN NULL ELSE {aggregate}(e.{column}) "
        f"END FROM orgunits_unitnode e WHERE e.unit_id = n.unit_id)"
    )


def units_sql(*, existence: bool) -> tuple[str, int]:
    """The SELECT of the units valid on a date, in tree order, and how many times it takes
    the date as a parameter."""
    exists = (
        f"{_existence('valid_from', 'MIN')}, {_existence('valid_to', 'MAX')}"
        if existence
        else "NULL, NULL"
    )
    sql = f"""
        SELECT n.id, n.parent_id, u.slug, nm.name, nm.short_name, nm.name_inferred,
               nm.short_name_inferred, COALESCE(cl.kind, u.kind),
               COALESCE(cl.target_group, u.target_group), cl.kind, u.kind_inferred,
               u.description, n.valid_from, n.valid_to,
               ro.date, ro.certainty, ro.not_before, ro.not_after,
               rc.date, rc.certainty, rc.not_before, rc.not_after,
               {_identifiers()}, {exists}, n.tree_id, n.lft, 0
        FROM orgunits_unitnode n
        JOIN orgunits_unit u ON u.id = n.unit_id
        LEFT JOIN orgunits_unitname nm ON nm.unit_id = n.unit_id AND nm.kind = 'authorised'
             AND {_valid_on("nm")}
        LEFT JOIN orgunits_unitclassification cl ON cl.unit_id = n.unit_id
             AND {_valid_on("cl")}
        LEFT JOIN history_change co ON co.id = n.opened_by_id
        LEFT JOIN history_reorganisation ro ON ro.id = co.reorganisation_id
        LEFT JOIN history_change cc ON cc.id = n.closed_by_id
        LEFT JOIN history_reorganisation rc ON rc.id = cc.reorganisation_id
        WHERE {_valid_on("n")}
    """
    return sql, 6


def _iso(value) -> str:
    """A date as ISO text: PostgreSQL gives dates, SQLite text (an aggregate has no type)."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def _unit_rows(cursor, date: datetime.date, *, existence: bool):
    sql, times = units_sql(existence=existence)
    cursor.execute(sql + " ORDER BY n.tree_id, n.lft", [date.isoformat()] * times)
    for row in cursor:
        yield dict(zip(UNIT_COLUMNS, row, strict=False))


# The CSV ----------------------------------------------------------------------------------


def csv_floor(date: datetime.date) -> dict:
    """The CSV's rows by one query and csv.writer: {"rows", "bytes"}."""
    from orgunits.exports.csv import header
    from orgunits.models import Kind, Reading, TargetGroup
    from socialforvaltning.periods import last_day

    with translation.override("da"):
        kinds = {k: str(v) for k, v in Kind.choices}
        groups = {k: str(v) for k, v in TargetGroup.choices}
        readings = {k: str(v) for k, v in Reading.choices}
        exact = str(translation.gettext("exact"))
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(header())
    paths, rows = {}, 0
    with connection.cursor() as cursor:
        for r in _unit_rows(cursor, date, existence=True):
            name = r["name"] or r["slug"]
            parent = paths.get(r["parent_id"])
            paths[r["id"]] = path = f"{parent} / {name}" if parent else name
            read = [readings["name"]] if r["name_inferred"] else []
            if r["short_name_inferred"] and r["short_name"]:
                read.append(readings["short_name"])
            if r["kind_inferred"] and r["reclassified"] is None:
                read.append(readings["kind"])
            valid_to = r["valid_to"]
            writer.writerow(
                [
                    path,
                    r["name"] or "",
                    r["short_name"] or "",
                    kinds.get(r["kind"], r["kind"]),
                    groups.get(r["target_group"], r["target_group"]),
                    _iso(r["exists_from"]),
                    _iso(_day_before(r["exists_until"])),
                    _iso(r["valid_from"]),
                    _iso(last_day(valid_to) if isinstance(valid_to, datetime.date) else valid_to),
                    _certainty(r, exact),
                    "",  # the sources' disagreements: not read by the floor
                    "; ".join(read),
                    (r["identifiers"] or "").replace("|", "; "),
                    r["slug"],
                ]
            )
            rows += 1
    return {"rows": rows, "bytes": len(out.getvalue().encode())}


def _day_before(value):
    if isinstance(value, str) and value:
        value = datetime.date.fromisoformat(value)
    return value - datetime.timedelta(days=1) if value else None


def _certainty(r: dict, exact: str) -> str:
    parts = []
    for end in ("start", "end"):
        certainty = r[f"{end}_certainty"]
        if certainty and certainty != "exact":
            bounds = "–".join(_iso(r[f"{end}_{b}"]) for b in ("not_before", "not_after"))
            parts.append(f"{end}: {certainty} {bounds}")
    return "; ".join(parts) or exact


# JSON-LD ----------------------------------------------------------------------------------

# The change events' half of the query: one row per reorganisation in force by the date and
# unit its changes name, with whether the unit existed the day before it and on its day, in
# the unit rows' columns (a UNION's columns are the first half's): id is the
# reorganisation's, name its title, name_inferred and short_name_inferred the two answers,
# the start's dating its dating; the last three columns order the rows.
EVENTS_SQL = """
    SELECT r.id, NULL, u.slug, r.title, NULL,
           EXISTS (SELECT 1 FROM orgunits_unitnode b WHERE b.unit_id = u.id
                   AND (b.valid_from IS NULL OR b.valid_from < r.date)
                   AND (b.valid_to IS NULL OR b.valid_to >= r.date)),
           EXISTS (SELECT 1 FROM orgunits_unitnode a WHERE a.unit_id = u.id
                   AND (a.valid_from IS NULL OR a.valid_from <= r.date)
                   AND (a.valid_to IS NULL OR a.valid_to > r.date)),
           NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           r.date, r.certainty, r.not_before, r.not_after,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, r.id, 0, 1
    FROM (
        SELECT reorganisation_id, unit_id FROM history_change
        UNION SELECT reorganisation_id, target_id FROM history_change
        UNION SELECT reorganisation_id, previous_parent_id FROM history_change
    ) named
    JOIN history_reorganisation r ON r.id = named.reorganisation_id
    JOIN orgunits_unit u ON u.id = named.unit_id
    WHERE r.status = 'in_force' AND (r.date IS NULL OR r.date <= %s)
"""


def jsonld_floor(date: datetime.date, base_url: str = "https://testserver") -> dict:
    """The JSON-LD export's graph by one query and json.dumps: {"rows", "bytes"} (rows: the
    graph's items, the export's description of itself included)."""
    from orgunits.exports.jsonld import context

    sql, times = units_sql(existence=False)
    params = [date.isoformat()] * (times + 1)
    graph, events, slugs, root = [], {}, {}, None
    with connection.cursor() as cursor:
        # Positions: a UNION is ordered by its columns' numbers (part, tree or event, lft).
        last = len(UNIT_COLUMNS) + 3
        order = f"ORDER BY {last}, {last - 2}, {last - 1}"
        cursor.execute(f"{sql} UNION ALL {EVENTS_SQL} {order}", params)
        for row in cursor:
            r = dict(zip(UNIT_COLUMNS, row, strict=False))
            if row[-1] == 1:
                _event_row(events, r, base_url)
                continue
            slugs[r["id"]] = r["slug"]
            parent = slugs.get(r["parent_id"])
            parent_iri = f"{base_url}/units/{parent}/" if parent else None
            item = _unit_item(r, base_url, parent_iri, root)
            root = root or (item["@id"] if parent is None else None)
            graph.append(item)
    graph += [_event_item(e, base_url) for e in sorted(events.values(), key=_chronological)]
    about = {
        "@id": f"{base_url}/export/org.jsonld?date={date.isoformat()}",
        "dct:title": {"@value": "Socialforvaltningens organisation", "@language": "da"},
        "dct:valid": date.isoformat(),
    }
    document = {"@context": context(base_url), "@graph": [about, *graph]}
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return {"rows": len(document["@graph"]), "bytes": len(text.encode())}


def _dating(prop: str, date, certainty, not_before, not_after) -> dict:
    names = (f"sof:{prop}", f"sof:{prop}Certainty", f"sof:{prop}NotBefore", f"sof:{prop}NotAfter")
    values = (_iso(date), certainty, _iso(not_before), _iso(not_after))
    return {name: value for name, value in zip(names, values, strict=True) if value}


def _unit_item(r: dict, base_url: str, parent_iri: str | None, root: str | None) -> dict:
    item = {
        "@id": f"{base_url}/units/{r['slug']}/",
        "@type": "org:OrganizationalUnit" if parent_iri else "org:FormalOrganization",
        "sof:kind": r["kind"],
    }
    if r["name"]:
        item["skos:prefLabel"] = {"@value": r["name"], "@language": "da"}
        if r["short_name"]:
            item["skos:altLabel"] = {"@value": r["short_name"], "@language": "da"}
    inferred = [
        prop
        for prop, yes in (
            ("skos:prefLabel", r["name_inferred"]),
            ("skos:altLabel", r["short_name_inferred"] and r["short_name"]),
            ("sof:kind", r["kind_inferred"] and r["reclassified"] is None),
        )
        if yes
    ]
    if inferred:
        item["sof:inferredProperty"] = inferred
    if parent_iri:
        item["org:subOrganizationOf"] = parent_iri
        if root:
            item["org:unitOf"] = root
    if r["target_group"]:
        item["sof:targetGroup"] = r["target_group"]
    if r["description"]:
        item["dct:description"] = {"@value": r["description"], "@language": "da"}
    if r["identifiers"]:
        item["org:identifier"] = [
            {"@value": value, "@type": f"sof:{scheme}"}
            for scheme, value in (i.split(" ", 1) for i in r["identifiers"].split("|"))
        ]
    if r["start_certainty"] is not None:
        start = (r["start_date"], r["start_certainty"], r["start_not_before"], r["start_not_after"])
    else:
        start = (r["valid_from"], "exact", None, None)
    item.update(_dating("placedFrom", *start))
    if r["valid_to"]:
        exact = r["end_certainty"] in (None, "exact")
        if r["end_certainty"] is not None:
            end = (r["end_date"], r["end_certainty"], r["end_not_before"], r["end_not_after"])
        else:
            end = (r["valid_to"], "exact", None, None)
        item.update(_dating("placedUntil", *end))
        if exact:
            item["sof:placedLastDay"] = _iso(_day_before(r["valid_to"]))
    return item


def _event_row(events: dict, r: dict, base_url: str) -> None:
    """A row of the events' half: the reorganisation, and one unit its changes name."""
    event = events.setdefault(
        r["id"],
        {
            "id": r["id"],
            "title": r["name"],
            "dating": (r["start_date"], r["start_certainty"])
            + (r["start_not_before"], r["start_not_after"]),
            "original": set(),
            "resulting": set(),
        },
    )
    iri = f"{base_url}/units/{r['slug']}/"
    dated = r["start_date"] is not None
    if dated and r["name_inferred"]:  # existed the day before
        event["original"].add(iri)
    if not dated or r["short_name_inferred"]:  # exists on the day
        event["resulting"].add(iri)


def _chronological(event: dict) -> tuple:
    date = event["dating"][0]
    return (date is not None, _iso(date), event["id"])


def _event_item(event: dict, base_url: str) -> dict:
    date, certainty, not_before, not_after = event["dating"]
    item = {
        "@id": f"{base_url}/changes/{event['id']}/",
        "@type": "org:ChangeEvent",
        "dct:title": {"@value": event["title"], "@language": "da"},
    }
    names = ("dct:date", "sof:dateCertainty", "sof:notBefore", "sof:notAfter")
    values = (_iso(date), certainty, _iso(not_before), _iso(not_after))
    item.update({n: v for n, v in zip(names, values, strict=True) if v})
    if event["original"]:
        item["org:originalOrganization"] = sorted(event["original"])
    if event["resulting"]:
        item["org:resultingOrganization"] = sorted(event["resulting"])
    return item
