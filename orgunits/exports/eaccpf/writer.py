"""What both EAC-CPF versions' XML shares: the base of their writers, `Writer`, which builds
elements from text XML can hold, writes dates no more precise than the registry knows them,
and writes citations, the structure and the chronology so that the import reads them back.
`export` holds the two versions' writers.
"""

import datetime
import functools

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from lxml import etree

from socialforvaltning.lib.text import NOT_IN_XML
from socialforvaltning.periods import Certainty, Dating

from .record import MaintenanceEvent, Record, Relation, Source
from .schemas import XLINK, XML


def vocab(base_url: str, term: str) -> str:
    """The URI of a local type: a term of the registry's vocabulary."""
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


def xml_text(value) -> str:
    """`value` as text XML 1.0 can hold: a pasted control character must not break an export."""
    value = str(value)
    return NOT_IN_XML.sub("", value) if NOT_IN_XML.search(value) else value


class Writer:
    """What both versions share: building elements, dates, and the order of the parts."""

    ns: str

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.language = translation.get_language()
        self.tags = _Names(f"{{{self.ns}}}")
        self.terms = _Names(f"{base_url}/vocab#")
        self.moments, self.dates, self.last_days = {}, {}, {}
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
        # The words a record is written with, in the writer's language once: a zip writes
        # thousands of records with one writer of each version.
        self.words = {
            "dates": _("The registry's dates"),
            "dates_note": self.dates_convention_note(),
            "local_types": _("The registry's local types"),
            "reading": _("The registry's reading: no source states this."),
            "unknown": _("unknown"),
        }

    def record(self, record: Record):
        """The record as an element tree: control, then the description of the unit (its
        identity, description and relations); each version writes each part its way."""
        root = self.root()
        self.control(root, record)
        description = self.sub(root, "cpfDescription")
        self.identity(description, record)
        self.description(description, record)
        self.relations(description, record)
        return root

    def vocab(self, term: str) -> str:
        return self.terms[term]

    def sub(self, parent, tag: str, text=None, **attributes):
        element = _SubElement(parent, self.tags[tag])
        if attributes:
            for name, value in attributes.items():
                if value is not None and value != "":
                    name = _ATTRIBUTE_NAMES.get(name, name)
                    try:
                        element.set(name, value)
                    except (TypeError, ValueError):  # not a string, or what XML cannot hold
                        element.set(name, xml_text(value))
        if text is not None and text != "":
            try:
                element.text = text
            except (TypeError, ValueError):
                element.text = xml_text(text)
        return element

    def moment(self, value: datetime.datetime) -> str:
        """A moment of the record's history, to the second, in local time; once per moment
        (the edits of one reorganisation share one)."""
        if value not in self.moments:
            local = timezone.localtime(value).replace(microsecond=0)
            self.moments[value] = local.isoformat()
        return self.moments[value]

    def date(self, parent, tag: str, bound: Dating):
        """A date element (date, fromDate, toDate) no more precise than `bound`; its words
        and attributes worked out once a dating (a zip writes the same few many times)."""
        if bound not in self.dates:
            self.dates[bound] = _display(bound, self.language), self.date_attributes(bound)
        text, attributes = self.dates[bound]
        element = _SubElement(parent, self.tags[tag], attributes)
        element.text = text
        return element

    def date_attributes(self, bound: Dating) -> dict:
        attributes = {}
        if bound.certainty in (Certainty.EXACT, Certainty.APPROXIMATE) and bound.date:
            attributes["standardDate"] = bound.date.isoformat()
        if bound.certainty == Certainty.RANGE:
            if bound.not_before:
                attributes["notBefore"] = bound.not_before.isoformat()
            if bound.not_after:
                attributes["notAfter"] = bound.not_after.isoformat()
        local = _certainty_term(bound)
        if local:
            attributes["localType"] = self.vocab(local)
        return attributes

    def date_range(self, parent, start: Dating | None, end: Dating | None):
        """A dateRange from `start` (None: not known at all) to `end` (None: open)."""
        element = self.sub(parent, "dateRange")
        self.date(element, "fromDate", start or _UNKNOWN)
        if end is not None:  # the last day the period held (the importer adds the day back)
            if end not in self.last_days:
                self.last_days[end] = end.shifted(-1)
            self.date(element, "toDate", self.last_days[end])
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
        self.sub(p, "span", self.words["reading"], localType=self.vocab("registryReading"))

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

    def local_controls(self, control, record: Record):
        for term, value in (
            ("position", record.position),
            ("detailLevel", record.detail_level),
            ("maintenanceNotes", record.maintenance_notes),
        ):
            if value not in (None, ""):
                local = self.sub(control, "localControl", localType=self.vocab(term))
                self.sub(local, "term", value)

    def placeholder_event(self) -> MaintenanceEvent:
        """A record without any history (written around simple-history) still needs one."""
        return MaintenanceEvent(
            kind="unknown",
            moment=timezone.now(),
            agent_type="unknown",
            agent=self.words["unknown"],
        )

    def dates_convention_note(self) -> str:
        return _(
            "toDate is the last day on which the period applied (the change that ended it took "
            "effect the day after). A date known only within a range has "
            "notBefore and/or notAfter and no standardDate; an approximate date has the local "
            "type approximate; a start before the registry's records has the local type "
            "beforeRecords. An open end is left out."
        )

    def history(self, description, record: Record):
        """The unit's history (biogHist): its description, then its chronology."""
        if record.description or record.events:
            biog = self.sub(description, "biogHist")
            for paragraph in paragraphs(record.description):
                self.sub(biog, "p", paragraph)
            self.chronology(biog, record)

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


_SubElement = etree.SubElement
_UNKNOWN = Dating(None, Certainty.UNKNOWN)


class _Names(dict):
    """Names made of a prefix and a term (qualified tags, vocabulary URIs), each made once."""

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix

    def __missing__(self, term: str) -> str:
        self[term] = name = self.prefix + term
        return name


# Keyword arguments of `Writer.sub` that stand for namespaced attributes.
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
