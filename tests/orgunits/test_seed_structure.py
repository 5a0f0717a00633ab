"""The seed registry shows the structure the sources describe, date by date."""

import datetime

import pytest
from django.utils import translation

from history.models import Reorganisation
from orgunits.models import Unit, UnitNode

pytestmark = pytest.mark.django_db


def d(text):
    return datetime.date.fromisoformat(text)


def placement(date):
    """{unit slug: parent slug} for the structure valid on `date` (seed units only)."""
    nodes = [n for n in UnitNode.objects.tree_on(d(date)) if not n.unit.slug.startswith("syn-")]
    slug_of = {n.pk: n.unit.slug for n in nodes}
    return {n.unit.slug: slug_of.get(n.parent_id) for n in nodes}


def test_on_2008_08_31_the_handicap_offices_exist_before_the_centres():
    tree = placement("2008-08-31")
    assert tree["mr-handicap-og-psykiatri"] == "direktion"
    assert tree["du-handicap-og-psykiatri"] == "direktion"
    assert tree["projektenheden-for-hjemmeplejen"] == "mr-handicap-og-psykiatri"
    for old in ("mr-kontorerne-foer-2008", "projektkontoret", "kvalitets-og-tilsynskontoret"):
        assert tree[old] == "direktion"
    for new in (
        "center-for-maal-og-rammer",
        "mr-born",
        "mr-udsatte",
        "du-born",
        "tvaergaaende-juridisk-enhed",
    ):
        assert new not in tree


def test_on_2008_05_31_the_handicap_area_is_not_yet_reorganised():
    tree = placement("2008-05-31")
    assert "mr-handicap-og-psykiatri" not in tree
    assert tree["mr-kontorerne-foer-2008"] == "direktion"


def test_on_2008_09_01_the_three_centres_hold_their_offices():
    tree = placement("2008-09-01")
    assert tree["direktion"] == "socialforvaltningen"
    assert tree["borgmester-og-direktionssekretariatet"] == "direktion"
    for centre in (
        "center-for-maal-og-rammer",
        "center-for-drift-og-udvikling",
        "center-for-tvaergaaende-funktioner",
    ):
        assert tree[centre] == "direktion"
    for office in ("mr-handicap-og-psykiatri", "mr-udsatte", "mr-born"):
        assert tree[office] == "center-for-maal-og-rammer"
    for office in ("du-handicap-og-psykiatri", "du-udsatte", "du-born"):
        assert tree[office] == "center-for-drift-og-udvikling"
    for office in (
        "personale-og-organisationskontoret",
        "oekonomi-og-regnskab",
        "it-og-ledelsesinformation",
    ):
        assert tree[office] == "center-for-tvaergaaende-funktioner"
    for sub in (
        "loen-enheden",
        "uddannelsescentret",
        "center-for-supervision",
        "interne-servicefunktioner",
    ):
        assert tree[sub] == "personale-og-organisationskontoret"
    assert tree["trykkeriet"] == "it-og-ledelsesinformation"
    assert "projektkontoret" not in tree
    assert "mr-kontorerne-foer-2008" not in tree
    # The supervision tasks stayed together in KTK until the end of 2008.
    assert tree["kvalitets-og-tilsynskontoret"] == "direktion"


def test_on_2008_09_01_each_cross_cutting_unit_is_anchored_with_its_mr_office():
    tree = placement("2008-09-01")
    assert tree["tvaergaaende-juridisk-enhed"] == "mr-udsatte"
    assert tree["effektstyring"] == "mr-born"
    assert tree["kvalitetsmodeller"] == "mr-handicap-og-psykiatri"


def test_kvalitets_og_tilsynskontoret_ends_about_the_end_of_2008():
    assert "kvalitets-og-tilsynskontoret" in placement("2008-12-31")
    assert "kvalitets-og-tilsynskontoret" not in placement("2009-01-01")
    reorganisation = Reorganisation.objects.get(key="r2008-udgang")
    assert reorganisation.certainty == "approximate"
    with translation.override("da"):
        assert reorganisation.date_display == "omkring 1. januar 2009"


