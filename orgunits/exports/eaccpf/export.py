"""Writing `Record`s (see `collect`) as EAC-CPF records, in EAC-CPF 2010 (revised 2018) and in
EAC-CPF 2.0: one record (`to_xml`, `to_bytes`) or a zip of every record in both (`write_zip`).

How the registry's record maps to EAC-CPF (the same in both versions unless said otherwise):

- recordId is the unit's slug; maintenanceStatus is `new` for a draft, `revised` once revised or
  final (never `deletedMerged`, which is about merged duplicate records, not merged units).
- maintenanceHistory is the record's edit history, with the user (agentType machine for the
  system user) and the reason.
- Dates are never more precise than the registry knows them: an exact date has standardDate; an
  approximate one also the local type `approximate` (and certainty="approximate" in 2.0); a date
  known only within a range has notBefore/notAfter and no standardDate; a start before the
  registry's records, or unknown, has no standardDate either (and status="unknown" in 2.0). An
  open end is left out. A period's end is the date of the change that ended it (the periods are
  half-open); a conventionDeclaration in every record says so.
- Relations are dated and linked to the related unit's page.
- Local types are URIs in the registry's vocabulary, `<base>/vocab#<term>`.

What both versions share is in `writer`.
"""

import re
import zipfile
from collections import defaultdict
from collections.abc import Collection

from django.utils import translation
from lxml import etree

from orgunits.models import RecordStatus, UnitName
from socialforvaltning.periods import Certainty, Dating

from .record import Name, Record
from .schemas import NS_1, NS_2, V1, V2, XLINK
from .writer import Writer, paragraphs

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


def unit_url(base_url: str, slug: str) -> str:
    return f"{base_url}/units/{slug}/"


def writer_for(record: Record, version: str, *, base_url: str) -> Writer:
    """A writer of `version` (V1: 2010 revised, V2: 2.0) in the record's language."""
    with translation.override(UI_LANGUAGES.get(record.record_language, "da")):
        return (_Writer1 if version == V1 else _Writer2)(base_url)


def to_xml(record: Record, version: str, *, base_url: str) -> etree._ElementTree:
    """The record as an EAC-CPF document of `version`."""
    return etree.ElementTree(writer_for(record, version, base_url=base_url).record(record))


def to_bytes(record: Record, version: str, *, base_url: str) -> bytes:
    return _serialised(to_xml(record, version, base_url=base_url))


def _serialised(document: etree._ElementTree) -> bytes:
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_zip(out, records: Collection[Record], *, base_url: str, progress=None) -> None:
    """Every record in both versions, `<slug>.eac-cpf.xml` and `<slug>.eac-cpf-2.xml`, as a
    zip written to `out` (a binary file). `progress(done, total)` is told as records are
    written (the background job's progress)."""
    writers = {}  # one of each version and language for every record
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, record in enumerate(records):
            if progress is not None:
                progress(done, len(records))
            for version, suffix in ((V1, "eac-cpf.xml"), (V2, "eac-cpf-2.xml")):
                key = (version, record.record_language)
                if key not in writers:
                    writers[key] = writer_for(record, version, base_url=base_url)
                document = etree.ElementTree(writers[key].record(record))
                archive.writestr(f"{record.slug}.{suffix}", _serialised(document))


def _maintenance_status(record: Record) -> str:
    return "new" if record.record_status == RecordStatus.DRAFT else "revised"


def _publication_status(record: Record) -> str:
    return "approved" if record.record_status == RecordStatus.FINAL else "inProcess"


class _Writer1(Writer):
    """EAC-CPF 2010, revised 2018 (`urn:isbn:1-931666-33-4`)."""

    ns = NS_1

    def root(self):
        return etree.Element(f"{{{NS_1}}}eac-cpf", nsmap={None: NS_1, "xlink": XLINK})

    def control(self, root, record: Record):
        control = self.sub(root, "control")
        self.sub(control, "recordId", record.slug)
        self.sub(control, "maintenanceStatus", _maintenance_status(record))
        self.sub(control, "publicationStatus", _publication_status(record))
        self.sub(self.sub(control, "maintenanceAgency"), "agencyName", AGENCY_NAME)
        if re.fullmatch("[a-z]{3}", record.record_language or ""):
            declaration = self.sub(control, "languageDeclaration")
            self.sub(declaration, "language", languageCode=record.record_language)
            self.sub(declaration, "script", scriptCode="Latn")
        convention = self.sub(control, "conventionDeclaration")
        self.sub(convention, "abbreviation", ISAAR_CODE)
        self.sub(convention, "citation", ISAAR_CITATION)
        convention = self.sub(control, "conventionDeclaration")
        self.sub(convention, "abbreviation", DATES_CODE)
        self.sub(convention, "citation", self.words["dates"])
        self.sub(self.sub(convention, "descriptiveNote"), "p", self.words["dates_note"])
        if _has_archive_form(record):
            convention = self.sub(control, "conventionDeclaration")
            self.sub(convention, "abbreviation", ARCHIVE_CODE)
            self.sub(convention, "citation", ARCHIVE_CITATION)
        local_types = self.sub(control, "localTypeDeclaration")
        self.sub(local_types, "abbreviation", VOCAB_CODE)
        self.sub(
            local_types,
            "citation",
            self.words["local_types"],
            xlink_type="simple",
            xlink_href=self.vocab(""),
        )
        self.local_controls(control, record)
        history = self.sub(control, "maintenanceHistory")
        for event in record.maintenance or [self.placeholder_event()]:
            element = self.sub(history, "maintenanceEvent")
            self.sub(element, "eventType", event.kind)
            moment = self.moment(event.moment)
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
        self.history(description, record)

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


class _Writer2(Writer):
    """EAC-CPF 2.0 (`https://archivists.org/ns/eac/v2`)."""

    ns = NS_2

    def root(self):
        return etree.Element(f"{{{NS_2}}}eac", nsmap={None: NS_2})

    def date_attributes(self, bound: Dating) -> dict:
        attributes = super().date_attributes(bound)
        if bound.certainty == Certainty.APPROXIMATE:
            attributes["certainty"] = "approximate"
        if bound.date is None:
            attributes["status"] = "unknown"
        return attributes

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
        self.sub(self.sub(control, "maintenanceAgency"), "agencyName", AGENCY_NAME)
        history = self.sub(control, "maintenanceHistory")
        for event in record.maintenance or [self.placeholder_event()]:
            element = self.sub(history, "maintenanceEvent", maintenanceEventType=event.kind)
            self.sub(element, "agent", event.agent, agentType=event.agent_type)
            moment = self.moment(event.moment)
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
        self.sub(convention, "reference", self.words["dates"])
        self.sub(convention, "shortCode", DATES_CODE)
        self.sub(self.sub(convention, "descriptiveNote"), "p", self.words["dates_note"])
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
        self.sub(local_types, "reference", self.words["local_types"], href=self.vocab(""))
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
        self.history(description, record)

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
