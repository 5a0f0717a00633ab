"""Writing units as EAC-CPF records, in EAC-CPF 2010 (revised 2018) and in EAC-CPF 2.0.

`records_for(units)` reads what the records say from the database in a fixed number of queries
whatever the number of units; `to_xml(record, version, base_url=…)` writes one record with lxml.

How the registry's model maps to EAC-CPF (the same in both versions unless said otherwise):

- recordId is the unit's slug; maintenanceStatus is `new` for a draft, `revised` once revised or
  final (never `deletedMerged`, which is about merged duplicate records, not merged units).
- maintenanceHistory is the record's real edit history: every simple-history row of the unit,
  its names, identifiers and placements, with the user (agentType machine for the system user)
  and the reason.
- Dates are never more precise than the registry knows them: an exact date has standardDate; an
  approximate one also the local type `approximate` (and certainty="approximate" in 2.0); a date
  known only within a range has notBefore/notAfter and no standardDate; a start before the
  registry's records, or unknown, has no standardDate either (and status="unknown" in 2.0). An
  open end is left out. A period's end is the date of the change that ended it (the periods are
  half-open); a conventionDeclaration in every record says so.
- Relations: hierarchical-parent / -child for each run of placements under the same parent,
  temporal-earlier / -later for merges and splits (`history.Change`), each dated and linked to
  the related unit's page.
- Local types are URIs in the registry's vocabulary, `<base>/vocab#<term>`.
"""

import datetime
import functools
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from lxml import etree

from history.models import Change, Disputes, Reorganisation
from orgunits.models import (
    Citation,
    Kind,
    RecordStatus,
    Unit,
    UnitIdentifier,
    UnitName,
    UnitNode,
    classification_labels,
    placements_of,
)
from socialforvaltning.lib.people import SYSTEM_USERNAME, public_name
from socialforvaltning.lib.text import NOT_IN_XML
from socialforvaltning.periods import Certainty, Dating

from .record import (
    STRUCTURAL_CHANGES,
    Event,
    Identifier,
    MaintenanceEvent,
    Name,
    Record,
    Relation,
    Source,
    start_of,
)
from .schemas import NS_1, NS_2, V1, V2, XLINK, XML

AGENCY_NAME = "Københavns Kommune, Socialforvaltningen"
ISAAR_CODE = "ISAAR-CPF"
ISAAR_CITATION = (
    "ISAAR(CPF): International Standard Archival Authority Record for Corporate Bodies, "
    "Persons and Families, 2nd edition (International Council on Archives, 2004)"
)
DATES_CODE = "registret-datoer"
# The city archive's convention: the form of a name it authorises (its "skaber" record).
ARCHIVE_CODE = "KSA"
ARCHIVE_CITATION = "Københavns Stadsarkiv: arkivets skaberposter (Starbas)"
VOCAB_CODE = "registret"

# The registry's record languages (ISO 639-2) in which a record's readable text is written.
UI_LANGUAGES = {"dan": "da", "eng": "en"}
# EAC-CPF 2.0 names the levels of detail differently.
DETAIL_LEVELS_2 = {"minimal": "minimal", "partial": "basic", "full": "extended"}

# Characters XML 1.0 cannot hold; a pasted control character must not break an export.


def unit_url(base_url: str, slug: str) -> str:
    return f"{base_url}/units/{slug}/"


def vocab(base_url: str, term: str) -> str:
    return f"{base_url}/vocab#{term}"


def _append_text(element, text: str):
    """`text` after what `element` holds so far (its text, or its last child's tail)."""
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


def paragraphs(text: str) -> list[str]:
    """A text field as paragraphs (split on blank lines); `"\\n\\n".join` gives it back."""
    return text.split("\n\n") if text else []


# Reading records from the database -------------------------------------------------------


