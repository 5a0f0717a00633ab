"""The floor's records (see `zip_floor`): each unit's facts gathered from the rows into
tuples, then written with lxml in both EAC-CPF versions, with no model instance, no `Record`
and no writer object between the rows and the elements. What the records say, and in which
order, is the export's (orgunits/exports/eaccpf/collect.py and export.py): the floor writes
the same bytes, so that it is a floor of that zip and no other.
"""

import re
import zipfile

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from lxml import etree

from orgunits.exports.eaccpf import export as texts
from orgunits.exports.eaccpf.record import Record
from orgunits.exports.eaccpf.schemas import NS_1, NS_2, V1, XLINK, XML
from orgunits.models.choices import classification_labels
from socialforvaltning.periods import Dating, describe_period

from .zip_floor_rows import Facts, Registry, facts

SE = etree.SubElement
UNKNOWN_START = Dating(None, "unknown")
CERTAINTY_TERMS = {"approximate": "approximate", "unknown": "unknown"}


class _Tags(dict):
    def __init__(self, ns):
        super().__init__()
        self.ns = ns

    def __missing__(self, tag):
        self[tag] = f"{{{self.ns}}}{tag}"
        return self[tag]


T1, T2 = _Tags(NS_1), _Tags(NS_2)
XML_ID, XML_LANG = f"{{{XML}}}id", f"{{{XML}}}lang"
XL_TYPE, XL_HREF, XL_ARCROLE = (f"{{{XLINK}}}{a}" for a in ("type", "href", "arcrole"))


def _text(parent, tag, text, attrib=None):
    element = SE(parent, tag, attrib) if attrib else SE(parent, tag)
    if text:
        element.text = text
    return element


def _append_text(element, text):
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


class _Lang:
    """What a record's language decides: its fixed texts, once, and the words for its dates."""

    def __init__(self, language: str, record_language: str, base_url: str):
        self.language = language
        # The texts both versions share, read from a writer once; it writes nothing here.
        writer = texts.writer_for(
            Record("", record_language=record_language), V1, base_url=base_url
        )
        self.labels = {term: f"{label}: " for term, label in writer.labels.items()}
        self.dates_note = writer.dates_convention_note()
        with translation.override(language):
            self.dates = _("The registry's dates")
            self.local_types = _("The registry's local types")
            self.unknown = _("unknown")
            self.archivist = _("an archivist")
            self.reading = _("The registry's reading: no source states this.")
            self.cross = _(
                "%(name)s (cross-cutting, anchored with the head of %(office)s): %(period)s"
            )
        self.shown, self.periods, self.kinds = {}, {}, {}

    def display(self, bound: Dating) -> str:
        if bound not in self.shown:
            with translation.override(self.language):
                self.shown[bound] = bound.display()
        return self.shown[bound]

    def period(self, start: Dating, end: Dating | None) -> str:
        if (start, end) not in self.periods:
            with translation.override(self.language):
                self.periods[start, end] = describe_period(start, end)
        return self.periods[start, end]

    def kind(self, kind: str) -> str:
        if kind not in self.kinds:
            with translation.override(self.language):
                self.kinds[kind] = classification_labels(kind, "")[0].lower()
        return self.kinds[kind]


class _Vocab(dict):
    def __init__(self, base_url):
        super().__init__()
        self.base = f"{base_url}/vocab#"

    def __missing__(self, term):
        self[term] = self.base + term
        return self[term]


