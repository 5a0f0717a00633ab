"""Whatever an archivist uploads — a real record bent out of shape, a zip of them, XML-ish text
or random bytes — the EAC-CPF import either refuses it with messages that say what is wrong and
writes nothing, or imports valid draft units; it never fails with another exception."""

import copy
import io
import warnings
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from hypothesis import event, given
from hypothesis import strategies as st
from lxml import etree

from history.loaders.eaccpf.read import ImportFailed
from history.loaders.eaccpf.write import import_files
from history.models import Change, Reorganisation
from orgunits.exports.eaccpf.schemas import NS_1, NS_2, V1, V2, XLINK, XML
from orgunits.integrity import structure_problems
from orgunits.models import (
    MPTT_FIELDS,
    Citation,
    SourceDocument,
    Unit,
    UnitIdentifier,
    UnitName,
    UnitNode,
)

from ..eaccpf.conftest import NS, fetch
from .conftest import examples, tree_numbers_problems_beside_the_generated_organisation

pytestmark = pytest.mark.django_db

# Seed units whose records carry the interesting parts: a merger into it (mr-voksne), a split
# from, a move and a merger (mr-handicap-og-psykiatri), a split into four
# (mr-kontorerne-foer-2008), a move and a dissolution (tvaergaaende-juridisk-enhed).
SOURCES = [
    "mr-voksne",
    "mr-handicap-og-psykiatri",
    "mr-kontorerne-foer-2008",
    "tvaergaaende-juridisk-enhed",
]
MODELS = (
    Unit,
    UnitName,
    UnitIdentifier,
    UnitNode,
    Citation,
    SourceDocument,
    Reorganisation,
    Change,
)
ATTRIBUTES = [
    "standardDate",
    "notBefore",
    "notAfter",
    "localType",
    "certainty",
    "status",
    "cpfRelationType",
    "valueURI",
    f"{{{XLINK}}}href",
    f"{{{XLINK}}}arcrole",
    f"{{{XML}}}id",
    "id",
    "target",
]

# Text lxml can write into a document (XML 1.0 characters).
xml_text = st.text(
    st.characters(
        exclude_categories=["Cs", "Cc"],
        include_characters="\t\n",
        exclude_characters="\ufffe\uffff",
    ),
    max_size=30,
)
texts = st.one_of(
    xml_text,
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=3),  # ², ١٢
    st.sampled_from(["0", "32768", "-1", "2008-09-01", "kontor", "forvaltning", "born"]),
)
record_ids = st.one_of(
    st.from_regex(r"\Afuzz-[a-z0-9]{1,8}\Z"),
    st.from_regex(r"\Afuzz-[a-z0-9]{1,8}\Z"),
    st.sampled_from(["mr-voksne", "", "a" * 101, "fuzz kopi", "socialforvaltningen"]),
    xml_text,
)
attribute_values = st.one_of(
    xml_text,
    st.sampled_from(
        [
            "2008-09-01",
            "2011-03-01",
            "2008",
            "2008-02",
            "2008-13",
            "2008-02-30",
            "0000",
            "9999-12-31",
            "1999-01-01",
            "2050-01-01",
            "unknown",
            "beforeRecords",
            "range",
            "approximate",
            "merged",
            "split",
            "hierarchical-parent",
            "hierarchical-child",
            "temporal-earlier",
            "temporal-later",
            "http://testserver/units/center-for-maal-og-rammer/",
            "http://testserver/units/mr-voksne/",
            "http://testserver/units/socialforvaltningen/",
            "http://testserver/units/fuzz-parent/",
            "https://example.org/vocabulary#kind",
        ]
    ),
)
operations = st.sampled_from(["remove", "duplicate", "text", "attribute", "attribute"])


ENTITY_PROLOGS = st.sampled_from(
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "ent">]>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        b'<?xml version="1.0"?>',
    ]
)
PROLOGS = st.sampled_from(
    [
        b'<?xml version="1.0" encoding="bogus"?>',
        b'<?xml version="1.0" encoding="UTF-16"?>',
        b'<?xml version="1.1" encoding="ISO-8859-1"?>',
        b'<?xml version="9.9"?>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "ent">]>',
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.org/x.dtd">',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        b"\xef\xbb\xbf",
        b"",
    ]
)


