"""/chart.svg and /chart.pdf — the chart drawn on the server, for reports and intranet pages."""

import re

import pytest
from django.utils import timezone
from lxml import etree

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
SEED_DATES = ["2008-01-01", "2008-06-01", "2008-09-01", "2010-01-01", "2010-06-01", "2011-03-01"]


def svg(client, **params):
    response = client.get("/chart.svg", params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    return etree.fromstring(response.content)


def texts(drawing) -> str:
    return " ".join(t.text or "" for t in drawing.iter(f"{SVG}text"))


def pdf_pages(content: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", content))


def test_the_svg_of_2011_03_01_draws_mr_voksne_and_not_the_merged_offices(client):
    drawing = svg(client, date="2011-03-01")
    words = texts(drawing)
    assert "Voksne" in words
    assert "Udsatte grupper, Misbrug og" not in words  # MR Udsatte's name, wrapped
    assert "Socialforvaltningen den 1. marts 2011" in words
    links = {a.get("href") for a in drawing.iter(f"{SVG}a")}
    assert "http://testserver/units/mr-voksne/?date=2011-03-01" in links


def test_the_svg_marks_the_changes_of_its_date_with_a_thick_edge(client):
    drawing = svg(client, date="2011-03-01")
    thick = [
        " ".join(t.text for t in a.iter(f"{SVG}text"))
        for a in drawing.iter(f"{SVG}a")
        if a.find(f"{SVG}rect").get("stroke-width") == "1.6"
    ]
    assert any("Voksne" in box and "ny" in box for box in thick)
    assert not any("Direktionen" in box for box in thick)


def test_every_box_of_the_svg_lies_inside_the_drawing(client):
    drawing = svg(client, date="2010-01-01")
    # Found in a user trial: the rightmost box's edge, drawn on the view's border, was cut.
    left, top, width, height = (float(v) for v in drawing.get("viewBox").split())
    rects = list(drawing.iter(f"{SVG}rect"))
    assert len(rects) > 20
    for rect in rects:
        x, y, edge = float(rect.get("x")), float(rect.get("y")), float(rect.get("stroke-width")) / 2
        assert left <= x - edge and x + float(rect.get("width")) + edge <= left + width
        assert top <= y - edge and y + float(rect.get("height")) + edge <= top + height


@pytest.mark.parametrize("date", SEED_DATES)
def test_the_pdf_of_the_seed_on_any_date_is_one_a4_landscape_page(client, date):
    response = client.get("/chart.pdf", {"date": date})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="organisation-{date}.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert pdf_pages(response.content) == 1
    assert re.search(rb"/MediaBox\s*\[\s*0 0 841\.8898 595\.2756\s*\]", response.content)


def test_a_wide_level_wraps_into_rows_so_that_names_stay_legible_on_the_page(client):
    # Found in a user trial: on 1 June 2008 nine offices side by side shrank names to 5 pt.
    drawing = svg(client, date="2008-06-01")
    width, height = (float(v) for v in drawing.get("viewBox").split()[2:])
    page_width, page_height = 842 - 40, 595 - 40
    scale = min(page_width / width, page_height / height)
    assert scale * 8 >= 6.5  # the names' size on the page, in points


def test_a_branch_is_drawn_alone_and_named_in_the_title(client):
    drawing = svg(client, date="2010-01-01", root="center-for-tvaergaaende-funktioner")
    words = texts(drawing)
    assert "Løn-enheden" in words
    assert "Direktionen" not in words
    assert words.startswith("Center for Tværgående Funktioner den 1. januar 2010")


def test_the_chart_page_links_its_drawings_for_the_same_date_and_branch(client):
    html = client.get("/", {"date": "2010-01-01", "root": "direktion"}).content.decode()
    assert 'href="/chart.svg?root=direktion&amp;depth=5&amp;date=2010-01-01"' in html
    assert 'href="/chart.pdf?root=direktion&amp;depth=5&amp;date=2010-01-01"' in html


@pytest.mark.parametrize(
    "params, status",
    [
        ({"date": "2010-13-01"}, 400),
        ({"date": "2010-01-01", "depth": "x"}, 400),
        ({"date": "2010-01-01", "root": "no-such-unit"}, 404),
        ({"date": "2010-01-01", "recorded": "yesterday"}, 400),
    ],
)
def test_bad_input_to_a_drawing_gets_a_clear_error(client, params, status):
    assert client.get("/chart.pdf", params).status_code == status


def test_only_svg_and_pdf_are_drawn(client):
    assert client.get("/chart.png", {"date": "2010-01-01"}).status_code == 404


def test_a_large_registry_is_drawn_as_folded_on_one_page(client):
    response = client.get("/chart.pdf", {"date": "2100-06-01"})
    assert response.status_code == 200
    assert pdf_pages(response.content) == 1


def test_a_large_registry_as_recorded_is_folded_like_the_chart_of_now(client):
    # Found by the attacker: as recorded, the chart drew all 10,000 units of a registry (28 s,
    # 4.4 MB), and three such requests took the server down.
    moment = timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S")
    response = client.get("/chart.pdf", {"date": "2100-06-01", "recorded": moment})
    assert response.status_code == 200 and pdf_pages(response.content) == 1
    page = client.get("/", {"date": "2100-06-01", "recorded": moment}).content.decode()
    assert page.count('class="box ') <= 101 and "chart-drawing" in page
    assert "root=syn-1" in page  # the folded branches open from their links


def test_a_branch_from_the_top_as_recorded_has_no_path_above_it(client):
    # Found by the attacker: the breadcrumb's own link to the top unit as recorded was a 500.
    moment = timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S")
    for root in ("socialforvaltningen", "direktion", "loen-enheden"):
        params = {"date": "2011-03-01", "recorded": moment, "root": root}
        assert client.get("/", params).status_code == 200, root
        assert client.get("/chart.svg", params).status_code == 200, root


def test_a_name_with_control_characters_still_makes_a_well_formed_svg(client):
    # Found by the attacker: a name corrected in the admin with \x01 broke the SVG.
    from orgunits.models import UnitName

    UnitName.objects.filter(unit__slug="mr-voksne").update(name="MR Voksne\x01\ufffe")
    drawing = svg(client, date="2011-03-01")
    assert "MR Voksne" in texts(drawing)
