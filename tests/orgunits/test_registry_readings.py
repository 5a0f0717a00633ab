"""A name, short name, kind or post that no source states is flagged as the registry's reading
in the data and on every surface (issue 13's audit: "SOF", "MR Voksne", the kind of the three
authority centres, "Leder af Løn-enheden")."""

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from rdflib import Graph, URIRef

from history.changes import Reclassify, Rename
from history.loaders.seed import FIXTURE, read_fixture
from history.services import apply_reorganisation
from orgunits.models import Unit, UnitName
from responsibilities.models import Post
from tests.streamed import body

from ..admin.test_each_kind_of_dated_change import post as post_dated_change
from ..eaccpf.conftest import find, findall, record, term
from ..pages.test_unit_pages import section

pytestmark = pytest.mark.django_db

SOURCES = Path(settings.BASE_DIR) / "fixtures" / "sources"
SOF = "http://testserver/vocab#"


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


def test_a_name_is_flagged_as_the_registrys_reading_exactly_when_no_source_writes_it():
    # The rule the seed follows: a name or short name the two documents do not contain (case
    # aside) was formed by the registry ("SOF", "DU Børn og familier", "MR Voksne").
    sources = plain(" ".join(p.read_text() for p in SOURCES.glob("*.txt")))
    wrong = []
    for reorganisation in read_fixture(FIXTURE)["reorganisations"]:
        for change in reorganisation.get("changes") or ():
            for field in ("name", "short_name"):
                value = change.get(field)
                if value and (plain(value) not in sources) != bool(change.get(f"{field}_inferred")):
                    wrong.append((change.get("create") or change.get("rename"), field, value))
    assert wrong == []


def test_the_seed_flags_sof_mr_voksne_the_authority_centres_kind_and_the_pay_units_post():
    assert UnitName.objects.get(unit__slug="socialforvaltningen").short_name_inferred
    assert UnitName.objects.get(unit__slug="mr-voksne").short_name_inferred
    assert not UnitName.objects.get(unit__slug="mr-voksne").name_inferred  # the archive's
    assert set(Unit.objects.filter(kind_inferred=True).values_list("slug", flat=True)) == {
        "socialcenter-koebenhavn",
        "handicapcenter-koebenhavn",
        "oekonomiservice",
    }
    assert list(Post.objects.filter(inferred=True).values_list("title", flat=True)) == [
        "Leder af Løn-enheden"
    ]


def test_the_unit_page_marks_a_short_name_no_source_uses(client):
    page = client.get("/units/socialforvaltningen/", {"date": "2009-01-01"}).content.decode()
    heading = page[page.index("<h1>") : page.index("</h1>")]
    assert "(SOF)" in heading and "registrets fortolkning" in heading
    names = section(client.get("/units/socialforvaltningen/"), "Navne over tid")
    assert re.search(r"SOF <span class=\"badge reading\"", names)
    # Direktionen is the plan's own word: nothing to flag.
    page = client.get("/units/direktion/", {"date": "2009-01-01"}).content.decode()
    assert "registrets fortolkning" not in page[page.index("<h1>") : page.index("</h1>")]


def test_the_unit_page_marks_the_kind_of_an_authority_centre_as_the_registrys_reading(client):
    # Stadsarkivet only says "Økonomiservice (Myndighedscentrene)": no source calls the three
    # units authority centres of one kind.
    page = client.get("/units/oekonomiservice/", {"date": "2010-06-01"}).content.decode()
    kind = page[page.index("<dt>Type</dt>") : page.index("</dd>", page.index("<dt>Type</dt>"))]
    assert "Myndighedscenter" in kind and "registrets fortolkning" in kind


def test_the_chart_marks_what_is_the_registrys_reading_in_the_box(client):
    page = client.get("/", {"date": "2010-06-01"}).content.decode()
    box = page[page.index('id="unit-oekonomiservice"') :]  # the box, not the day's changes
    box = box[: box.index("</div>")]
    assert "registrets fortolkning: type" in box
    box = page[page.index('id="unit-socialforvaltningen"') :]
    assert "registrets fortolkning: kortnavn" in box[: box.index("</div>")]