@pytest.fixture
def records(client):
    """The registry's own records of the source units, in both versions."""
    return [(version, fetch(client, slug, version)) for slug in SOURCES for version in (V1, V2)]


def bent(data, version: str, content: bytes) -> bytes:
    """A real record, usually under a new recordId (else it is refused as already there),
    with a few elements removed, duplicated or given other text or attributes, and perhaps
    damaged as bytes."""
    root = etree.fromstring(content)
    if data.draw(st.integers(0, 4)) < 4:
        root.find("e:control/e:recordId", NS[version]).text = data.draw(record_ids)
    for _ in range(data.draw(st.sampled_from([0, 1, 1, 2, 3]))):
        elements = list(root.iter(etree.Element))
        element = data.draw(st.sampled_from(elements))
        operation = data.draw(operations)
        parent = element.getparent()
        if operation == "remove" and parent is not None:
            parent.remove(element)
        elif operation == "duplicate" and parent is not None:
            parent.insert(parent.index(element), copy.deepcopy(element))
        elif operation == "text":
            element.text = data.draw(texts)
        elif operation == "attribute":
            # Mostly another value for an attribute the element has (another date, another
            # unit), so that the record often still follows the schema.
            own = list(element.attrib)
            keep_to_own = own and data.draw(st.integers(0, 2))
            name = data.draw(st.sampled_from(own if keep_to_own else ATTRIBUTES))
            element.set(name, data.draw(attribute_values))
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    damage = data.draw(st.sampled_from(["none"] * 6 + ["truncate", "splice", "prolog", "entity"]))
    if damage == "truncate":
        content = content[: data.draw(st.integers(0, len(content)))]
    elif damage == "splice":
        at = data.draw(st.integers(0, len(content)))
        content = content[:at] + data.draw(st.binary(max_size=8)) + content[at:]
    elif damage == "prolog":
        body = content.split(b"?>", 1)[1]
        content = data.draw(PROLOGS) + body
    elif damage == "entity":
        body = content.split(b"?>", 1)[1].replace(b"</part>", b"&e;</part>", 1)
        content = data.draw(ENTITY_PROLOGS) + body
    return content


# XML-ish text: elements of the EAC-CPF vocabulary, in either namespace or none, nested at
# random, with text and attributes.
TAGS = [
    "eac-cpf",
    "eac",
    "control",
    "recordId",
    "cpfDescription",
    "identity",
    "entityType",
    "nameEntry",
    "part",
    "description",
    "existDates",
    "dateRange",
    "fromDate",
    "toDate",
    "date",
    "relations",
    "cpfRelation",
    "relation",
    "relationType",
    "targetEntity",
]
NAMESPACES = ["", f"{{{NS_1}}}", f"{{{NS_2}}}", "{urn:x}"]


tags = st.builds("{}{}".format, st.sampled_from(NAMESPACES), st.sampled_from(TAGS))
leaf = st.tuples(tags, xml_text, st.just({}), st.just([]))
xmlish = st.recursive(
    leaf,
    lambda children: st.tuples(
        tags,
        xml_text,
        st.dictionaries(st.sampled_from(ATTRIBUTES), attribute_values, max_size=2),
        st.lists(children, max_size=3),
    ),
    max_leaves=12,
).map(lambda spec: etree.tostring(build(spec), xml_declaration=True, encoding="UTF-8"))


def build(spec) -> etree._Element:
    """An element from (tag, text, attributes, children)."""
    tag, text, attributes, children = spec
    element = etree.Element(tag, attributes)
    element.text = text
    for child in children:
        element.append(build(child))
    return element


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def imported_or_refused(files, user, *, may_import: bool = True):
    """Import `files` in a savepoint that is rolled back; check the outcome either way."""
    before = counts()
    with transaction.atomic():
        try:
            result = import_files(files, user=user, reason="Fuzz")
        except ImportFailed as failure:
            event("refused")
            assert failure.messages and all(str(m).strip() for m in failure.messages)
            assert counts() == before, "a refused import wrote something"
        else:
            event("imported")
            assert may_import, f"imported {result.units}"
            assert result.units
            for unit in Unit.objects.filter(slug__in=result.units):
                assert unit.record_status == "draft"
                invalid = []
                for row in [unit, *unit.names.all(), *unit.nodes.all()]:
                    try:
                        row.full_clean(exclude=MPTT_FIELDS if isinstance(row, UnitNode) else None)
                    except ValidationError as e:
                        invalid.append(f"{row!r}: {e.messages}")
                assert invalid == []
            assert structure_problems() == []
            assert tree_numbers_problems_beside_the_generated_organisation() == []
        transaction.set_rollback(True)


