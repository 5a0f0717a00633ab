"""Reading EAC-CPF records (2010 revised or 2.0, told apart by namespace) into draft units.

`import_files` reads files (XML records, or zips of them such as /export/eac-cpf.zip), validates
each against the official schema, checks it against the registry, and writes every record in
one transaction: an invalid file writes nothing. Every row is validated (`full_clean`) and saved
with the importing user and a reason, so the import is in each record's history.

Structure is written only through `apply_reorganisation`. The records' dated facts are replayed
in date order as reorganisations: a unit is created under the parent its hierarchical-parent
relation names from the start of its existDates, renamed when a later authorised name begins,
moved when a later parent relation begins, and at the end of its existDates merged or split
into the units its temporal-later relations name, or dissolved. Facts that describe the same
reorganisation in several records (the same date, certainty and title in the chronList) are
applied together, so a set of records rebuilds the registry's reorganisations. A record whose
parent is neither in the registry nor among the records, or that has no start date, becomes a
draft without placement, and the result says so.
"""

import datetime
import io
import lzma
import re
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from lxml import etree

from history.changes import Cite, Create, Dissolve, Merge, Move, Rename, Split, naming_of
from history.models import Change, Reorganisation
from history.services import apply_reorganisation
from orgunits.exports.eaccpf.export import DETAIL_LEVELS_2
from orgunits.exports.eaccpf.record import Event, Identifier, Name, Record, Relation, Source
from orgunits.exports.eaccpf.schemas import NS_1, NS_2, V1, V2, XLINK, XML, validate, version_of
from orgunits.models import (
    Citation,
    Kind,
    SourceDocument,
    TargetGroup,
    Unit,
    UnitIdentifier,
    UnitName,
)
from socialforvaltning.lib.saving import save_with_history
from socialforvaltning.lib.text import danish_slug
from socialforvaltning.locks import lock_structure
from socialforvaltning.periods import Certainty, Dating

MAX_FILE_BYTES = 10 * 1024 * 1024
# What a zip may unpack to, checked against its central directory before anything is unpacked
# (reading then stops at each member's declared size). The registry's own export holds every
# unit twice, in both versions, at 5-15 KB a record: 10,000 units are 20,000 files, 100-300 MB.
MAX_ZIP_MEMBERS = 20_000
MAX_ZIP_BYTES = 500 * 1024 * 1024
# A record compresses about 4:1 (at most 7:1 in the seed); a zip bomb 1,000:1. Members smaller
# than RATIO_FROM_BYTES are let through whatever their ratio: they cannot be a bomb, and a
# tiny file's ratio says little (the grace Apache POI gives for the same check).
MAX_COMPRESSION_RATIO = 100
RATIO_FROM_BYTES = 100 * 1024
READ_CHUNK_BYTES = 64 * 1024
MAX_ERRORS_PER_FILE = 20
REASON_MAX_LENGTH = 100  # simple-history's history_change_reason
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")
UNIT_URL = re.compile(r"/units/([-a-zA-Z0-9_]+)/?$")
RELATION_KINDS = (
    "hierarchical-parent",
    "hierarchical-child",
    "temporal-earlier",
    "temporal-later",
)
VERSION_NAMES = {V1: "EAC-CPF 2010", V2: "EAC-CPF 2.0"}
# What zipfile raises on a damaged, encrypted or unusual archive: not only BadZipFile, but
# also these from its headers and decompressors (found by fuzzing the import).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    zlib.error,
    lzma.LZMAError,
)


class ImportFailed(ValidationError):
    """The files cannot be imported; `messages` says why, file by file. Nothing was written."""


@dataclass
class ImportResult:
    units: list[str] = field(default_factory=list)
    reorganisations: int = 0
    messages: list[str] = field(default_factory=list)  # what the archivist should know


def import_files(files: Iterable[tuple[str, bytes]], *, user, reason: str) -> ImportResult:
    """Read and import `files` ((name, content) pairs: EAC-CPF records or zips of them)."""
    return import_records(read_files(files), user=user, reason=reason)


# Reading ----------------------------------------------------------------------------------


def read_files(files: Iterable[tuple[str, bytes]], *, progress=None) -> list[tuple[str, Record]]:
    """Parse and validate every file; raises ImportFailed listing every problem found.
    `progress(done, total)` is told as the files in a zip are read (the background job's
    progress bar)."""
    records, errors = [], []
    for name, data in files:
        if zipfile.is_zipfile(io.BytesIO(data)):
            records += _read_zip(name, data, errors, progress=progress)
        else:
            record = read_record(name, data, errors)
            if record is not None:
                records.append((name, record))
    if errors:
        raise ImportFailed(errors)
    return records


