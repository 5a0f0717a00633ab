"""Reading the registry's EAC-CPF records back in tests: both versions, with the namespaces
their XPaths need."""

from lxml import etree

from history.loaders.seed import read_fixture
from orgunits.exports.eaccpf.schemas import NS_1, NS_2, V1, V2, XLINK

BASE = "http://testserver"
PATHS = {V1: "eac-cpf.xml", V2: "eac-cpf-2.xml"}
NS = {V1: {"e": NS_1, "xlink": XLINK}, V2: {"e": NS_2}}
SEED_SLUGS = [unit["slug"] for unit in read_fixture()["units"]]


def unit_url(slug: str) -> str:
    return f"{BASE}/units/{slug}/"


def fetch(client, slug: str, version: str) -> bytes:
    response = client.get(f"/units/{slug}/{PATHS[version]}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    return response.content


def record(client, slug: str, version: str) -> etree._Element:
    return etree.fromstring(fetch(client, slug, version))


def find(root, path: str, version: str):
    return root.find(path, NS[version])


def findall(root, path: str, version: str) -> list:
    return root.findall(path, NS[version])


def term(local_type: str | None) -> str | None:
    return local_type.rsplit("#", 1)[-1] if local_type else None


def relations(root, version: str) -> list[dict]:
    """The record's relations, the same way for both versions: what the related unit is, its
    page, how the relation came about, and the dates as their attributes."""
    found = []
    if version == V1:
        for element in findall(root, ".//e:relations/e:cpfRelation", version):
            found.append(
                {
                    "type": element.get("cpfRelationType"),
                    "href": element.get(f"{{{XLINK}}}href"),
                    "change": term(element.get(f"{{{XLINK}}}arcrole")),
                    **_dates(element, version),
                }
            )
    else:
        for element in findall(root, ".//e:relations/e:relation", version):
            relation_type = find(element, "e:relationType", version)
            found.append(
                {
                    "type": relation_type.text,
                    "href": find(element, "e:targetEntity", version).get("valueURI"),
                    "change": term(relation_type.get("localType")),
                    **_dates(element, version),
                }
            )
    return found


def _dates(element, version: str) -> dict:
    dates = {}
    for tag, key in (("e:dateRange/e:fromDate", "from"), ("e:dateRange/e:toDate", "to")):
        date = find(element, tag, version)
        dates[key] = dict(date.attrib) if date is not None else None
    date = find(element, "e:date", version)
    if date is not None:
        dates["date"] = dict(date.attrib)
    return dates