def records_for(units: QuerySet) -> list[Record]:
    """The records of `units`, read in a fixed number of queries (for one unit or all)."""
    units = list(
        units.prefetch_related(
            Prefetch(
                "names",
                queryset=UnitName.objects.with_datings(),
            ),
            "identifiers",
            Prefetch("citations", queryset=Citation.objects.select_related("document")),
        )
    )
    ids = [u.pk for u in units]
    nodes = defaultdict(list)
    for node in UnitNode.objects.filter(unit_id__in=ids).with_datings().select_related("parent"):
        nodes[node.unit_id].append(node)
    child_nodes = defaultdict(list)
    for node in (
        UnitNode.objects.filter(parent__unit_id__in=ids)
        .with_datings()
        .select_related("parent", "unit")
    ):
        child_nodes[node.parent.unit_id].append(node)
    # Cross-cutting units are anchored with the head of a unit below the described one.
    cross_cutting = defaultdict(list)
    for node in (
        UnitNode.objects.filter(parent__parent__unit_id__in=ids, unit__kind=Kind.TVAERGAAENDE_ENHED)
        .with_datings()
        .select_related("parent__parent")
    ):
        cross_cutting[node.parent.parent.unit_id].append(node)
    parents_of = defaultdict(list)  # a child unit → its placements under the units described
    for parent_id, placed in child_nodes.items():
        for node in placed:
            parents_of[node.unit_id].append((parent_id, node))
    involved = set(ids) | set(parents_of)
    changes = list(
        Change.objects.in_force()
        .filter(Q(unit_id__in=involved) | Q(target_id__in=involved))
        .filter(kind__in=STRUCTURAL_CHANGES)
        .select_related("reorganisation")
        .order_by(F("reorganisation__date").asc(nulls_first=True), "reorganisation_id", "id")
    )
    changes_of, within_of = defaultdict(list), defaultdict(list)
    for change in changes:
        for unit_id in {change.unit_id, change.target_id} - {None}:
            if unit_id in ids:
                changes_of[unit_id].append(change)
            # A change to a unit below a described one is part of that one's history too
            # (the merger of two of its offices, a move between them).
            day = change.reorganisation.date
            before = change.reorganisation.day_before
            for parent_id, node in parents_of.get(unit_id, ()):
                below = day and (node.is_valid_on(day) or node.is_valid_on(before))
                if below and change not in within_of[parent_id]:
                    within_of[parent_id].append(change)
    related = {n.parent.unit_id for ns in nodes.values() for n in ns if n.parent_id}
    related |= {n.unit_id for ns in child_nodes.values() for n in ns}
    related |= {n.unit_id for ns in cross_cutting.values() for n in ns}
    related |= {n.parent.unit_id for ns in cross_cutting.values() for n in ns}
    related |= {c.unit_id for c in changes} | {c.target_id for c in changes if c.target_id}
    names = _Names(UnitName.objects.authorised().filter(unit_id__in=related | set(ids)))
    slugs = dict(Unit.objects.filter(pk__in=related).values_list("pk", "slug"))
    citations = _part_citations(units)
    history = _history(ids)
    disputes = Disputes()
    return [
        _record(
            unit,
            nodes=sorted(nodes[unit.pk], key=_start_key),
            child_nodes=sorted(child_nodes[unit.pk], key=lambda n: (n.unit_id, _start_key(n))),
            cross_cutting=cross_cutting[unit.pk],
            changes=changes_of[unit.pk],
            changes_within=within_of[unit.pk],
            names=names,
            slugs=slugs,
            citations=citations,
            history=history[unit.pk],
            disputes=disputes,
        )
        for unit in units
    ]


def _start_key(node) -> tuple:
    return (node.valid_from is not None, node.valid_from or datetime.date.min)


class _Names:
    """Authorised names of the units a batch of records mentions, to name related units."""

    def __init__(self, names: Iterable[UnitName]):
        self.by_unit = defaultdict(list)
        for name in names:
            self.by_unit[name.unit_id].append(name)
        for unit_names in self.by_unit.values():
            unit_names.sort(key=_start_key)

    def on(self, unit_id: int, day: datetime.date | None, default: str) -> str:
        names = self.by_unit.get(unit_id) or []
        if not names:
            return default
        if day is None:
            return names[0].name
        valid = [n for n in names if n.is_valid_on(day)]
        if valid:
            return valid[0].name
        ended = [n for n in names if n.valid_to is not None and n.valid_to <= day]
        return (ended[-1] if ended else names[0]).name


def _part_citations(units) -> dict:
    """Citations of the units' names and identifiers, by (model, object id)."""
    name_ids = [n.pk for u in units for n in u.names.all()]
    identifier_ids = [i.pk for u in units for i in u.identifiers.all()]
    types = ContentType.objects.get_for_models(UnitName, UnitIdentifier)
    found = defaultdict(list)
    query = Q(content_type=types[UnitName], object_id__in=name_ids) | Q(
        content_type=types[UnitIdentifier], object_id__in=identifier_ids
    )
    for citation in Citation.objects.filter(query).select_related("document"):
        model = UnitName if citation.content_type_id == types[UnitName].pk else UnitIdentifier
        found[(model, citation.object_id)].append(citation)
    return found


def _history(ids: list[int]) -> dict[int, list]:
    """Every historical row of the units and of their names, identifiers and placements."""
    rows = defaultdict(list)
    trials = Reorganisation.objects.trial_moments()
    tables = [
        (Unit.history.filter(id__in=ids), "id"),
        (UnitName.history.filter(unit_id__in=ids), "unit_id"),
        (UnitIdentifier.history.filter(unit_id__in=ids), "unit_id"),
        (UnitNode.history.filter(unit_id__in=ids), "unit_id"),
    ]
    for order, (queryset, unit_field) in enumerate(tables):
        for row in queryset.exclude(history_date__in=trials).select_related("history_user"):
            rows[getattr(row, unit_field)].append((row.history_date, order, row.history_id, row))
    return {unit_id: [r[-1] for r in sorted(rows[unit_id])] for unit_id in ids}