def _read_zip(name: str, data: bytes, errors: list, progress=None) -> list[tuple[str, Record]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        everything = archive.infolist()
        members = [m for m in everything if m.filename.lower().endswith(".xml")]
    except ZIP_ERRORS:
        errors.append(_("%(file)s: the zip file cannot be read.") % {"file": name})
        return []
    if len(everything) > MAX_ZIP_MEMBERS:
        errors.append(
            _("%(file)s: the zip file holds more than %(max)s files.")
            % {"file": name, "max": MAX_ZIP_MEMBERS}
        )
        return []
    if not members:
        errors.append(_("%(file)s: the zip file holds no XML files.") % {"file": name})
        return []
    if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
        errors.append(
            _("%(file)s: the zip file unpacks to more than %(max)s MB, the most an import reads.")
            % {"file": name, "max": MAX_ZIP_BYTES // (1024 * 1024)}
        )
        return []
    for member in members:
        if (
            member.file_size > RATIO_FROM_BYTES
            and member.file_size > MAX_COMPRESSION_RATIO * member.compress_size
        ):
            errors.append(
                _(
                    "%(file)s: the file unpacks to more than %(max)s times its compressed size, "
                    "which no EAC-CPF record does; the zip file is not unpacked."
                )
                % {"file": f"{name}/{member.filename}", "max": MAX_COMPRESSION_RATIO}
            )
            return []
    found = {}
    for done, member in enumerate(members):
        if progress is not None:
            progress(done, len(members))
        label = f"{name}/{member.filename}"
        if member.file_size > MAX_FILE_BYTES:
            errors.append(_("%(file)s: the file is too large.") % {"file": label})
            continue
        try:
            content = _unpacked(archive, member)
        except ZIP_ERRORS:
            errors.append(
                _("%(file)s: the file cannot be read from the zip file (damaged or encrypted).")
                % {"file": label}
            )
            continue
        record = read_record(label, content, errors)
        if record is None:
            continue
        # The registry's zip holds every record twice, once in each version: read one of them.
        earlier = found.get(record.slug)
        if earlier is not None and earlier[1].version != record.version:
            if record.version == V2:
                found[record.slug] = (label, record)
            continue
        if earlier is not None:
            errors.append(
                _("%(file)s: the recordId “%(slug)s” also identifies %(other)s.")
                % {"file": label, "slug": record.slug, "other": earlier[0]}
            )
            continue
        found[record.slug] = (label, record)
    return list(found.values())


def _unpacked(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """The member's content, read in chunks up to the size its header declares, which is what
    the limits were checked against: a header that understates the size is found at the
    first chunk beyond it, not after unpacking everything."""
    chunks, size = [], 0
    with archive.open(member) as stream:
        while chunk := stream.read(READ_CHUNK_BYTES):
            size += len(chunk)
            if size > member.file_size:
                raise zipfile.BadZipFile(f"{member.filename} unpacks to more than declared")
            chunks.append(chunk)
    return b"".join(chunks)


def read_record(name: str, data: bytes, errors: list) -> Record | None:
    """One EAC-CPF record from `data`, or None with the reasons added to `errors`."""
    if len(data) > MAX_FILE_BYTES:
        errors.append(_("%(file)s: the file is too large.") % {"file": name})
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        errors.append(
            _("%(file)s, line %(line)s: the file is not XML: %(detail)s")
            % {"file": name, "line": e.lineno or 1, "detail": e.msg}
        )
        return None
    # Entities are left unexpanded (no file or network access, no entity bombs); the schema
    # validator cannot read such a reference, so it is refused here, by name.
    entity = next(root.iter(etree.Entity), None)
    if entity is not None:
        errors.append(
            _(
                "%(file)s, line %(line)s: the file uses the entity %(entity)s, which the import "
                "does not expand: write its text in the record instead."
            )
            % {"file": name, "line": entity.sourceline or 1, "entity": entity.text}
        )
        return None
    version = version_of(root)
    if version is None:
        qname = etree.QName(root)
        errors.append(
            _(
                "%(file)s: the file is not an EAC-CPF record: its root element is <%(root)s> in "
                "the namespace “%(namespace)s”, not <eac-cpf> in %(ns1)s (EAC-CPF 2010) or "
                "<eac> in %(ns2)s (EAC-CPF 2.0)."
            )
            % {
                "file": name,
                "root": qname.localname,
                "namespace": qname.namespace or "",
                "ns1": NS_1,
                "ns2": NS_2,
            }
        )
        return None
    problems = validate(root, version)
    if problems:
        for problem in problems[:MAX_ERRORS_PER_FILE]:
            errors.append(
                _(
                    "%(file)s, line %(line)s: the record does not follow the %(schema)s schema: "
                    "%(detail)s"
                )
                % {
                    "file": name,
                    "line": problem.line,
                    "schema": VERSION_NAMES[version],
                    "detail": problem.message,
                }
            )
        return None
    before = len(errors)
    record = _Reader(root, version, name, errors).record()
    return record if len(errors) == before else None


def _term(value: str | None) -> str:
    """The term of a local type: the fragment of a vocabulary URI, or its last segment."""
    if not value:
        return ""
    value = value.strip()
    return value.rsplit("#", 1)[-1] if "#" in value else value.rstrip("/").rsplit("/", 1)[-1]


def _text(element) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


class _Reader:
    """Reads one validated record into a `Record`; the two versions differ in names and in
    where some values sit, not in what they mean."""

    def __init__(self, root, version: str, name: str, errors: list):
        self.root, self.version, self.name, self.errors = root, version, name, errors
        self.ns = {"e": NS_1 if version == V1 else NS_2}

    def all(self, element, path: str) -> list:
        return element.findall(path, self.ns) if element is not None else []

    def first(self, element, path: str):
        return element.find(path, self.ns) if element is not None else None

    def id_of(self, element) -> str:
        return element.get(f"{{{XML}}}id" if self.version == V1 else "id") or ""

    def error(self, element, message: str):
        self.errors.append(
            _("%(file)s, line %(line)s: %(message)s")
            % {"file": self.name, "line": element.sourceline, "message": message}
        )

    def record(self) -> Record:
        control = self.first(self.root, "e:control")
        description = self.first(self.root, "e:cpfDescription")
        if description is None:
            self.error(
                self.root,
                _("the record describes several identities; import them one at a time."),
            )
            return Record(slug="")
        record_id = self.first(control, "e:recordId")
        record = Record(slug=_text(record_id))
        record.version = self.version
        record.line = record_id.sourceline
        self.control(control, record)
        self.identity(self.first(description, "e:identity"), record)
        self.description(self.first(description, "e:description"), record)
        self.relations(self.first(description, "e:relations"), record)
        return record

    # control

    def control(self, control, record: Record):
        if self.version == V1:
            language = self.first(control, "e:languageDeclaration/e:language")
            code = language.get("languageCode") if language is not None else ""
        else:
            declaration = self.first(control, "e:languageDeclaration")
            code = declaration.get("languageCode") if declaration is not None else ""
            record.detail_level = next(
                (k for k, v in DETAIL_LEVELS_2.items() if v == control.get("detailLevel")), ""
            )
        if code and re.fullmatch("[a-z]{3}", code):
            record.record_language = code
        for local in self.all(control, "e:localControl"):
            term, value = _term(local.get("localType")), _text(self.first(local, "e:term"))
            # isdigit() alone also accepts digits such as "²" that int() refuses.
            if term == "position" and value.isascii() and value.isdigit() and int(value) <= 32767:
                record.position = int(value)
            elif term == "detailLevel" and value in DETAIL_LEVELS_2:
                record.detail_level = value
            elif term == "maintenanceNotes":
                record.maintenance_notes = value
        referenced = defaultdict(str)  # 2.0: source id -> the id of what it is about
        if self.version == V2:
            for element in self.root.iter(f"{{{NS_2}}}identityId", f"{{{NS_2}}}nameEntry"):
                for source_id in (element.get("sourceReference") or "").split():
                    referenced[source_id] = self.id_of(element)
        for source in self.all(control, "e:sources/e:source"):
            spans = {
                _term(span.get("localType")): _text(span)
                for span in self.all(source, "e:descriptiveNote/e:p/e:span")
            }
            if self.version == V1:
                title = _text(self.first(source, "e:sourceEntry"))
                heading = spans.get("heading", "")
            else:
                title = _text(self.first(source, "e:reference"))
                cited = self.first(source, "e:citedRange")
                heading = _text(cited) or spans.get("heading", "")
            passage = spans.get("passage") or "\n\n".join(
                _text(p) for p in self.all(source, "e:descriptiveNote/e:p")
            )
            if not title:
                continue
            record.sources.append(
                Source(
                    title=title,
                    filename=spans.get("fileName", ""),
                    document_key=spans.get("documentKey", ""),
                    heading=heading or title,
                    passage=passage or title,
                    role="disputes" if spans.get("role") == "disputes" else "supports",
                    note=spans.get("note", ""),
                    about=spans.get("about") or referenced.get(self.id_of(source), ""),
                )
            )

    # identity

    def identity(self, identity, record: Record):
        entity_type = self.first(identity, "e:entityType")
        value = _text(entity_type) if self.version == V1 else entity_type.get("value")
        if value != "corporateBody":
            self.error(
                entity_type,
                _("the record describes a %(type)s; the registry holds corporate bodies only.")
                % {"type": value},
            )
        tag = "e:entityId" if self.version == V1 else "e:identityId"
        for element in self.all(identity, tag):
            value = _text(element)
            if not value:
                continue
            scheme = slugify(_term(element.get("localType")))[:30] or "other"
            identifier = Identifier(scheme=scheme, value=value, ref=self.id_of(element))
            identifier.line = element.sourceline
            record.identifiers.append(identifier)
        parallel_path = "e:nameEntryParallel/e:nameEntry" if self.version == V1 else None
        entries = [(e, False) for e in self.all(identity, "e:nameEntry")]
        if parallel_path:
            entries += [(e, True) for e in self.all(identity, parallel_path)]
        else:
            entries += [(e, False) for e in self.all(identity, "e:nameEntrySet/e:nameEntry")]
        entries.sort(key=lambda pair: pair[0].sourceline or 0)
        undecided = []
        for element, in_parallel in entries:
            text = ", ".join(_text(p) for p in self.all(element, "e:part") if _text(p))
            if not text:
                continue
            kind = self.name_kind(element, in_parallel)
            start, end = self.period(self.first(element, "e:useDates"))
            inferred = any(
                _term(p.get("localType")) == "registryReading" for p in self.all(element, "e:part")
            )
            if kind == "shortName":
                if record.names and not record.names[-1].short_name:
                    record.names[-1].short_name = text
                    record.names[-1].short_name_inferred = inferred
                continue
            name = Name(
                kind=kind or UnitName.Kind.OTHER,
                name=text,
                name_inferred=inferred,
                language=self.language(element) or "da",
                start=start,
                end=end,
                ref=self.id_of(element),
            )
            record.names.append(name)
            if kind is None:
                undecided.append(name)
        if undecided and not any(n.kind == UnitName.Kind.AUTHORISED for n in record.names):
            undecided[0].kind = UnitName.Kind.AUTHORISED

    def name_kind(self, element, in_parallel: bool) -> str | None:
        term = _term(element.get("localType"))
        if term in (
            "shortName",
            UnitName.Kind.PARALLEL,
            UnitName.Kind.OTHER,
            UnitName.Kind.ARCHIVE,
        ):
            return term
        if in_parallel:
            return UnitName.Kind.PARALLEL
        if self.version == V1:
            if self.first(element, "e:authorizedForm") is not None:
                return UnitName.Kind.AUTHORISED
            if self.first(element, "e:alternativeForm") is not None:
                return UnitName.Kind.OTHER
            return None
        status = element.get("status")
        if status == "authorized":
            return UnitName.Kind.AUTHORISED
        return UnitName.Kind.OTHER if status == "alternative" else None

    def language(self, element) -> str:
        value = element.get(f"{{{XML}}}lang" if self.version == V1 else "languageOfElement")
        return (value or "")[:8]

    # description

    def description(self, description, record: Record):
        if description is None:
            return
        exist = self.first(description, "e:existDates")
        if exist is not None:
            record.has_exist_dates = True
            record.exists_from, record.exists_to = self.period(exist)
            for p in self.all(exist, "e:descriptiveNote/e:p"):
                spans = {_term(s.get("localType")): _text(s) for s in self.all(p, "e:span")}
                end, title = spans.get("disputes"), spans.get("documentTitle", "")
                if end not in ("start", "end") or not title or not spans.get("passage"):
                    record.unread_passages += 1
                    continue
                disputes = record.start_disputes if end == "start" else record.end_disputes
                disputes.append(
                    Source(
                        title=title,
                        filename=spans.get("fileName", ""),
                        document_key=spans.get("documentKey", ""),
                        heading=spans.get("heading") or title,
                        passage=spans["passage"],
                        role="supports" if spans.get("role") == "supports" else "disputes",
                        note=spans.get("note", ""),
                    )
                )
        if self.version == V1:
            locals_ = self.all(description, "e:localDescription") + self.all(
                description, "e:localDescriptions/e:localDescription"
            )
            statuses = self.all(description, "e:legalStatus") + self.all(
                description, "e:legalStatuses/e:legalStatus"
            )
        else:
            locals_ = self.all(description, "e:localDescriptions/e:localDescription")
            statuses = self.all(description, "e:legalStatuses/e:legalStatus")
        for local in locals_:
            term, value = _term(local.get("localType")), _text(self.first(local, "e:term"))
            if term == "kind":
                record.kind = value
                record.kind_inferred = any(
                    _term(span.get("localType")) == "registryReading"
                    for span in self.all(local, "e:descriptiveNote/e:p/e:span")
                )
            elif term == "targetGroup":
                record.target_group = value
        if statuses:
            record.archival_type = _text(self.first(statuses[0], "e:term"))
        record.functions = self.prose(description, "functions", "function")
        record.mandates = self.prose(description, "mandates", "mandate")
        record.internal_structure = self.prose(description, "structureOrGenealogy", None)
        # Written from the structure on export: read for the record, never written back.
        record.structure = [
            _text(item)
            for listing in self.all(description, "e:structureOrGenealogy/e:list")
            if _term(listing.get("localType")) == "subUnits"
            for item in self.all(listing, "e:item")
        ]
        record.description = self.prose(description, "biogHist", None)
        for item in self.all(description, "e:biogHist/e:chronList/e:chronItem"):
            date = self.first(item, "e:date")
            bound = self.bound(date) if date is not None else None
            title = _text(self.first(item, "e:event"))
            if bound is not None and title:
                record.events.append(Event(_term(item.get("localType")), bound, title))

    def prose(self, description, wrapper: str, item: str | None) -> str:
        """A free-text field from paragraphs (or, for functions and mandates, terms)."""
        parts = [_text(p) for p in self.all(description, f"e:{wrapper}/e:p")]
        if item:
            parts += [_text(t) for t in self.all(description, f"e:{wrapper}/e:{item}/e:term")]
            if self.version == V1:
                parts += [_text(t) for t in self.all(description, f"e:{item}/e:term")]
        return "\n\n".join(p for p in parts if p)

    # relations

    def relations(self, relations, record: Record):
        if self.version == V1:
            elements = self.all(relations, "e:cpfRelation")
        else:
            elements = self.all(relations, "e:relation")
        for element in elements:
            if self.version == V1:
                kind = element.get("cpfRelationType") or ""
                href = element.get(f"{{{XLINK}}}href") or ""
                change = _term(element.get(f"{{{XLINK}}}arcrole"))
                name = _text(self.first(element, "e:relationEntry"))
            else:
                relation_type = self.first(element, "e:relationType")
                kind = _text(relation_type)
                change = _term(relation_type.get("localType")) if relation_type is not None else ""
                target = self.first(element, "e:targetEntity")
                href = target.get("valueURI") or ""
                name = ", ".join(_text(p) for p in self.all(target, "e:part"))
            if kind not in RELATION_KINDS:
                continue
            match = UNIT_URL.search(href)
            relation = Relation(kind, match.group(1) if match else "", name)
            relation.line = element.sourceline
            date_range = self.first(element, "e:dateRange")
            date = self.first(element, "e:date")
            if date_range is not None:
                relation.start, relation.end = self.period(date_range, wrapped=False)
            elif date is not None:
                relation.start = self.bound(date)
            relation.change = change if change in ("merged", "split") else ""
            record.relations.append(relation)

    # dates

    def period(self, element, *, wrapped: bool = True) -> tuple[Dating | None, Dating | None]:
        """(start, end) of a dateRange, or of the date (range) inside `element`."""
        if element is None:
            return None, None
        date_range = self.first(element, "e:dateRange") if wrapped else element
        if date_range is None:
            date = self.first(element, "e:date")
            return (self.bound(date) if date is not None else None), None
        start, end = self.first(date_range, "e:fromDate"), self.first(date_range, "e:toDate")
        last_day = self.bound(end) if end is not None else None
        # toDate is the period's last day; the registry's periods end on the day after.
        return (
            self.bound(start) if start is not None else None,
            last_day.shifted(1) if last_day is not None and last_day.date is not None else last_day,
        )

    def bound(self, element) -> Dating | None:
        """A date element as a `Dating`, as the exporter writes it (see export.py); other
        writers' years and months become ranges, never a more precise day."""
        term = _term(element.get("localType"))
        low_high = {}
        for attribute in ("standardDate", "notBefore", "notAfter"):
            value = element.get(attribute)
            if value:
                parsed = _iso_range(value)
                if parsed is None:
                    self.error(
                        element,
                        _("“%(value)s” is not a date (%(attribute)s); write YYYY-MM-DD.")
                        % {"value": value[:40], "attribute": attribute},
                    )
                    return None
                low_high[attribute] = parsed
        not_before = low_high.get("notBefore", (None,))[0]
        not_after = low_high.get("notAfter", (None, None))[1]
        if term == "unknown":
            return Dating(None, Certainty.UNKNOWN)
        if term == "beforeRecords" and not_before is None:
            return Dating(None, Certainty.RANGE, None, not_after)
        if "standardDate" in low_high and term != "range":
            low, high = low_high["standardDate"]
            if low == high:
                approximate = term == "approximate" or element.get("certainty") == "approximate"
                return Dating(low, Certainty.APPROXIMATE if approximate else Certainty.EXACT)
            return Dating(high, Certainty.RANGE, low, high)
        if not_before or not_after:
            return Dating(not_after or not_before, Certainty.RANGE, not_before, not_after)
        if element.get("status") == "unknown" or term == "unknown":
            return Dating(None, Certainty.UNKNOWN)
        return None


def _iso_range(value: str) -> tuple[datetime.date, datetime.date] | None:
    """The first and last day of an ISO date, year-month or year."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = datetime.date.fromisoformat(value)
            return day, day
        if re.fullmatch(r"\d{4}-\d{2}", value):
            first = datetime.date.fromisoformat(f"{value}-01")
            following = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
            return first, following - datetime.timedelta(days=1)
        if re.fullmatch(r"\d{4}", value):
            year = int(value)
            return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    except ValueError:
        return None
    return None


# Importing --------------------------------------------------------------------------------


def import_records(items: Sequence[tuple[str, Record]], *, user, reason: str) -> ImportResult:
    """Write the records as draft units, all of them or none (raises ImportFailed)."""
    reason = (reason or "").strip()
    if not reason:
        raise ImportFailed(_("Say why the records are imported (a reason is required)."))
    if len(reason) > REASON_MAX_LENGTH:
        raise ImportFailed(
            _("The reason is too long (at most %(max)s characters).") % {"max": REASON_MAX_LENGTH}
        )
    result = ImportResult()
    try:
        with transaction.atomic():
            # Checked and written under the structure lock: what the checks read cannot
            # change before the writes, and no reorganisation runs beside the import.
            lock_structure()
            _check(items)
            plan = _Plan(items, result.messages)
            result.reorganisations = plan.apply(user=user, reason=reason)
            for name, record in items:
                _Writer(name, record, plan, user=user, reason=reason).write()
                result.units.append(record.slug)
    except ImportFailed:
        raise
    except ValidationError as e:
        raise ImportFailed(
            [_("Nothing was imported: %(message)s") % {"message": m} for m in e.messages]
        ) from e
    except DatabaseError as e:
        # A constraint only the database holds (PostgreSQL's exclusion constraints).
        raise ImportFailed(_("Nothing was imported: %(message)s") % {"message": e}) from e
    return result


def _check(items: Sequence[tuple[str, Record]]):
    """What makes a set of records impossible to import, found before anything is written."""
    errors = []

    def error(name, line, message):
        errors.append(
            _("%(file)s, line %(line)s: %(message)s")
            % {"file": name, "line": line, "message": message}
        )

    seen = {}
    for name, record in items:
        line = record.line
        if not SLUG.fullmatch(record.slug):
            error(
                name,
                line,
                _(
                    "the recordId “%(slug)s” cannot identify a unit: use at most 100 letters, "
                    "digits, hyphens and underscores."
                )
                % {"slug": record.slug[:100]},
            )
        elif record.slug in seen:
            error(
                name,
                line,
                _("the recordId “%(slug)s” is also the recordId of %(other)s.")
                % {"slug": record.slug, "other": seen[record.slug]},
            )
        seen.setdefault(record.slug, name)
        if not any(n.kind == UnitName.Kind.AUTHORISED for n in record.names):
            error(name, line, _("the record has no authorised name."))
    existing = set(Unit.objects.filter(slug__in=list(seen)).values_list("slug", flat=True))
    for name, record in items:
        if record.slug in existing:
            error(
                name,
                record.line,
                _(
                    "the registry already has a unit with the recordId “%(slug)s”; an import "
                    "creates new units only."
                )
                % {"slug": record.slug},
            )
    identifiers = [(name, i) for name, record in items for i in record.identifiers]
    query = Q(pk__in=[])
    for _name, identifier in identifiers:
        query |= Q(scheme=identifier.scheme, value=identifier.value)
    taken = {
        (i.scheme, i.value): i.unit.slug
        for i in UnitIdentifier.objects.filter(query).select_related("unit")
    }
    in_batch = {}
    for name, identifier in identifiers:
        key = (identifier.scheme, identifier.value)
        line = identifier.line
        label = {"scheme": identifier.scheme, "value": identifier.value}
        if key in taken:
            error(
                name,
                line,
                _("%(scheme)s %(value)s already identifies the unit “%(unit)s”.")
                % {**label, "unit": taken[key]},
            )
        elif key in in_batch:
            error(
                name,
                line,
                _("%(scheme)s %(value)s also identifies the record in %(other)s.")
                % {**label, "other": in_batch[key]},
            )
        in_batch.setdefault(key, name)
    if errors:
        raise ImportFailed(errors)


class _Plan:
    """The reorganisations that give the imported units their structure."""

    def __init__(self, items: Sequence[tuple[str, Record]], messages: list):
        self.records = {record.slug: record for _name, record in items}
        self.files = {record.slug: name for name, record in items}
        self.messages = messages
        mentioned = {r.slug for record in self.records.values() for r in record.relations}
        self.existing = set(
            Unit.objects.filter(slug__in=mentioned - set(self.records)).values_list(
                "slug", flat=True
            )
        )
        self.placement = self._placements()
        # The registry's own mergers of units the records name: a child record's move into
        # the merged unit on that day is what the merger did, not a move of its own.
        self.registry_merges = set(
            Change.objects.in_force()
            .filter(kind=Change.Kind.MERGED, unit__slug__in=self.existing)
            .values_list("unit__slug", "target__slug", "reorganisation__date")
        )

    def say(self, slug: str, message: str):
        self.messages.append(
            _("%(file)s: %(message)s") % {"file": self.files[slug], "message": message}
        )

    def known(self, slug: str) -> bool:
        return slug in self.existing or (slug in self.records and slug in self.placement)

    def _placements(self) -> dict:
        """slug -> the parent to create it under (None: at the top), for units that get a
        placement; a parent among the records must get one itself."""
        wanted = {}
        for slug, record in self.records.items():
            start = record.exists_from if record.has_exist_dates else None
            if start is None:
                self.say(
                    slug,
                    _("the record has no start date; the unit is a draft without a placement."),
                )
                continue
            parents = record.relations_of("hierarchical-parent")
            if not parents:
                if record.kind == Kind.FORVALTNING:
                    wanted[slug] = None
                else:
                    self.say(
                        slug,
                        _("the record names no parent; the unit is a draft without a placement."),
                    )
                continue
            first = next((r for r in parents if r.start == start), None)
            first = first or next((r for r in parents if r.start is None), None)
            if first is None:
                self.say(
                    slug,
                    _(
                        "the record's placements do not begin when the unit does; the unit is "
                        "a draft without a placement."
                    ),
                )
                continue
            wanted[slug] = first.slug
        placement = {}
        changed = True
        while changed:
            changed = False
            for slug, parent in wanted.items():
                if slug in placement:
                    continue
                if parent is None or parent in self.existing or parent in placement:
                    placement[slug] = parent
                    changed = True
        for slug, parent in wanted.items():
            if slug not in placement:
                self.say(
                    slug,
                    _(
                        "its parent “%(parent)s” is neither in the registry nor placed among "
                        "the imported records; the unit is a draft without a placement."
                    )
                    % {"parent": parent},
                )
        return placement

    def apply(self, *, user, reason: str) -> int:
        groups = defaultdict(list)  # (bound, title) -> [spec]
        merges = set()
        for slug, record in self.records.items():
            for relation in record.relations_of("temporal-later"):
                if relation.change == "merged" and self.known(relation.slug):
                    merges.add((slug, relation.slug, relation.start))
        # A reorganisation is what the records date and name alike. Records that name no
        # event are kept apart by the passages disputing their dates, so that one record's
        # dispute is not cited for another's unit.
        passages = defaultdict(list)  # key -> the passages about it
        untitled = _("Imported from EAC-CPF")
        for slug, record in self.records.items():
            self._mention_unread_passages(record)
            if slug in self.placement:
                for kind, bound, spec in self._changes(record, merges):
                    ends = kind in ("merged", "dissolved") or (kind == "split" and spec.ends)
                    cited = record.start_disputes if kind == "created" else []
                    cited = record.end_disputes if ends else cited
                    title = self._title(record, kind, bound)
                    said = tuple(astuple(s) for s in cited) if title == untitled else ()
                    key = (bound, title, said)
                    groups[key].append(spec)
                    passages[key] += cited
            self._mention_unapplied(record)
        order = sorted(
            groups,
            key=lambda key: (
                key[0].sort_key,
                not all(isinstance(s, Create) for s in groups[key]),
                key[1],
                key[2],
            ),
        )
        for bound, title, said in order:
            apply_reorganisation(
                title=self._distinct(title, bound),
                description=_(
                    "Recorded by an import of EAC-CPF records; the date and its certainty come "
                    "from the records."
                ),
                date=bound.date,
                certainty=bound.certainty,
                not_before=bound.not_before,
                not_after=bound.not_after,
                changes=_parents_first(groups[(bound, title, said)]),
                cite=self._cites(passages[(bound, title, said)], user=user, reason=reason),
                reason=reason,
                user=user,
            )
        return len(order)

    def _distinct(self, title: str, bound: Dating) -> str:
        """A title that does not pass the import off as a reorganisation the registry already
        has (importing one record into a full registry)."""
        if Reorganisation.objects.filter(date=bound.date, title=title).exists():
            return _("%(title)s (imported from EAC-CPF)") % {"title": title[:260]}
        return title

    def _cites(self, sources: list[Source], *, user, reason: str) -> list[Cite]:
        """The passages about a disputed reorganisation (both sides), once each though several
        records give them, citing documents written (with their history) where the registry
        lacks them."""

        cites = {}
        for source in sources:
            cite = Cite(
                document=_document(source, lambda obj: _saved(obj, user, reason)).key,
                heading=source.heading[:300],
                excerpt=source.passage,
                role=source.role,
                note=source.note,
            )
            cites.setdefault(cite, None)
        return list(cites)

    def _title(self, record: Record, kind: str, bound: Dating) -> str:
        for event in record.events:
            if event.kind == kind and event.bound == bound:
                return event.title[:300]
        return _("Imported from EAC-CPF")

    def _changes(self, record: Record, merges: set):
        slug = record.slug
        authorised = sorted(
            (n for n in record.names if n.kind == UnitName.Kind.AUTHORISED),
            key=lambda n: (n.start or Dating(None)).sort_key,
        )
        first = authorised[0]
        yield (
            "created",
            record.exists_from,
            Create(
                slug=slug,
                **naming_of(first),
                parent=self.placement[slug],
                kind=_kind(record),
                kind_inferred=record.kind_inferred,
                target_group=_target_group(record),
                position=record.position if record.position is not None else 100,
                description=record.description,
                archival_type=record.archival_type[:100],
            ),
        )
        for name in authorised[1:]:
            if name.start is not None and name.start != record.exists_from:
                yield (
                    "renamed",
                    name.start,
                    Rename(unit=slug, **naming_of(name)),
                )
        parents = sorted(
            record.relations_of("hierarchical-parent"),
            key=lambda r: (r.start or Dating(None)).sort_key,
        )
        for previous, relation in zip(parents, parents[1:], strict=False):
            if relation.start is None or relation.slug == previous.slug:
                continue
            if (previous.slug, relation.slug, relation.start) in merges or (
                previous.slug,
                relation.slug,
                relation.start.date,
            ) in self.registry_merges:
                continue  # carried along when its parent merged into the new one
            if not self.known(relation.slug):
                self.say(
                    slug,
                    _(
                        "the move to “%(parent)s” is not recorded: that unit is neither in the "
                        "registry nor placed among the imported records."
                    )
                    % {"parent": relation.slug or relation.name},
                )
                continue
            yield "moved", relation.start, Move(unit=slug, to=relation.slug)
        end = record.exists_to
        ended = False
        splits = defaultdict(list)
        for relation in record.relations_of("temporal-later"):
            if relation.start is None:
                continue
            if not self.known(relation.slug):
                self.say(
                    slug,
                    _(
                        "its successor “%(unit)s” is not in the registry; the end of the unit "
                        "is recorded without it."
                    )
                    % {"unit": relation.slug or relation.name},
                )
            elif relation.change == "split":
                splits[relation.start].append(relation.slug)
            elif relation.start == end and not ended:
                ended = True
                yield "merged", end, Merge(units=(slug,), into=relation.slug)
        for bound, targets in splits.items():
            ends = bound == end and not ended
            ended = ended or ends
            yield "split", bound, Split(unit=slug, into=tuple(targets), ends=ends)
        if end is not None and not ended:
            yield "dissolved", end, Dissolve(unit=slug)

    def _mention_unread_passages(self, record: Record):
        """Passages about the unit's start or end that the import cannot cite anywhere."""
        left = record.unread_passages
        if record.slug not in self.placement:
            left += len(record.start_disputes) + len(record.end_disputes)
        elif record.exists_to is None:
            left += len(record.end_disputes)
        if left:
            self.say(
                record.slug,
                ngettext(
                    "%(n)s passage about the start or end of the unit in existDates is left "
                    "out: it lacks its document, its passage or which end it is about, or the "
                    "unit has no such date in the structure.",
                    "%(n)s passages about the start or end of the unit in existDates are left "
                    "out: they lack their document, their passage or which end they are about, "
                    "or the unit has no such date in the structure.",
                    left,
                )
                % {"n": left},
            )

    def _mention_unapplied(self, record: Record):
        """Relations the registry records from the other unit's side only."""
        for relation in record.relations:
            if relation.kind == "hierarchical-child" and relation.slug not in self.records:
                self.say(
                    record.slug,
                    _(
                        "the sub-unit “%(unit)s” is not among the imported records; its "
                        "placement is unchanged."
                    )
                    % {"unit": relation.slug or relation.name},
                )
            if relation.kind == "temporal-earlier" and relation.slug not in self.records:
                self.say(
                    record.slug,
                    _(
                        "the predecessor “%(unit)s” is not among the imported records; record "
                        "the merger or split as a reorganisation."
                    )
                    % {"unit": relation.slug or relation.name},
                )


def _parents_first(specs: list) -> list:
    """Creations in an order in which each parent exists before its children."""
    creates = {s.slug: s for s in specs if isinstance(s, Create)}
    ordered, done = [], set()

    def visit(spec):
        if spec.slug in done:
            return
        done.add(spec.slug)
        if spec.parent in creates:
            visit(creates[spec.parent])
        ordered.append(spec)

    for spec in creates.values():
        visit(spec)
    return ordered + [s for s in specs if not isinstance(s, Create)]


def _kind(record: Record) -> str:
    return record.kind if record.kind in Kind.values else Kind.ENHED


def _target_group(record: Record) -> str:
    return record.target_group if record.target_group in TargetGroup.values else ""


class _Writer:
    """Writes one record's descriptive parts: the unit's fields, names the structure did not
    write, identifiers and sources."""

    def __init__(self, name: str, record: Record, plan: _Plan, *, user, reason: str):
        self.name, self.record, self.plan = name, record, plan
        self.user, self.reason = user, reason

    def save(self, obj):
        try:
            return _saved(obj, self.user, self.reason)
        except ValidationError as error:
            raise ValidationError([f"{self.name}: {m}" for m in error.messages]) from None

    def write(self):
        record = self.record
        if record.kind and record.kind not in Kind.values:
            self.plan.say(
                record.slug,
                _("the kind “%(kind)s” is unknown; the unit is imported as a sub-unit.")
                % {"kind": record.kind},
            )
        elif not record.kind:
            self.plan.say(
                record.slug,
                _("the record does not say what kind of unit it is; it is imported as a sub-unit."),
            )
        unit = Unit.objects.filter(slug=record.slug).first() or Unit(slug=record.slug)
        fields = {
            "kind": _kind(record),
            "kind_inferred": record.kind_inferred,
            "target_group": _target_group(record),
            "position": record.position if record.position is not None else 100,
            "description": record.description,
            "functions": record.functions,
            "mandates": record.mandates,
            "internal_structure": record.internal_structure,
            "archival_type": record.archival_type,
            "record_status": "draft",
            "detail_level": record.detail_level or "partial",
            "maintenance_notes": record.maintenance_notes,
            "record_language": record.record_language or "dan",
        }
        if unit.pk is None or any(getattr(unit, k) != v for k, v in fields.items()):
            for key, value in fields.items():
                setattr(unit, key, value)
            self.save(unit)
        refs = {"": unit}
        structured = record.slug in self.plan.placement
        for name in record.names:
            if structured and name.kind == UnitName.Kind.AUTHORISED:
                row = (
                    unit.names.authorised()
                    .filter(valid_from=name.start.date if name.start else None)
                    .first()
                )
                if row is not None and row.language != name.language:
                    row.language = name.language
                    self.save(row)
            else:
                row = self.save(
                    UnitName(
                        unit=unit,
                        kind=name.kind,
                        **naming_of(name),
                        language=name.language,
                        valid_from=name.start.date if name.start else None,
                        valid_to=name.end.date if name.end else None,
                    )
                )
            if name.ref and row is not None:
                refs[name.ref] = row
        for identifier in record.identifiers:
            row = self.save(
                UnitIdentifier(unit=unit, scheme=identifier.scheme, value=identifier.value)
            )
            if identifier.ref:
                refs[identifier.ref] = row
        for source in record.sources:
            self.save(
                Citation(
                    document=self.document(source),
                    heading=source.heading[:300],
                    excerpt=source.passage,
                    role=source.role,
                    note=source.note,
                    content_object=refs.get(source.about, unit),
                )
            )

    def document(self, source: Source) -> SourceDocument:
        return _document(source, self.save)


def _saved(obj, user, reason: str):
    """`obj` checked and saved, its history saying who and why. A refusal names the kind of
    record and the field."""
    try:
        obj.full_clean()
    except ValidationError as error:
        messages = []
        for name, said in error.message_dict.items():
            label = "" if name == NON_FIELD_ERRORS else obj._meta.get_field(name).verbose_name
            for message in said:
                what = {"record": obj._meta.verbose_name, "value": str(obj)[:80]}
                what |= {"field": label, "message": message}
                messages.append(
                    _("%(record)s «%(value)s», %(field)s: %(message)s") % what
                    if label
                    else _("%(record)s «%(value)s»: %(message)s") % what
                )
        raise ValidationError(messages) from None
    return save_with_history(obj, user=user, reason=reason, clean=False)  # cleaned above


def _document(source: Source, save) -> SourceDocument:
    """The document a source cites: the registry's own where key and file agree, else a new
    one (`save` writes it with its history)."""
    key = source.document_key or danish_slug(source.title)[:50] or "kilde"
    existing = SourceDocument.objects.filter(key=key).first()
    # Without a file name, the document is the registry's only if its title agrees too.
    if existing is not None and (
        existing.filename == source.filename
        or (not source.filename and existing.title == source.title)
    ):
        return existing
    base, n = key, 2
    while existing is not None:
        key = f"{base[:45]}-{n}"
        n += 1
        existing = SourceDocument.objects.filter(key=key).first()
        if existing is not None and existing.filename == source.filename:
            return existing
    return save(
        SourceDocument(key=key, filename=source.filename or source.title[:200], title=source.title)
    )
