"""The official EAC-CPF schemas, loaded once, and validation against them.

The 1.x schema imports XLink and the W3C `xml:` schema over the network; no network is needed
(or reachable) here, so a resolver maps those imports to the local copies in `xsd/deps/`.
"""

import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from lxml import etree

NS_1 = "urn:isbn:1-931666-33-4"
NS_2 = "https://archivists.org/ns/eac/v2"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"

# The two versions the registry writes and reads: EAC-CPF 2010 (revised 2018) and 2.0.
V1 = "1"
V2 = "2"
ROOTS = {V1: f"{{{NS_1}}}eac-cpf", V2: f"{{{NS_2}}}eac"}

# The schema files the 1.x XSD imports, by the URLs it names, and their local copies.
_IMPORTS = {
    "http://www.loc.gov/standards/xlink/xlink.xsd": "deps/xlink.xsd",
    "http://www.w3.org/2007/08/xml.xsd": "deps/xml.xsd",
    "http://www.w3.org/2001/xml.xsd": "deps/xml.xsd",
}
_FILES = {V1: "v1.1-2018/cpf.xsd", V2: "v2.0-2022/eac.xsd"}


def schemas_dir() -> Path:
    return Path(settings.EAC_CPF_SCHEMAS_DIR)


class _LocalImports(etree.Resolver):
    def __init__(self, root: Path):
        super().__init__()
        self.root = root

    def resolve(self, system_url, public_id, context):
        local = _IMPORTS.get(system_url)
        if local is None:
            return None  # lxml then refuses: the parser reads nothing from the network
        return self.resolve_filename(str(self.root / local), context)


def _load(version: str, root: Path) -> etree.XMLSchema:
    path = root / _FILES[version]
    if not path.is_file():
        raise ImproperlyConfigured(
            f"The EAC-CPF schema {path} is missing: set EAC_CPF_SCHEMAS_DIR to the folder "
            "holding v1.1-2018/, v2.0-2022/ and deps/."
        )
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalImports(root))
    return etree.XMLSchema(etree.parse(str(path), parser))


# A validator keeps the errors of its last run on itself, so each thread has its own.
_loaded = threading.local()


def schema(version: str) -> etree.XMLSchema:
    """The official XSD of `version` (V1 or V2), parsed once (per thread)."""
    cache = _loaded.__dict__.setdefault("schemas", {})
    key = (version, schemas_dir())
    if key not in cache:
        cache[key] = _load(version, key[1])
    return cache[key]


@dataclass(frozen=True)
class SchemaError:
    line: int
    message: str


def validate(document: etree._ElementTree | etree._Element, version: str) -> list[SchemaError]:
    """The schema's complaints about `document`, with line numbers; empty when it is valid."""
    xsd = schema(version)
    if xsd.validate(document):
        return []
    return [SchemaError(line=e.line, message=e.message) for e in xsd.error_log]


def version_of(root: etree._Element) -> str | None:
    """V1 or V2 from the root element's namespace and name; None for anything else."""
    return next((v for v, tag in ROOTS.items() if root.tag == tag), None)