def test_the_csv_says_which_fields_are_the_registrys_reading(client):
    response = client.get("/export/units.csv", {"date": "2011-03-01"})
    rows = list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig"))))
    by_slug = {row["id"]: row for row in rows}
    assert by_slug["mr-voksne"]["registrets fortolkning"] == "kortnavn"
    assert by_slug["du-born"]["registrets fortolkning"] == "navn; kortnavn"
    assert by_slug["socialcenter-koebenhavn"]["registrets fortolkning"] == "type"
    assert by_slug["center-for-maal-og-rammer"]["registrets fortolkning"] == ""


def test_the_json_ld_names_the_inferred_properties(client):
    response = client.get("/export/org.jsonld", {"date": "2011-03-01"})
    graph = Graph().parse(data=body(response).decode(), format="json-ld")

    def inferred(slug):
        unit = URIRef(f"http://testserver/units/{slug}/")
        return {str(o) for o in graph.objects(unit, URIRef(f"{SOF}inferredProperty"))}

    assert inferred("mr-voksne") == {"http://www.w3.org/2004/02/skos/core#altLabel"}
    assert inferred("oekonomiservice") == {f"{SOF}kind"}
    assert inferred("center-for-maal-og-rammer") == set()


def test_the_task_json_says_the_post_of_the_pay_unit_is_the_registrys_reading(client):
    # Planen, "Lønområdet": the pay tasks are "ledet og varetaget i en selvstændig enhed",
    # but no post is named.
    found = client.get(
        "/tasks/", {"q": "overordnede lønopgaver", "date": "2009-01-01", "format": "json"}
    ).json()
    held = next(h for h in found if h["unit_slug"] == "loen-enheden")
    assert (held["post"], held["post_inferred"]) == ("Leder af Løn-enheden", True)
    page = client.get("/tasks/loenopgaver/").content.decode()
    assert re.search(r"Leder af Løn-enheden <span class=\"badge reading\"", page)


@pytest.mark.parametrize("version", ["1", "2"])
def test_the_eac_cpf_record_types_an_inferred_name_part_and_kind(client, version):
    root = record(client, "socialforvaltningen", version)
    parts = {
        p.text: term(p.get("localType"))
        for p in findall(root, "e:cpfDescription/e:identity/e:nameEntry/e:part", version)
    }
    assert parts == {"Socialforvaltningen": None, "SOF": "registryReading"}
    root = record(client, "oekonomiservice", version)
    locals_ = findall(root, ".//e:localDescription", version)
    kind = next(e for e in locals_ if term(e.get("localType")) == "kind")
    span = find(kind, "e:descriptiveNote/e:p/e:span", version)
    assert term(span.get("localType")) == "registryReading"


def test_a_replay_keeps_the_flag_on_the_names_it_writes_again():
    # A rename entered for 2010 replays the merger of 2011, which names MR Voksne again.
    before = UnitName.objects.get(unit__slug="mr-voksne").pk
    apply_reorganisation(
        title="Omdøbning fundet i et referat",
        date=datetime.date(2010, 1, 1),
        changes=[Rename(unit="mr-handicap-og-psykiatri", name="MR Handicap og Psykiatri")],
        reason="Referat",
    )
    name = UnitName.objects.get(unit__slug="mr-voksne")
    assert name.pk != before  # written again by the replay
    assert (name.short_name, name.short_name_inferred) == ("MR Voksne", True)


def test_an_archivist_flags_a_short_name_as_the_registrys_reading_in_a_dated_change(admin_client):
    response = post_dated_change(
        admin_client,
        {
            "kind": "create",
            "unit": "ny-enhed",
            "target": "center-for-maal-og-rammer",
            "name": "Enheden for nye opgaver",
            "short_name": "ENO",
            "short_name_inferred": "on",
            "unit_kind": "enhed",
            "kind_inferred": "on",
        },
    )
    assert response.status_code == 302
    name = UnitName.objects.get(unit__slug="ny-enhed")
    assert (name.name_inferred, name.short_name_inferred) == (False, True)
    assert Unit.objects.get(slug="ny-enhed").kind_inferred