@examples(40)
@given(data=st.data())
def test_a_bent_record_is_refused_clearly_or_imported_as_a_valid_draft(records, archivist, data):
    version, content = records[data.draw(st.integers(0, len(records) - 1))]
    imported_or_refused([("record.xml", bent(data, version, content))], archivist)


@examples(10)
@given(data=st.data())
def test_a_zip_of_bent_records_is_refused_clearly_or_imported_whole(records, archivist, data):
    members = []
    for index in range(data.draw(st.integers(1, 3))):
        version, content = records[data.draw(st.integers(0, len(records) - 1))]
        name = data.draw(st.sampled_from([f"r{index}.xml", "same.xml", "../up.xml", "x.txt"]))
        members.append((name, bent(data, version, content)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the same name twice is one of the cases
        for name, content in members:
            archive.writestr(name, content)
    zipped = buffer.getvalue()
    if data.draw(st.integers(0, 3)) == 0:  # damage the zip itself
        at = data.draw(st.integers(0, len(zipped)))
        zipped = zipped[:at] + data.draw(st.binary(max_size=8)) + zipped[at + 8 :]
    imported_or_refused([("records.zip", zipped)], archivist)


@examples(20)
@given(content=st.one_of(xmlish, st.binary(max_size=200), xml_text.map(str.encode)))
def test_xml_ish_text_and_random_bytes_are_refused_with_a_message(archivist, content):
    imported_or_refused([("upload.xml", content)], archivist, may_import=False)


# Found by fuzzing ----------------------------------------------------------------------------


def refused_in_english(files, user) -> list[str]:
    before = counts()
    with pytest.raises(ImportFailed) as failure, translation.override("en"):
        import_files(files, user=user, reason="Test af import")
    assert counts() == before
    return failure.value.messages


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_damaged_file_in_a_zip_is_refused_with_a_message(client, archivist):
    content = fetch(client, "mr-voksne", V1)
    damaged = zipped({"mr-voksne.xml": content}).replace(content[-40:], b"x" * 40)
    (message,) = refused_in_english([("records.zip", damaged)], archivist)
    assert message == (
        "records.zip/mr-voksne.xml: the file cannot be read from the zip file (damaged or "
        "encrypted)."
    )


def test_a_zip_without_xml_files_is_refused_with_a_message(archivist):
    (message,) = refused_in_english([("notes.zip", zipped({"notes.txt": b"x"}))], archivist)
    assert message == "notes.zip: the zip file holds no XML files."


@pytest.mark.parametrize(
    "declaration",
    [b'<!ENTITY e "Kontor">', b'<!ENTITY e SYSTEM "file:///etc/passwd">'],
    ids=["internal", "external"],
)
def test_a_record_using_an_entity_is_refused_with_a_message(client, archivist, declaration):
    body = fetch(client, "mr-voksne", V1).split(b"?>", 1)[1]
    content = (
        b'<?xml version="1.0"?><!DOCTYPE eac-cpf ['
        + declaration
        + b"]>"
        + body.replace(b"</part>", b" &e;</part>", 1)
    )
    (message,) = refused_in_english([("mr-voksne.xml", content)], archivist)
    assert "the file uses the entity &e;, which the import does not expand" in message


@pytest.mark.parametrize("version", [V1, V2])
def test_a_position_in_other_digits_is_ignored_not_a_crash(client, archivist, version):
    root = etree.fromstring(fetch(client, "mr-voksne", version))
    root.find("e:control/e:recordId", NS[version]).text = "mr-voksne-kopi"
    (position,) = [
        control
        for control in root.iterfind("e:control/e:localControl", NS[version])
        if control.get("localType", "").endswith("#position")
    ]
    position.find("e:term", NS[version]).text = "²"
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    import_files([("kopi.xml", content)], user=archivist, reason="Test af import")

    assert Unit.objects.get(slug="mr-voksne-kopi").position == 100
