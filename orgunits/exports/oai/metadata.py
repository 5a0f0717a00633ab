"""A record's metadata in each format: EAC-CPF (either version) and simple Dublin Core."""

from django.utils import translation
from lxml import etree

from orgunits.models import UnitName, classification_labels

from ..eaccpf import export
from ..eaccpf.schemas import V1, XML
from ..eaccpf.writer import xml_text
from .protocol import DC, FORMATS, OAI_DC, XML_LANG, XSI


def metadata(record, prefix: str, base: str) -> etree._Element:
    """A record's metadata in the format of `prefix`, with where its schema is."""
    form = FORMATS[prefix]
    if form.version is None:
        root = dublin_core(record, base)
    else:
        root = export.to_xml(record, form.version, base_url=base).getroot()
        _ids_of_its_own(root, record.slug, form.version)
    root.set(f"{{{XSI}}}schemaLocation", f"{form.namespace} {form.schema}")
    return root


def _ids_of_its_own(root, slug: str, version: str):
    """The ids of a record are unique only within it, and a list of records would repeat
    `source-1` in one document, which parsers (1.x: xml:id) and validators (2.0: xs:ID)
    refuse: each becomes the record's own (`unit-<slug>.source-1`), and so does every
    reference to it, the passages' "about" spans (which the importer reads back) included."""
    key = f"{{{XML}}}id" if version == V1 else "id"
    own = {}
    for element in root.iter():
        if key in element.attrib:
            own[element.get(key)] = f"unit-{slug}.{element.get(key)}"
            element.set(key, own[element.get(key)])
    for element in root.iter():
        for name, value in element.attrib.items():
            if name.endswith("Reference"):  # sourceReference, conventionDeclarationReference
                element.set(name, " ".join(own.get(ref, ref) for ref in value.split()))
        if (element.get("localType") or "").endswith("#about") and element.text in own:
            element.text = own[element.text]


def dublin_core(record, base: str) -> etree._Element:
    """The record in simple Dublin Core: its names (the current authorised one first),
    page and outside identifiers, dates of existence, description, and related units."""
    root = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    language = export.UI_LANGUAGES.get(record.record_language, "da")

    def add(tag: str, text: str, lang: str | None = None):
        text = xml_text(text).strip()
        if text:
            element = etree.SubElement(root, f"{{{DC}}}{tag}")
            element.text = text
            if lang:
                element.set(XML_LANG, lang)

    authorised = [n for n in record.names if n.kind == UnitName.Kind.AUTHORISED]
    names = [*reversed(authorised), *(n for n in record.names if n not in authorised)]
    for name, lang in dict.fromkeys((n.name, n.language) for n in names):
        add("title", name, lang)
    add("identifier", export.unit_url(base, record.slug))
    for identifier in record.identifiers:
        add("identifier", f"{identifier.scheme}:{identifier.value}")
    if record.has_exist_dates:
        add("date", _edtf_interval(record.exists_from, record.exists_to))
    with translation.override(language):
        kind, group = classification_labels(record.kind, record.target_group)
    add("type", kind, language)
    add("subject", group if record.target_group else "", language)
    for text in (record.description, record.functions):
        add("description", text, language)
    for url in dict.fromkeys(export.unit_url(base, r.slug) for r in record.relations):
        add("relation", url)
    add("publisher", export.AGENCY_NAME, "da")
    add("language", record.record_language)
    for title in dict.fromkeys(source.title for source in record.sources):
        add("source", title)
    return root


def _edtf(bound) -> str:
    """A date as EDTF, no more precise than known: empty where unknown or within a range."""
    if bound is None or bound.date is None or bound.certainty not in ("exact", "approximate"):
        return ""
    return bound.date.isoformat() + ("~" if bound.certainty == "approximate" else "")


def _edtf_interval(start, end) -> str:
    """From the first day to the last (the day before the change that ended it); `..`: open."""
    first = _edtf(start)
    last = ".." if end is None else _edtf(end.shifted(-1))
    return "" if not first and last == ".." else f"{first}/{last}"
