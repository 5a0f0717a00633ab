"""What one validated EAC-CPF record says, as a `Record`: the two versions differ in names and
in where some values sit, not in what they mean. Dates are read no more precisely than written.
"""

import datetime
import re
from collections import defaultdict

from django.utils.text import slugify
from django.utils.translation import gettext as _

from orgunits.exports.eaccpf.export import DETAIL_LEVELS_2
from orgunits.exports.eaccpf.record import Event, Identifier, Name, Record, Relation, Source
from orgunits.exports.eaccpf.schemas import NS_1, NS_2, V1, V2, XLINK, XML
from orgunits.models import UnitName
from socialforvaltning.periods import Certainty, Dating

# A relation names the related unit by the link to its page; its recordId is the slug.
UNIT_URL = re.compile(r"/units/([-a-zA-Z0-9_]+)/?$")
RELATION_KINDS = (
    "hierarchical-parent",
    "hierarchical-child",
    "temporal-earlier",
    "temporal-later",
)


def _term(value: str | None) -> str:
    """The term of a local type: the fragment of a vocabulary URI, or its last segment."""
    if not value:
        return ""
    value = value.strip()
    return value.rsplit("#", 1)[-1] if "#" in value else value.rstrip("/").rsplit("/", 1)[-1]


def _text(element) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


class RecordReader:
    """Reads one validated record (`root`, of `version`) into a `Record`, adding what it
    cannot read to `errors`."""

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