class _Context:
    """What every record of one zip shares: its base address, terms and languages."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.vocab = _Vocab(base_url)
        self.langs = {}
        self.shifted = {}

    def lang(self, record_language: str) -> _Lang:
        language = texts.UI_LANGUAGES.get(record_language, "da")
        if language not in self.langs:
            self.langs[language] = _Lang(language, record_language, self.base_url)
        return self.langs[language]

    def last_day(self, end: Dating) -> Dating:
        if end not in self.shifted:
            self.shifted[end] = end.shifted(-1)
        return self.shifted[end]


def write_floor_zip(out, rows: dict, *, base_url: str) -> int:
    """Every record of `rows` (see `zip_floor.read_rows`) in both versions, as the export's
    zip does; the number of records."""
    registry = Registry(rows)
    context = _Context(base_url)
    count = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for unit in rows["units"]:
            if not unit[-1]:
                continue
            unit = registry.units[unit[0]]
            lang = context.lang(unit[14])
            found = facts(registry, unit, lang)
            for write, suffix in ((_record_1, "eac-cpf.xml"), (_record_2, "eac-cpf-2.xml")):
                root = write(found, lang, context)
                content = etree.tostring(
                    etree.ElementTree(root),
                    xml_declaration=True,
                    encoding="UTF-8",
                    pretty_print=True,
                )
                archive.writestr(f"{unit[1]}.{suffix}", content)
            count += 1
    return count


# Shared by both versions --------------------------------------------------------------------


def _date(parent, tag, bound: Dating, lang: _Lang, vocab, v2: bool):
    element = SE(parent, tag)
    element.text = lang.display(bound)
    certainty = bound.certainty
    if (certainty == "exact" or certainty == "approximate") and bound.date:
        element.set("standardDate", bound.date.isoformat())
    if certainty == "range":
        if bound.not_before:
            element.set("notBefore", bound.not_before.isoformat())
        if bound.not_after:
            element.set("notAfter", bound.not_after.isoformat())
        element.set("localType", vocab["beforeRecords" if bound.date is None else "range"])
    elif certainty in CERTAINTY_TERMS:
        element.set("localType", vocab[CERTAINTY_TERMS[certainty]])
    if v2:
        if certainty == "approximate":
            element.set("certainty", "approximate")
        if bound.date is None:
            element.set("status", "unknown")


def _range(parent, tags, start, end, lang, context, v2):
    element = SE(parent, tags["dateRange"])
    _date(element, tags["fromDate"], start or UNKNOWN_START, lang, context.vocab, v2)
    if end is not None:
        _date(element, tags["toDate"], context.last_day(end), lang, context.vocab, v2)


def _note(parent, tags, source, lang, vocab, with_heading):
    title, filename, key, heading, passage, role, note_text, about = source
    note = SE(parent, tags["descriptiveNote"])
    for term, value in (
        ("heading", heading if with_heading else ""),
        ("passage", passage),
        ("fileName", filename),
        ("documentKey", key),
        ("role", role if role != "supports" else ""),
        ("note", note_text),
        ("about", about),
    ):
        if value:
            p = _text(note, tags["p"], lang.labels[term])
            _text(p, tags["span"], value, {"localType": vocab[term]})
    if not len(note):
        _text(note, tags["p"], title)


def _exist(description, tags, found: Facts, lang, context, v2):
    start, end, start_disputes, end_disputes = found.exist
    exist = SE(description, tags["existDates"])
    _range(exist, tags, start, end, lang, context, v2)
    disputed = [("start", s) for s in start_disputes] + [("end", s) for s in end_disputes]
    if not disputed:
        return
    note = SE(exist, tags["descriptiveNote"])
    for which, (title, filename, key, heading, passage, role, note_text) in disputed:
        p = SE(note, tags["p"])
        for term, value in (
            ("disputes", which),
            ("documentTitle", title),
            ("heading", heading),
            ("passage", passage),
            ("fileName", filename),
            ("documentKey", key),
            ("role", role),
            ("note", note_text),
        ):
            if value:
                _append_text(p, lang.labels[term])
                _text(p, tags["span"], value, {"localType": context.vocab[term]})
                _append_text(p, " ")


def _local_description(parent, tags, term, value, inferred, lang, vocab):
    local = SE(parent, tags["localDescription"], {"localType": vocab[term]})
    _text(local, tags["term"], value)
    if inferred:
        p = SE(SE(local, tags["descriptiveNote"]), tags["p"])
        _text(p, tags["span"], lang.reading, {"localType": vocab["registryReading"]})


def _structure_and_history(description, tags, found: Facts, lang, context, v2):
    unit, vocab = found.unit, context.vocab
    if unit[9] or found.structure:
        element = SE(description, tags["structureOrGenealogy"])
        for paragraph in unit[9].split("\n\n") if unit[9] else ():
            _text(element, tags["p"], paragraph)
        if found.structure:
            listing = SE(element, tags["list"], {"localType": vocab["subUnits"]})
            for line in found.structure:
                _text(listing, tags["item"], line)
    if unit[6] or found.events:
        biog = SE(description, tags["biogHist"])
        for paragraph in unit[6].split("\n\n") if unit[6] else ():
            _text(biog, tags["p"], paragraph)
        if found.events:
            chronology = SE(biog, tags["chronList"])
            for kind, bound, title in found.events:
                item = SE(chronology, tags["chronItem"], {"localType": vocab[kind]})
                _date(item, tags["date"], bound, lang, vocab, v2)
                _text(item, tags["event"], title)


def _local_controls(control, tags, unit, vocab):
    for term, value in (
        ("position", unit[5]),
        ("detailLevel", unit[12]),
        ("maintenanceNotes", unit[13]),
    ):
        if value is not None and value != "":
            local = SE(control, tags["localControl"], {"localType": vocab[term]})
            _text(local, tags["term"], str(value))


def _statuses(unit) -> tuple[str, str]:
    return (
        "new" if unit[11] == "draft" else "revised",
        "approved" if unit[11] == "final" else "inProcess",
    )


def _declares_language(unit) -> bool:
    return bool(re.fullmatch("[a-z]{3}", unit[14] or ""))


def _has_archive_form(found: Facts) -> bool:
    return any(name[0] == "archive" for name in found.names)


def _events_or_placeholder(found: Facts, lang) -> list:
    if found.maintenance:
        return found.maintenance
    moment = timezone.localtime(timezone.now()).replace(microsecond=0).isoformat()
    return [("unknown", moment, "unknown", lang.unknown, "")]


# EAC-CPF 2010 (revised 2018) ------------------------------------------------------------------


def _record_1(found: Facts, lang: _Lang, context: _Context):
    root = etree.Element(T1["eac-cpf"], nsmap={None: NS_1, "xlink": XLINK})
    _control_1(root, found, lang, context)
    description = SE(root, T1["cpfDescription"])
    _identity_1(description, found, context.vocab, lang, context)
    _description_1(description, found, lang, context)
    if found.relations:
        relations = SE(description, T1["relations"])
        for kind, slug, name, start, end, change in found.relations:
            attributes = {
                "cpfRelationType": kind,
                XL_TYPE: "simple",
                XL_HREF: f"{context.base_url}/units/{slug}/",
            }
            if change:
                attributes[XL_ARCROLE] = context.vocab[change]
            element = SE(relations, T1["cpfRelation"], attributes)
            _text(element, T1["relationEntry"], name)
            if kind.startswith("temporal"):
                _date(element, T1["date"], start, lang, context.vocab, False)
            else:
                _range(element, T1, start, end, lang, context, False)
    return root


def _control_1(root, found: Facts, lang: _Lang, context: _Context):
    t, unit, vocab = T1, found.unit, context.vocab
    control = SE(root, t["control"])
    _text(control, t["recordId"], unit[1])
    maintenance, publication = _statuses(unit)
    _text(control, t["maintenanceStatus"], maintenance)
    _text(control, t["publicationStatus"], publication)
    _text(SE(control, t["maintenanceAgency"]), t["agencyName"], texts.AGENCY_NAME)
    if _declares_language(unit):
        declaration = SE(control, t["languageDeclaration"])
        SE(declaration, t["language"], {"languageCode": unit[14]})
        SE(declaration, t["script"], {"scriptCode": "Latn"})
    conventions = [(texts.ISAAR_CODE, texts.ISAAR_CITATION, None)]
    conventions.append((texts.DATES_CODE, lang.dates, lang.dates_note))
    if _has_archive_form(found):
        conventions.append((texts.ARCHIVE_CODE, texts.ARCHIVE_CITATION, None))
    for code, citation, note in conventions:
        convention = SE(control, t["conventionDeclaration"])
        _text(convention, t["abbreviation"], code)
        _text(convention, t["citation"], citation)
        if note:
            _text(SE(convention, t["descriptiveNote"]), t["p"], note)
    local_types = SE(control, t["localTypeDeclaration"])
    _text(local_types, t["abbreviation"], texts.VOCAB_CODE)
    _text(local_types, t["citation"], lang.local_types, {XL_TYPE: "simple", XL_HREF: vocab[""]})
    _local_controls(control, t, unit, vocab)
    history = SE(control, t["maintenanceHistory"])
    for kind, moment, agent_type, agent, reason in _events_or_placeholder(found, lang):
        event = SE(history, t["maintenanceEvent"])
        _text(event, t["eventType"], kind)
        _text(event, t["eventDateTime"], moment, {"standardDateTime": moment})
        _text(event, t["agentType"], agent_type)
        _text(event, t["agent"], agent)
        if reason:
            _text(event, t["eventDescription"], reason)
    if found.sources:
        sources = SE(control, t["sources"])
        for i, source in enumerate(found.sources, 1):
            element = SE(sources, t["source"], {XML_ID: f"source-{i}", XL_TYPE: "simple"})
            _text(element, t["sourceEntry"], source[0])
            _note(element, t, source, lang, vocab, True)


def _identity_1(parent, found: Facts, vocab, lang, context):
    t = T1
    identity = SE(parent, t["identity"])
    for scheme, value, ref in found.identifiers:
        _text(identity, t["entityId"], value, {XML_ID: ref, "localType": vocab[scheme]})
    _text(identity, t["entityType"], "corporateBody")
    for _kind, name, short, name_inferred, short_inferred, *rest in found.names:
        language, start, end, ref, term = rest
        for text, ref_, term_, inferred in (
            (name, ref, term, name_inferred),
            (short, "", "shortName", short_inferred),
        ):
            if not text:
                continue
            attributes = {XML_ID: ref_} if ref_ else {}
            if language:
                attributes[XML_LANG] = language
            if term_:
                attributes["localType"] = vocab[term_]
            entry = SE(identity, t["nameEntry"], attributes)
            reading = {"localType": vocab["registryReading"]} if inferred else None
            _text(entry, t["part"], text, reading)
            if start is not None or end is not None:
                _range(SE(entry, t["useDates"]), t, start, end, lang, context, False)
            if term_ == "archive":
                _text(entry, t["authorizedForm"], texts.ARCHIVE_CODE)
            else:
                form = "alternativeForm" if term_ else "authorizedForm"
                _text(entry, t[form], texts.ISAAR_CODE)


def _description_1(parent, found: Facts, lang, context):
    t, unit, vocab = T1, found.unit, context.vocab
    description = SE(parent, t["description"])
    if found.exist is not None:
        _exist(description, t, found, lang, context, False)
    if unit[2]:
        _local_description(description, t, "kind", unit[2], unit[3], lang, vocab)
    if unit[4]:
        _local_description(description, t, "targetGroup", unit[4], False, lang, vocab)
    if unit[10]:
        _text(SE(description, t["legalStatus"]), t["term"], unit[10])
    for tag, text in (("functions", unit[7]), ("mandates", unit[8])):
        if text:
            element = SE(description, t[tag])
            for paragraph in text.split("\n\n"):
                _text(element, t["p"], paragraph)
    _structure_and_history(description, t, found, lang, context, False)


# EAC-CPF 2.0 --------------------------------------------------------------------------------


def _record_2(found: Facts, lang: _Lang, context: _Context):
    root = etree.Element(T2["eac"], nsmap={None: NS_2})
    _control_2(root, found, lang, context)
    description = SE(root, T2["cpfDescription"])
    _identity_2(description, found, lang, context)
    _description_2(description, found, lang, context)
    if found.relations:
        t, vocab = T2, context.vocab
        relations = SE(description, t["relations"])
        for kind, slug, name, start, end, change in found.relations:
            element = SE(relations, t["relation"])
            target = SE(
                element,
                t["targetEntity"],
                {"targetType": "corporateBody", "valueURI": f"{context.base_url}/units/{slug}/"},
            )
            _text(target, t["part"], name or slug)
            if kind.startswith("temporal"):
                _date(element, t["date"], start, lang, vocab, True)
            else:
                _range(element, t, start, end, lang, context, True)
            _text(
                element, t["relationType"], kind, {"localType": vocab[change]} if change else None
            )
    return root


def _control_2(root, found: Facts, lang: _Lang, context: _Context):
    t, unit, vocab = T2, found.unit, context.vocab
    maintenance, publication = _statuses(unit)
    attributes = {"maintenanceStatus": maintenance, "publicationStatus": publication}
    if texts.DETAIL_LEVELS_2.get(unit[12]):
        attributes["detailLevel"] = texts.DETAIL_LEVELS_2[unit[12]]
    attributes.update(
        languageEncoding="iso639-2b", scriptEncoding="iso15924", dateEncoding="iso8601"
    )
    control = SE(root, t["control"], attributes)
    _text(control, t["recordId"], unit[1])
    _text(SE(control, t["maintenanceAgency"]), t["agencyName"], texts.AGENCY_NAME)
    history = SE(control, t["maintenanceHistory"])
    for kind, moment, agent_type, agent, reason in _events_or_placeholder(found, lang):
        event = SE(history, t["maintenanceEvent"], {"maintenanceEventType": kind})
        _text(event, t["agent"], agent, {"agentType": agent_type})
        _text(event, t["eventDateTime"], moment, {"standardDateTime": moment})
        if reason:
            _text(event, t["eventDescription"], reason)
    if found.sources:
        sources = SE(control, t["sources"])
        for i, source in enumerate(found.sources, 1):
            element = SE(sources, t["source"], {"id": f"source-{i}"})
            _text(element, t["reference"], source[0])
            if source[3]:
                _text(element, t["citedRange"], source[3], {"unit": "heading"})
            _note(element, t, source, lang, vocab, False)
    conventions = [("isaar-cpf", texts.ISAAR_CITATION, texts.ISAAR_CODE, None)]
    conventions.append((texts.DATES_CODE, lang.dates, texts.DATES_CODE, lang.dates_note))
    if _has_archive_form(found):
        conventions.append((texts.ARCHIVE_CODE, texts.ARCHIVE_CITATION, texts.ARCHIVE_CODE, None))
    for pk, reference, code, note in conventions:
        convention = SE(control, t["conventionDeclaration"], {"id": pk})
        _text(convention, t["reference"], reference)
        _text(convention, t["shortCode"], code)
        if note:
            _text(SE(convention, t["descriptiveNote"]), t["p"], note)
    if _declares_language(unit):
        SE(control, t["languageDeclaration"], {"languageCode": unit[14], "scriptCode": "Latn"})
    _local_controls(control, t, unit, vocab)
    local_types = SE(control, t["localTypeDeclaration"])
    _text(local_types, t["reference"], lang.local_types, {"href": vocab[""]})
    _text(local_types, t["shortCode"], texts.VOCAB_CODE)


def _identity_2(parent, found: Facts, lang, context):
    t, vocab = T2, context.vocab
    identity = SE(parent, t["identity"])
    SE(identity, t["entityType"], {"value": "corporateBody"})
    about = {}
    for i, source in enumerate(found.sources, 1):
        if source[7]:
            about.setdefault(source[7], []).append(f"source-{i}")
    for _kind, name, short, name_inferred, short_inferred, *rest in found.names:
        language, start, end, ref, term = rest
        for text, ref_, term_, inferred, sources in (
            (name, ref, term, name_inferred, about.get(ref)),
            (short, "", "shortName", short_inferred, None),
        ):
            if not text:
                continue
            attributes = {"id": ref_} if ref_ else {}
            if language:
                attributes["languageOfElement"] = language
            if term_:
                attributes["localType"] = vocab[term_]
            attributes["status"] = "alternative" if term_ not in ("", "archive") else "authorized"
            attributes["conventionDeclarationReference"] = (
                texts.ARCHIVE_CODE if term_ == "archive" else "isaar-cpf"
            )
            if sources:
                attributes["sourceReference"] = " ".join(sources)
            entry = SE(identity, t["nameEntry"], attributes)
            reading = {"localType": vocab["registryReading"]} if inferred else None
            _text(entry, t["part"], text, reading)
            if start is not None or end is not None:
                _range(SE(entry, t["useDates"]), t, start, end, lang, context, True)
    for scheme, value, ref in found.identifiers:
        attributes = {"id": ref, "localType": vocab[scheme]}
        if about.get(ref):
            attributes["sourceReference"] = " ".join(about[ref])
        _text(identity, t["identityId"], value, attributes)


def _description_2(parent, found: Facts, lang, context):
    t, unit, vocab = T2, found.unit, context.vocab
    description = SE(parent, t["description"])
    if unit[7]:
        element = SE(description, t["functions"])
        for paragraph in unit[7].split("\n\n"):
            _text(SE(element, t["function"]), t["term"], paragraph)
    if unit[10]:
        _text(SE(SE(description, t["legalStatuses"]), t["legalStatus"]), t["term"], unit[10])
    if unit[2] or unit[4]:
        element = SE(description, t["localDescriptions"])
        if unit[2]:
            _local_description(element, t, "kind", unit[2], unit[3], lang, vocab)
        if unit[4]:
            _local_description(element, t, "targetGroup", unit[4], False, lang, vocab)
    if unit[8]:
        element = SE(description, t["mandates"])
        for paragraph in unit[8].split("\n\n"):
            _text(SE(element, t["mandate"]), t["term"], paragraph)
    if found.exist is not None:
        _exist(description, t, found, lang, context, True)
    _structure_and_history(description, t, found, lang, context, True)