def _source(citation, about: str = "") -> Source:
    return Source(
        title=citation.document.title,
        filename=citation.document.filename,
        document_key=citation.document.key,
        heading=citation.heading,
        passage=citation.excerpt,
        role=citation.role,
        note=citation.note,
        about=about,
    )


def _disputes_of(change_id, disputes) -> list[Source]:
    if not disputes.of_change(change_id):
        return []
    return [_source(c) for c in disputes.citations(disputes.reorganisation_of[change_id])]


def _structure(child_nodes, cross_cutting, names: "_Names") -> list[str]:
    """The units below a unit over time, and the cross-cutting units anchored with their heads,
    in words (EAC-CPF structureOrGenealogy), from the structure: never typed by hand."""
    lines = []
    for placement in placements_of(child_nodes):
        unit = placement.first.unit
        name = names.on(unit.pk, placement.valid_from, unit.slug)
        kind = classification_labels(unit.kind, "")[0].lower()
        text = f"{name} ({kind}): {placement.period_display}"
        lines.append((placement.start_dating.sort_key, name, text))
    for placement in placements_of(cross_cutting):
        unit_id, office_id = placement.first.unit_id, placement.parent.unit_id
        name = names.on(unit_id, placement.valid_from, "")
        text = _("%(name)s (cross-cutting, anchored with the head of %(office)s): %(period)s") % {
            "name": name,
            "office": names.on(office_id, placement.valid_from, ""),
            "period": placement.period_display,
        }
        lines.append((placement.start_dating.sort_key, name, text))
    return [text for *_key, text in sorted(lines)]


def _record(
    unit,
    *,
    nodes,
    child_nodes,
    cross_cutting,
    changes,
    changes_within,
    names,
    slugs,
    citations,
    history,
    disputes,
) -> Record:
    record = Record(
        slug=unit.slug,
        kind=unit.kind,
        kind_inferred=unit.kind_inferred,
        target_group=unit.target_group,
        position=unit.position,
        description=unit.description,
        functions=unit.functions,
        mandates=unit.mandates,
        internal_structure=unit.internal_structure,
        archival_type=unit.archival_type,
        record_status=unit.record_status,
        detail_level=unit.detail_level,
        maintenance_notes=unit.maintenance_notes,
        record_language=unit.record_language,
    )
    order = {UnitName.Kind.AUTHORISED: 0, UnitName.Kind.PARALLEL: 1, UnitName.Kind.OTHER: 2}
    unit_names = sorted(
        unit.names.all(),
        key=lambda n: (order.get(n.kind, 3), *_start_key(n), n.pk),
    )
    refs = {}
    for i, name in enumerate(unit_names, 1):
        refs[(UnitName, name.pk)] = f"name-{i}"
        record.names.append(
            Name(
                kind=name.kind,
                name=name.name,
                short_name=name.short_name,
                name_inferred=name.name_inferred,
                short_name_inferred=name.short_name_inferred,
                language=name.language,
                start=start_of(name),
                end=name.end_dating,
                ref=f"name-{i}",
            )
        )
    for i, identifier in enumerate(unit.identifiers.all(), 1):
        refs[(UnitIdentifier, identifier.pk)] = f"identifier-{i}"
        record.identifiers.append(
            Identifier(scheme=identifier.scheme, value=identifier.value, ref=f"identifier-{i}")
        )
    cited = [(c, "") for c in unit.citations.all()]
    for key, ref in refs.items():
        cited += [(c, ref) for c in citations.get(key, ())]
    record.sources = [_source(c, about) for c, about in cited]
    if nodes:
        record.has_exist_dates = True
        record.exists_from = start_of(nodes[0])
        record.exists_to = nodes[-1].end_dating
        record.start_disputes = _disputes_of(nodes[0].opened_by_id, disputes)
        record.end_disputes = _disputes_of(nodes[-1].closed_by_id, disputes)
    for placement in placements_of(nodes):
        if placement.parent_id is not None:
            parent_id = placement.parent.unit_id
            record.relations.append(
                _hierarchical("hierarchical-parent", parent_id, placement, names, slugs)
            )
    children = [
        _hierarchical("hierarchical-child", placement.first.unit_id, placement, names, slugs)
        for placement in placements_of(child_nodes)
    ]
    record.structure = _structure(child_nodes, cross_cutting, names)
    record.relations += sorted(
        children, key=lambda r: ((r.start or Dating(None)).sort_key, r.name, r.slug)
    )
    for change in changes:
        if change.kind not in (Change.Kind.MERGED, Change.Kind.SPLIT):
            continue
        bound = change.reorganisation.dating
        if change.target_id == unit.pk:
            day_before = change.reorganisation.day_before
            record.relations.append(
                Relation(
                    "temporal-earlier",
                    slugs[change.unit_id],
                    names.on(change.unit_id, day_before, slugs[change.unit_id]),
                    start=bound,
                    change=change.kind,
                )
            )
        else:
            record.relations.append(
                Relation(
                    "temporal-later",
                    slugs[change.target_id],
                    names.on(change.target_id, bound.date, slugs[change.target_id]),
                    start=bound,
                    change=change.kind,
                )
            )
    seen = set()
    for change in changes:
        if change.unit_id != unit.pk or (change.reorganisation_id, change.kind) in seen:
            continue
        seen.add((change.reorganisation_id, change.kind))
        record.events.append(
            Event(change.kind, change.reorganisation.dating, change.reorganisation.title)
        )
    own = {c.reorganisation_id for c in changes if c.unit_id == unit.pk}
    for change in changes_within:
        if change.reorganisation_id in own or (change.reorganisation_id, "within") in seen:
            continue
        seen.add((change.reorganisation_id, "within"))
        record.events.append(
            Event("within", change.reorganisation.dating, change.reorganisation.title)
        )
    # By date, then title: the same order in a registry rebuilt from these records.
    record.events.sort(key=lambda e: (e.bound.sort_key, e.title))
    record.maintenance = [_maintenance_event(row, i == 0) for i, row in enumerate(history)]
    return record


