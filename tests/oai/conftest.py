"""Harvesting the registry's OAI-PMH endpoint in tests: the responses checked against the
OAI-PMH schema, their parts read back with the namespaces their XPaths need."""

from pathlib import Path

from django.conf import settings
from lxml import etree

from orgunits.exports.eaccpf import schemas
from orgunits.exports.oai.protocol import DC, OAI, OAI_DC

SCHEMAS = Path(settings.BASE_DIR) / "orgunits" / "exports" / "oai_xsd"
NS = {"o": OAI, "oai_dc": OAI_DC, "dc": DC}
PREFIX = "oai:socialforvaltning.kk.dk:unit/"
# The Dublin Core schema imports these by URL; the tests read the local copies.
_IMPORTS = {
    "http://dublincore.org/schemas/xmls/simpledc20021212.xsd": "simpledc20021212.xsd",
    "http://www.w3.org/2001/03/xml.xsd": "deps/xml.xsd",
}


class _LocalImports(etree.Resolver):
    def resolve(self, system_url, public_id, context):
        local = _IMPORTS.get(system_url)
        return None if local is None else self.resolve_filename(str(SCHEMAS / local), context)


def _load(name: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalImports())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name), parser))


OAI_PMH_SCHEMA = _load("OAI-PMH.xsd")
OAI_DC_SCHEMA = _load("oai_dc.xsd")


def valid(schema: etree.XMLSchema, element) -> list[str]:
    """The schema's complaints about `element` as a document of its own."""
    document = etree.fromstring(etree.tostring(element))
    return [] if schema.validate(document) else [str(e) for e in schema.error_log]


def harvest(client, method: str = "get", *, query: str | None = None, **arguments):
    """The endpoint's answer to `arguments` (or a raw `query` string), checked: 200, XML,
    valid OAI-PMH."""
    if query is None:
        response = getattr(client, method)("/oai", arguments)
    else:
        response = client.get("/oai", QUERY_STRING=query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    assert valid(OAI_PMH_SCHEMA, root) == []
    return root


def error_code(root) -> str | None:
    error = root.find("o:error", NS)
    return None if error is None else error.get("code")


def echoed(root) -> dict:
    return dict(root.find("o:request", NS).attrib)


def headers(root) -> list[etree._Element]:
    return root.findall(".//o:header", NS)


def identifiers(root) -> list[str]:
    return [h.findtext("o:identifier", namespaces=NS) for h in headers(root)]


def token(root) -> etree._Element | None:
    return root.find(".//o:resumptionToken", NS)


def metadata_roots(root) -> list[etree._Element]:
    return [m[0] for m in root.iterfind(".//o:record/o:metadata", NS)]


def eac_errors(element, version: str) -> list:
    return schemas.validate(etree.fromstring(etree.tostring(element)), version)


def harvest_all(client, **arguments) -> tuple[list[etree._Element], list[etree._Element]]:
    """Every page of a list, following the resumption tokens: (pages, their tokens)."""
    pages, tokens = [harvest(client, **arguments)], []
    while (next_token := token(pages[-1])) is not None:
        tokens.append(next_token)
        if not next_token.text:
            break
        pages.append(harvest(client, verb=arguments["verb"], resumptionToken=next_token.text))
    return pages, tokens