def test_on_2010_11_30_the_legal_unit_sits_with_mr_handicap_og_psykiatri():
    tree = placement("2010-11-30")
    assert tree["tvaergaaende-juridisk-enhed"] == "mr-handicap-og-psykiatri"
    assert tree["effektstyring"] == "mr-born"
    assert tree["kvalitetsmodeller"] == "mr-handicap-og-psykiatri"
    for body in ("socialcenter-koebenhavn", "handicapcenter-koebenhavn", "oekonomiservice"):
        assert tree[body] == "socialforvaltningen"


def test_the_legal_units_move_is_dated_only_as_vaguely_as_the_archive_says():
    move = Reorganisation.objects.get(key="r-juridisk-enhed-flyttes")
    assert move.certainty == "range"
    with translation.override("da"):
        assert move.date_display == (
            "på et tidspunkt mellem 2. september 2008 og 30. november 2010"
        )
    unit = Unit.objects.get(slug="tvaergaaende-juridisk-enhed")
    in_between = d("2009-06-01")
    node = unit.node_on(in_between)
    assert node.parent.unit.slug == "mr-udsatte"
    assert node.uncertain_on(in_between)
    assert not unit.node_on(d("2008-09-01")).uncertain_on(d("2008-09-01"))


def test_on_2010_12_01_the_legal_unit_is_dissolved():
    tree = placement("2010-12-01")
    assert "tvaergaaende-juridisk-enhed" not in tree
    assert tree["mr-handicap-og-psykiatri"] == "center-for-maal-og-rammer"


def test_on_2011_02_28_the_two_mr_offices_still_exist():
    tree = placement("2011-02-28")
    assert tree["mr-handicap-og-psykiatri"] == "center-for-maal-og-rammer"
    assert tree["mr-udsatte"] == "center-for-maal-og-rammer"
    assert "mr-voksne" not in tree


def test_on_2011_03_01_mr_voksne_replaces_the_two_mr_offices():
    tree = placement("2011-03-01")
    assert tree["mr-voksne"] == "center-for-maal-og-rammer"
    assert "mr-handicap-og-psykiatri" not in tree
    assert "mr-udsatte" not in tree
    assert tree["kvalitetsmodeller"] == "mr-voksne"
    assert tree["projektenheden-for-hjemmeplejen"] == "mr-voksne"
    assert tree["mr-born"] == "center-for-maal-og-rammer"
    voksne = Unit.objects.get(slug="mr-voksne")
    assert voksne.name_on(d("2011-03-01")).name == "Mål- og Rammekontoret for Voksne"
    merged_from = {c.unit.slug for c in voksne.incoming_changes.filter(kind="merged")}
    assert merged_from == {"mr-handicap-og-psykiatri", "mr-udsatte"}


def test_the_short_names_are_those_the_archive_uses():
    on = d("2010-01-01")
    assert Unit.objects.get(slug="mr-handicap-og-psykiatri").name_on(on).short_name == "MR Haps"
    assert Unit.objects.get(slug="mr-udsatte").name_on(on).short_name == "MR Udsatte"
    assert Unit.objects.get(slug="mr-born").name_on(on).short_name == "MR Børn"


def test_center_for_maal_og_rammer_carries_the_archives_identifiers():
    centre = Unit.objects.get(slug="center-for-maal-og-rammer")
    assert {(i.scheme, i.value) for i in centre.identifiers.all()} == {
        ("starbas", "4942"),
        ("asta7", "dc4cd471-edfc-4c6f-bd6b-72e25875e06c"),
    }
    assert centre.archival_type == "Kommunal institution"
    assert centre.valid_from == d("2008-09-01")
    assert centre.valid_to is None
    assert centre.nodes.get().opened_by.reorganisation.is_exact


def test_the_sources_disagreement_about_1_june_2008_stays_visible():
    reorganisation = Reorganisation.objects.get(key="r2008-06-01")
    roles = {c.document.key: c.role for c in reorganisation.citations.all()}
    assert roles.get("plan") == "supports"
    assert roles.get("archive") == "disputes"


def test_the_units_before_2008_are_known_only_to_exist_by_may_2008():
    baseline = Reorganisation.objects.get(key="r-foer-2008")
    assert baseline.date is None
    with translation.override("da"):
        assert baseline.date_display == "senest 31. maj 2008"
    projektkontoret = Unit.objects.get(slug="projektkontoret")
    assert projektkontoret.valid_from is None
    assert projektkontoret.valid_to == d("2008-09-01")