def _hierarchical(kind: str, unit_id: int, placement, names: _Names, slugs: dict) -> Relation:
    return Relation(
        kind,
        slugs[unit_id],
        names.on(unit_id, placement.valid_from, slugs[unit_id]),
        start=start_of(placement),
        end=placement.end_dating,
    )


def _maintenance_event(row, first: bool) -> MaintenanceEvent:
    user = row.history_user
    if user is None:
        agent_type, agent = "unknown", _("unknown")
    else:
        agent_type = "machine" if user.username == SYSTEM_USERNAME else "human"
        agent = public_name(user)
    created = first and row.instance_type is Unit and row.history_type == "+"
    return MaintenanceEvent(
        kind="created" if created else "revised",
        moment=row.history_date,
        agent_type=agent_type,
        agent=agent,
        description=row.history_change_reason or "",
    )


# Writing XML ------------------------------------------------------------------------------


def to_xml(record: Record, version: str, *, base_url: str) -> etree._ElementTree:
    """The record as an EAC-CPF document of `version` (V1: 2010 revised, V2: 2.0)."""
    language = UI_LANGUAGES.get(record.record_language, "da")
    with translation.override(language):
        writer = (_Writer1 if version == V1 else _Writer2)(base_url)
        return etree.ElementTree(writer.record(record))


def to_bytes(record: Record, version: str, *, base_url: str) -> bytes:
    return etree.tostring(
        to_xml(record, version, base_url=base_url),
        xml_declaration=True,
        encoding="UTF-8",
        pretty_print=True,
    )