def test_a_kind_a_sourced_reclassification_gives_is_not_the_registrys_reading(client):
    # Found by the attacker: a reclassification back to the record's own kind, with its own
    # source, was still flagged as inferred.
    for date, kind in ((datetime.date(2012, 1, 1), "enhed"), (datetime.date(2013, 1, 1), None)):
        apply_reorganisation(
            title=f"Økonomiservice {date.year}",
            date=date,
            changes=[Reclassify(unit="oekonomiservice", kind=kind or "myndighedscenter")],
            reason="Referat",
        )
    graph = Graph().parse(
        data=body(client.get("/export/org.jsonld", {"date": "2013-06-01"})).decode(),
        format="json-ld",
    )
    unit = URIRef("http://testserver/units/oekonomiservice/")
    assert not list(graph.objects(unit, URIRef(f"{SOF}inferredProperty")))
    page = body(client.get("/units/oekonomiservice/", {"date": "2013-06-01"})).decode()
    kind = page[page.index("<dt>Type</dt>") : page.index("</dd>", page.index("<dt>Type</dt>"))]
    assert "registrets fortolkning" not in kind
    # Before any reclassification, the record's own kind is still flagged.
    page = body(client.get("/units/oekonomiservice/", {"date": "2011-06-01"})).decode()
    kind = page[page.index("<dt>Type</dt>") : page.index("</dd>", page.index("<dt>Type</dt>"))]
    assert "registrets fortolkning" in kind


def test_the_unit_list_marks_the_registrys_readings_and_disputed_starts(client):
    # Found in the user trial: the list showed "SOF" and the authority centres' kind plainly.
    page = client.get("/units/", {"date": "2010-06-01", "q": "socialforvaltningen"})
    row = page.content.decode().split("<tbody>")[1]
    assert re.search(r"SOF <span class=\"badge reading\"", row)
    page = client.get("/units/", {"date": "2008-07-01", "q": "Handicap og Psykiatri"})
    assert "kilderne er uenige" in page.content.decode().split("<tbody>")[1]


def test_the_chart_marks_the_posts_whose_short_names_are_the_registrys(client):
    page = client.get("/", {"date": "2009-01-01"}).content.decode()
    posts = page[page.index('<ul class="posts">') :]
    posts = posts[: posts.index("</ul>")]
    assert re.search(r"Direktør \(1\)</a> <span class=\"badge reading\"", posts)


def test_the_task_lookup_marks_a_holders_name_no_source_writes(client):
    # Found in the user trial: "Drifts- og Udviklingskontoret for Børn og familier" is the
    # registry's composition; the plan writes "Drifts- og Udviklingskontor" and the group.
    found = client.get(
        "/tasks/", {"q": "resultatkontrakter", "date": "2009-01-01", "format": "json"}
    ).json()
    du_born = next(h for h in found if h["unit_slug"] == "du-born")
    assert du_born["unit_name_inferred"] is True
    mr_born = client.get(
        "/tasks/", {"q": "budgetansvar", "date": "2009-01-01", "format": "json"}
    ).json()
    assert not any(h["unit_name_inferred"] for h in mr_born if h["unit_slug"] == "mr-udsatte")


def test_a_short_name_flag_without_a_short_name_is_refused_in_the_admin(admin_client):
    name = UnitName.objects.get(unit__slug="mr-voksne")
    response = admin_client.post(
        f"/admin/orgunits/unitname/{name.pk}/change/",
        {
            "name": name.name,
            "short_name": "",
            "short_name_inferred": "on",
            "language": "da",
            "change_reason": "Kortnavn fjernet",
        },
    )
    assert response.status_code == 200
    assert "Kun et kortnavn kan være registrets fortolkning" in response.content.decode()
    name.refresh_from_db()
    assert name.short_name == "MR Voksne"