def zip_of(records: Sequence[Record], *, base_url: str, progress=None) -> bytes:
    """Every record in both versions, `<slug>.eac-cpf.xml` and `<slug>.eac-cpf-2.xml`.
    `progress(done, total)` is told as records are written (the background job's progress)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, record in enumerate(records):
            if progress is not None:
                progress(done, len(records))
            for version, suffix in ((V1, "eac-cpf.xml"), (V2, "eac-cpf-2.xml")):
                archive.writestr(
                    f"{record.slug}.{suffix}", to_bytes(record, version, base_url=base_url)
                )
    return buffer.getvalue()


def _text(value) -> str:
    value = str(value)
    return NOT_IN_XML.sub("", value) if NOT_IN_XML.search(value) else value


class _Writer:
    """What both versions share: building elements, dates, and the order of the parts."""

    ns: str

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.language = translation.get_language()
        self.tags = {}
        self.labels = {
            "heading": _("Heading"),
            "passage": _("Passage"),
            "fileName": _("File"),
            "documentKey": _("Document key"),
            "role": _("Role"),
            "note": _("Note"),
            "about": _("About"),
            "disputes": _("The sources disagree about"),
            "documentTitle": _("Document"),
        }

    def vocab(self, term: str) -> str:
        return vocab(self.base_url, term)

    def sub(self, parent, tag: str, text=None, **attributes):
        qualified = self.tags.get(tag) or self.tags.setdefault(tag, f"{{{self.ns}}}{tag}")
        element = etree.SubElement(parent, qualified)
        for name, value in attributes.items():
            if value is not None and value != "":
                element.set(_ATTRIBUTE_NAMES.get(name, name), _text(value))
        if text is not None and text != "":
            element.text = _text(text)
        return element

    def date(self, parent, tag: str, bound: Dating):
        """A date element (date, fromDate, toDate) no more precise than `bound`."""
        element = self.sub(parent, tag, _display(bound, self.language))
        if bound.certainty in (Certainty.EXACT, Certainty.APPROXIMATE) and bound.date:
            element.set("standardDate", bound.date.isoformat())
        if bound.certainty == Certainty.RANGE:
            if bound.not_before:
                element.set("notBefore", bound.not_before.isoformat())
            if bound.not_after:
                element.set("notAfter", bound.not_after.isoformat())
        local = _certainty_term(bound)
        if local:
            element.set("localType", self.vocab(local))
        self.date_extras(element, bound)
        return element

    def date_extras(self, element, bound: Dating):
        pass

    def date_range(self, parent, start: Dating | None, end: Dating | None):
        """A dateRange from `start` (None: not known at all) to `end` (None: open)."""
        element = self.sub(parent, "dateRange")
        self.date(element, "fromDate", start or Dating(None, Certainty.UNKNOWN))
        if end is not None:  # the last day the period held (the importer adds the day back)
            self.date(element, "toDate", end.shifted(-1))
        return element

    def relation_dates(self, parent, relation: Relation):
        if relation.kind.startswith("temporal"):
            self.date(parent, "date", relation.start)
        else:
            self.date_range(parent, relation.start, relation.end)

    def note_paragraphs(self, parent, source: Source, *, with_heading: bool):
        """The parts of a citation as labelled paragraphs; each value in a span whose local
        type says what it is, so that the importer reads them back."""
        note = self.sub(parent, "descriptiveNote")
        parts = [
            ("heading", source.heading if with_heading else ""),
            ("passage", source.passage),
            ("fileName", source.filename),
            ("documentKey", source.document_key),
            ("role", source.role if source.role != "supports" else ""),
            ("note", source.note),
            ("about", source.about),
        ]
        for term, value in parts:
            if value:
                p = self.sub(note, "p", f"{self.labels[term]}: ")
                self.sub(p, "span", value, localType=self.vocab(term))
        if not len(note):
            self.sub(note, "p", source.title)
        return note

    def part(self, entry, text: str, inferred: bool):
        """A name's part; one no source writes so is typed as the registry's reading."""
        self.sub(entry, "part", text, localType=self.vocab("registryReading") if inferred else None)

    def reading_note(self, element):
        """Says, readably and in a span the importer reads back, that no source states what
        `element` says."""
        p = self.sub(self.sub(element, "descriptiveNote"), "p")
        self.sub(
            p,
            "span",
            _("The registry's reading: no source states this."),
            localType=self.vocab("registryReading"),
        )

    def structure(self, description, record: Record):
        """structureOrGenealogy: the archivist's text, then the units below over time as a
        list whose local type says it is generated (the importer reads only the text)."""
        if not (record.internal_structure or record.structure):
            return
        element = self.sub(description, "structureOrGenealogy")
        for paragraph in paragraphs(record.internal_structure):
            self.sub(element, "p", paragraph)
        if record.structure:
            listing = self.sub(element, "list", localType=self.vocab("subUnits"))
            for line in record.structure:
                self.sub(listing, "item", line)

    def exist_disputes(self, exist, record: Record):
        """The passages disputing the start or end of the unit's existence, in one note: a
        paragraph each, every value in a span the importer reads back."""
        disputed = [("start", s) for s in record.start_disputes]
        disputed += [("end", s) for s in record.end_disputes]
        if not disputed:
            return
        note = self.sub(exist, "descriptiveNote")
        for end, source in disputed:
            p = self.sub(note, "p")
            for term, value in (
                ("disputes", end),
                ("documentTitle", source.title),
                ("heading", source.heading),
                ("passage", source.passage),
                ("fileName", source.filename),
                ("documentKey", source.document_key),
                ("role", source.role),
                ("note", source.note),
            ):
                if value:
                    _append_text(p, f"{self.labels[term]}: ")
                    self.sub(p, "span", value, localType=self.vocab(term))
                    _append_text(p, " ")

    def agency(self, control):
        agency = self.sub(control, "maintenanceAgency")
        self.sub(agency, "agencyName", AGENCY_NAME)

    def local_controls(self, control, record: Record):
        for term, value in (
            ("position", record.position),
            ("detailLevel", record.detail_level),
            ("maintenanceNotes", record.maintenance_notes),
        ):
            if value not in (None, ""):
                local = self.sub(control, "localControl", localType=self.vocab(term))
                self.sub(local, "term", value)

    def dates_convention_note(self) -> str:
        return _(
            "toDate is the last day on which the period applied (the change that ended it took "
            "effect the day after). A date known only within a range has "
            "notBefore and/or notAfter and no standardDate; an approximate date has the local "
            "type approximate; a start before the registry's records has the local type "
            "beforeRecords. An open end is left out."
        )

    def chronology(self, biog, record: Record):
        if not record.events:
            return
        chron = self.sub(biog, "chronList")
        for event in record.events:
            item = self.sub(chron, "chronItem", localType=self.vocab(event.kind))
            self.date(item, "date", event.bound)
            self.sub(item, "event", event.title)


@functools.lru_cache(maxsize=4096)
def _display(bound: Dating, language: str) -> str:
    """`bound.display()` in `language`, once per date: a zip writes the same dates many times."""
    with translation.override(language):
        return bound.display()


# Keyword arguments of `_Writer.sub` that stand for namespaced attributes.
_ATTRIBUTE_NAMES = {
    "xlink_type": f"{{{XLINK}}}type",
    "xlink_href": f"{{{XLINK}}}href",
    "xlink_arcrole": f"{{{XLINK}}}arcrole",
    "xml_id": f"{{{XML}}}id",
    "xml_lang": f"{{{XML}}}lang",
}


def _certainty_term(bound: Dating) -> str:
    if bound.certainty == Certainty.APPROXIMATE:
        return "approximate"
    if bound.certainty == Certainty.UNKNOWN:
        return "unknown"
    if bound.certainty == Certainty.RANGE:
        return "beforeRecords" if bound.date is None else "range"
    return ""


def _maintenance_status(record: Record) -> str:
    return "new" if record.record_status == RecordStatus.DRAFT else "revised"


def _publication_status(record: Record) -> str:
    return "approved" if record.record_status == RecordStatus.FINAL else "inProcess"


def _moment(value: datetime.datetime) -> str:
    return timezone.localtime(value).replace(microsecond=0).isoformat()


class _Writer1(_Writer):
    """EAC-CPF 2010, revised 2018 (`urn:isbn:1-931666-33-4`)."""

    ns = NS_1

    def record(self, record: Record):
        root = etree.Element(f"{{{NS_1}}}eac-cpf", nsmap={None: NS_1, "xlink": XLINK})
        self.control(root, record)
        description = self.sub(root, "cpfDescription")
        self.identity(description, record)
        self.description(description, record)
        self.relations(description, record)
        return root

    def control(self, root, record: Record):
        control = self.sub(root, "control")
        self.sub(control, "recordId", record.slug)
        self.sub(control, "maintenanceStatus", _maintenance_status(record))
        self.sub(control, "publicationStatus", _publication_status(record))
        self.agency(control)
        if re.fullmatch("[a-z]{3}", record.record_language or ""):
            declaration = self.sub(control, "languageDeclaration")
            self.sub(declaration, "language", languageCode=record.record_language)
            self.sub(declaration, "script", scriptCode="Latn")
        convention = self.sub(control, "conventionDeclaration")
        self.sub(convention, "abbreviation", ISAAR_CODE)
        self.sub(convention, "citation", ISAAR_CITATION)
        convention = self.sub(control, "conventionDeclaration")
        self.sub(convention, "abbreviation", DATES_CODE)
        self.sub(convention, "citation", _("The registry's dates"))
        self.sub(self.sub(convention, "descriptiveNote"), "p", self.dates_convention_note())
        if _has_archive_form(record):
            convention = self.sub(control, "conventionDeclaration")
            self.sub(convention, "abbreviation", ARCHIVE_CODE)
            self.sub(convention, "citation", ARCHIVE_CITATION)
        local_types = self.sub(control, "localTypeDeclaration")
        self.sub(local_types, "abbreviation", VOCAB_CODE)
        self.sub(
            local_types,
            "citation",
            _("The registry's local types"),
            xlink_type="simple",
            xlink_href=self.vocab(""),
        )
        self.local_controls(control, record)
        history = self.sub(control, "maintenanceHistory")
        for event in record.maintenance or [_placeholder_event()]:
            element = self.sub(history, "maintenanceEvent")
            self.sub(element, "eventType", event.kind)
            moment = _moment(event.moment)
            self.sub(element, "eventDateTime", moment, standardDateTime=moment)
            self.sub(element, "agentType", event.agent_type)
            self.sub(element, "agent", event.agent)
            if event.description:
                self.sub(element, "eventDescription", event.description)
        if record.sources:
            sources = self.sub(control, "sources")
            for i, source in enumerate(record.sources, 1):
                element = self.sub(sources, "source", xml_id=f"source-{i}", xlink_type="simple")
                self.sub(element, "sourceEntry", source.title)
                self.note_paragraphs(element, source, with_heading=True)

    def identity(self, parent, record: Record):
        identity = self.sub(parent, "identity")
        for identifier in record.identifiers:
            self.sub(
                identity,
                "entityId",
                identifier.value,
                xml_id=identifier.ref,
                localType=self.vocab(identifier.scheme),
            )
        self.sub(identity, "entityType", "corporateBody")
        for name in record.names:
            self.name_entry(
                identity, name, name.name, name.ref, _name_term(name), name.name_inferred
            )
            if name.short_name:
                self.name_entry(
                    identity, name, name.short_name, "", "shortName", name.short_name_inferred
                )

    def name_entry(self, identity, name: Name, text: str, ref: str, term: str, inferred: bool):
        entry = self.sub(
            identity,
            "nameEntry",
            xml_id=ref,
            xml_lang=name.language,
            localType=self.vocab(term) if term else None,
        )
        self.part(entry, text, inferred)
        if name.start is not None or name.end is not None:
            self.date_range(self.sub(entry, "useDates"), name.start, name.end)
        if term == UnitName.Kind.ARCHIVE:  # authorised, under the archive's convention
            self.sub(entry, "authorizedForm", ARCHIVE_CODE)
        else:
            self.sub(entry, "alternativeForm" if term else "authorizedForm", ISAAR_CODE)

    def description(self, parent, record: Record):
        description = self.sub(parent, "description")
        if record.has_exist_dates:
            exist = self.sub(description, "existDates")
            self.date_range(exist, record.exists_from, record.exists_to)
            self.exist_disputes(exist, record)
        for term, value in (("kind", record.kind), ("targetGroup", record.target_group)):
            if value:
                local = self.sub(description, "localDescription", localType=self.vocab(term))
                self.sub(local, "term", value)
                if term == "kind" and record.kind_inferred:
                    self.reading_note(local)
        if record.archival_type:
            self.sub(self.sub(description, "legalStatus"), "term", record.archival_type)
        for tag, text in (("functions", record.functions), ("mandates", record.mandates)):
            if text:
                element = self.sub(description, tag)
                for paragraph in paragraphs(text):
                    self.sub(element, "p", paragraph)
        self.structure(description, record)
        if record.description or record.events:
            biog = self.sub(description, "biogHist")
            for paragraph in paragraphs(record.description):
                self.sub(biog, "p", paragraph)
            self.chronology(biog, record)

    def relations(self, parent, record: Record):
        if not record.relations:
            return
        relations = self.sub(parent, "relations")
        for relation in record.relations:
            element = self.sub(
                relations,
                "cpfRelation",
                cpfRelationType=relation.kind,
                xlink_type="simple",
                xlink_href=unit_url(self.base_url, relation.slug),
                xlink_arcrole=self.vocab(relation.change) if relation.change else None,
            )
            self.sub(element, "relationEntry", relation.name)
            self.relation_dates(element, relation)


class _Writer2(_Writer):
    """EAC-CPF 2.0 (`https://archivists.org/ns/eac/v2`)."""

    ns = NS_2

    def record(self, record: Record):
        root = etree.Element(f"{{{NS_2}}}eac", nsmap={None: NS_2})
        self.control(root, record)
        description = self.sub(root, "cpfDescription")
        self.identity(description, record)
        self.description(description, record)
        self.relations(description, record)
        return root

    def date_extras(self, element, bound: Dating):
        if bound.certainty == Certainty.APPROXIMATE:
            element.set("certainty", "approximate")
        if bound.date is None:
            element.set("status", "unknown")

    def control(self, root, record: Record):
        control = self.sub(
            root,
            "control",
            maintenanceStatus=_maintenance_status(record),
            publicationStatus=_publication_status(record),
            detailLevel=DETAIL_LEVELS_2.get(record.detail_level),
            languageEncoding="iso639-2b",
            scriptEncoding="iso15924",
            dateEncoding="iso8601",
        )
        self.sub(control, "recordId", record.slug)
        self.agency(control)
        history = self.sub(control, "maintenanceHistory")
        for event in record.maintenance or [_placeholder_event()]:
            element = self.sub(history, "maintenanceEvent", maintenanceEventType=event.kind)
            self.sub(element, "agent", event.agent, agentType=event.agent_type)
            moment = _moment(event.moment)
            self.sub(element, "eventDateTime", moment, standardDateTime=moment)
            if event.description:
                self.sub(element, "eventDescription", event.description)
        if record.sources:
            sources = self.sub(control, "sources")
            for i, source in enumerate(record.sources, 1):
                element = self.sub(sources, "source", id=f"source-{i}")
                self.sub(element, "reference", source.title)
                if source.heading:
                    self.sub(element, "citedRange", source.heading, unit="heading")
                self.note_paragraphs(element, source, with_heading=False)
        convention = self.sub(control, "conventionDeclaration", id="isaar-cpf")
        self.sub(convention, "reference", ISAAR_CITATION)
        self.sub(convention, "shortCode", ISAAR_CODE)
        convention = self.sub(control, "conventionDeclaration", id=DATES_CODE)
        self.sub(convention, "reference", _("The registry's dates"))
        self.sub(convention, "shortCode", DATES_CODE)
        self.sub(self.sub(convention, "descriptiveNote"), "p", self.dates_convention_note())
        if _has_archive_form(record):
            convention = self.sub(control, "conventionDeclaration", id=ARCHIVE_CODE)
            self.sub(convention, "reference", ARCHIVE_CITATION)
            self.sub(convention, "shortCode", ARCHIVE_CODE)
        if re.fullmatch("[a-z]{3}", record.record_language or ""):
            self.sub(
                control,
                "languageDeclaration",
                languageCode=record.record_language,
                scriptCode="Latn",
            )
        self.local_controls(control, record)
        local_types = self.sub(control, "localTypeDeclaration")
        self.sub(local_types, "reference", _("The registry's local types"), href=self.vocab(""))
        self.sub(local_types, "shortCode", VOCAB_CODE)

    def identity(self, parent, record: Record):
        identity = self.sub(parent, "identity")
        self.sub(identity, "entityType", value="corporateBody")
        sources_about = defaultdict(list)
        for i, source in enumerate(record.sources, 1):
            if source.about:
                sources_about[source.about].append(f"source-{i}")
        for name in record.names:
            term = _name_term(name)
            self.name_entry(
                identity, name, name.name, name.ref, term, sources_about, name.name_inferred
            )
            if name.short_name:
                self.name_entry(
                    identity, name, name.short_name, "", "shortName", {}, name.short_name_inferred
                )
        for identifier in record.identifiers:
            self.sub(
                identity,
                "identityId",
                identifier.value,
                id=identifier.ref,
                localType=self.vocab(identifier.scheme),
                sourceReference=" ".join(sources_about.get(identifier.ref, ())),
            )

    def name_entry(self, identity, name: Name, text, ref, term, sources_about, inferred):
        entry = self.sub(
            identity,
            "nameEntry",
            id=ref,
            languageOfElement=name.language,
            localType=self.vocab(term) if term else None,
            # The archive's form is authorised too, under its own convention.
            status="alternative" if term not in ("", UnitName.Kind.ARCHIVE) else "authorized",
            conventionDeclarationReference=ARCHIVE_CODE
            if term == UnitName.Kind.ARCHIVE
            else "isaar-cpf",
            sourceReference=" ".join(sources_about.get(ref, ())),
        )
        self.part(entry, text, inferred)
        if name.start is not None or name.end is not None:
            self.date_range(self.sub(entry, "useDates"), name.start, name.end)

    def description(self, parent, record: Record):
        description = self.sub(parent, "description")
        for tag, item, text in (
            ("functions", "function", record.functions),
            ("legalStatuses", "legalStatus", record.archival_type),
        ):
            if text:
                element = self.sub(description, tag)
                for paragraph in paragraphs(text) if tag == "functions" else [text]:
                    self.sub(self.sub(element, item), "term", paragraph)
        locals_ = [(t, v) for t, v in (("kind", record.kind), ("targetGroup", record.target_group))]
        if any(v for _t, v in locals_):
            element = self.sub(description, "localDescriptions")
            for term, value in locals_:
                if value:
                    local = self.sub(element, "localDescription", localType=self.vocab(term))
                    self.sub(local, "term", value)
                    if term == "kind" and record.kind_inferred:
                        self.reading_note(local)
        if record.mandates:
            element = self.sub(description, "mandates")
            for paragraph in paragraphs(record.mandates):
                self.sub(self.sub(element, "mandate"), "term", paragraph)
        if record.has_exist_dates:
            exist = self.sub(description, "existDates")
            self.date_range(exist, record.exists_from, record.exists_to)
            self.exist_disputes(exist, record)
        self.structure(description, record)
        if record.description or record.events:
            biog = self.sub(description, "biogHist")
            for paragraph in paragraphs(record.description):
                self.sub(biog, "p", paragraph)
            self.chronology(biog, record)

    def relations(self, parent, record: Record):
        if not record.relations:
            return
        relations = self.sub(parent, "relations")
        for relation in record.relations:
            element = self.sub(relations, "relation")
            target = self.sub(
                element,
                "targetEntity",
                targetType="corporateBody",
                valueURI=unit_url(self.base_url, relation.slug),
            )
            self.sub(target, "part", relation.name or relation.slug)
            self.relation_dates(element, relation)
            self.sub(
                element,
                "relationType",
                relation.kind,
                localType=self.vocab(relation.change) if relation.change else None,
            )


def _has_archive_form(record: Record) -> bool:
    return any(name.kind == UnitName.Kind.ARCHIVE for name in record.names)


def _name_term(name: Name) -> str:
    """The local type of a name entry; authorised names have none (authorizedForm says it)."""
    return "" if name.kind == UnitName.Kind.AUTHORISED else name.kind


def _placeholder_event() -> MaintenanceEvent:
    """A record without any history (written around simple-history) still needs one event."""
    return MaintenanceEvent(
        kind="unknown",
        moment=timezone.now(),
        agent_type="unknown",
        agent=_("unknown"),
    )
