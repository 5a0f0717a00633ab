"""Every kind of dated change can be entered in the admin form and lands in the structure from
its effective date, with the archivist's name and reason in the history."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from history.models import Change, Reorganisation
from orgunits.models import Unit, UnitNode
from responsibilities.models import Responsibility

pytestmark = pytest.mark.django_db
URL = "/admin/history/reorganisation/apply/"
DAY = datetime.date(2012, 1, 1)
DAY_BEFORE = DAY - datetime.timedelta(days=1)


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("overarkivar", password="x-test-only-x")


def post(client, *changes):
    data = {
        "title": "Ændring fundet i et referat",
        "date": DAY.isoformat(),
        "certainty": "exact",
        "reason": "Referat af direktionsmøde",
        "changes-TOTAL_FORMS": str(len(changes)),
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "50",
        "_apply": "1",
    }
    for n, change in enumerate(changes):
        data.update({f"changes-{n}-{key}": value for key, value in change.items()})
    return client.post(URL, data)


def parent_on(slug, date):
    node = UnitNode.objects.valid_on(date).select_related("parent__unit").get(unit__slug=slug)
    return node.parent.unit.slug if node.parent_id else None


def exists_on(slug, date):
    return UnitNode.objects.valid_on(date).filter(unit__slug=slug).exists()


def owner_on(task, date):
    return Responsibility.objects.owners().valid_on(date).get(task__slug=task).unit.slug


def check_create():
    assert not exists_on("ny-enhed", DAY_BEFORE)
    assert parent_on("ny-enhed", DAY) == "center-for-maal-og-rammer"
    assert Unit.objects.get(slug="ny-enhed").name_at(DAY) == "Enheden for nye opgaver"


def check_rename():
    unit = Unit.objects.get(slug="mr-born")
    assert unit.name_at(DAY_BEFORE) == "Mål- og Rammekontoret for Børn og familier"
    assert unit.name_at(DAY) == "Børnekontoret"


def check_reclassify():
    unit = Unit.objects.get(slug="mr-born")
    assert unit.classification_on(DAY_BEFORE) == ("kontor", "born")
    assert unit.classification_on(DAY) == ("center", "born")


def check_move():
    assert parent_on("effektstyring", DAY_BEFORE) == "mr-born"
    assert parent_on("effektstyring", DAY) == "mr-voksne"


def check_merge():
    assert exists_on("interne-servicefunktioner", DAY_BEFORE)
    assert not exists_on("interne-servicefunktioner", DAY)
    assert owner_on("interne-servicefunktioner", DAY) == "uddannelsescentret"


def check_split():
    assert not exists_on("center-for-supervision", DAY)
    targets = Change.objects.filter(kind="split", unit__slug="center-for-supervision")
    assert {c.target.slug for c in targets} == {"uddannelsescentret", "loen-enheden"}


def check_dissolve():
    assert exists_on("direktoer-2", DAY_BEFORE)
    assert not exists_on("direktoer-2", DAY)


def check_transfer():
    assert owner_on("trykkeriopgaver", DAY_BEFORE) == "trykkeriet"
    assert owner_on("trykkeriopgaver", DAY) == "it-og-ledelsesinformation"


KINDS = {
    "create": (
        [
            {
                "kind": "create",
                "unit": "ny-enhed",
                "target": "center-for-maal-og-rammer",
                "name": "Enheden for nye opgaver",
                "unit_kind": "enhed",
            }
        ],
        check_create,
    ),
    "rename": ([{"kind": "rename", "unit": "mr-born", "name": "Børnekontoret"}], check_rename),
    "reclassify": (
        [{"kind": "reclassify", "unit": "mr-born", "unit_kind": "center"}],
        check_reclassify,
    ),
    "move": ([{"kind": "move", "unit": "effektstyring", "target": "mr-voksne"}], check_move),
    "merge": (
        [
            {"kind": "merge", "unit": "interne-servicefunktioner", "target": "uddannelsescentret"},
            {
                "kind": "transfer",
                "unit": "interne-servicefunktioner",
                "target": "uddannelsescentret",
                "tasks": "interne-servicefunktioner",
            },
        ],
        check_merge,
    ),
    "split": (
        [
            {
                "kind": "split",
                "unit": "center-for-supervision",
                "target": "uddannelsescentret, loen-enheden",
            },
            {
                "kind": "transfer",
                "unit": "center-for-supervision",
                "target": "loen-enheden",
                "tasks": "supervision",
            },
        ],
        check_split,
    ),
    "dissolve": ([{"kind": "dissolve", "unit": "direktoer-2"}], check_dissolve),
    "transfer tasks": (
        [
            {
                "kind": "transfer",
                "unit": "trykkeriet",
                "target": "it-og-ledelsesinformation",
                "tasks": "trykkeriopgaver",
            }
        ],
        check_transfer,
    ),
}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_dated_change_applies_from_its_date_with_who_and_why(client, superuser, kind):
    changes, check = KINDS[kind]
    client.force_login(superuser)
    response = post(client, *changes)
    assert response.status_code == 302, response.context["form"].errors
    check()
    reorganisation = Reorganisation.objects.get(title="Ændring fundet i et referat")
    assert reorganisation.date == DAY
    record = reorganisation.history.get()
    assert (record.history_user, record.history_change_reason) == (
        superuser,
        "Referat af direktionsmøde",
    )


def test_a_merge_hands_the_merged_units_tasks_to_the_resulting_unit(client, superuser):
    held = set(
        Responsibility.objects.valid_on(DAY_BEFORE)
        .filter(unit__slug="interne-servicefunktioner")
        .values_list("task__slug", "role")
    )
    assert held
    client.force_login(superuser)
    response = post(
        client,
        {"kind": "merge", "unit": "interne-servicefunktioner", "target": "uddannelsescentret"},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert not exists_on("interne-servicefunktioner", DAY)
    now_held = set(
        Responsibility.objects.valid_on(DAY)
        .filter(unit__slug="uddannelsescentret")
        .values_list("task__slug", "role")
    )
    assert held <= now_held
    merge = Change.objects.get(kind="merged", unit__slug="interne-servicefunktioner")
    handed_on = Responsibility.objects.filter(opened_by=merge)
    assert handed_on.count() == len(held)
    # The sources name the merge, not where each task went: flagged as the registry's reading.
    assert all(r.inferred for r in handed_on)


def test_a_merge_told_not_to_hand_on_tasks_is_refused_whole_while_tasks_remain(client, superuser):
    client.force_login(superuser)
    before = (Reorganisation.objects.count(), Change.objects.count(), UnitNode.objects.count())
    response = post(
        client,
        {
            "kind": "merge",
            "unit": "interne-servicefunktioner",
            "target": "uddannelsescentret",
            "leave_tasks": "on",
        },
    )
    assert response.status_code == 200
    assert "interne-servicefunktioner" in response.content.decode()
    assert "mens den stadig har ansvaret for" in response.content.decode()
    after = (Reorganisation.objects.count(), Change.objects.count(), UnitNode.objects.count())
    assert after == before


def test_an_imported_draft_without_a_place_is_placed_by_a_dated_change(
    client, superuser, archivist
):
    from orgunits.models import UnitName

    draft = Unit.objects.create(slug="importeret-kladde", kind="enhed", record_status="draft")
    UnitName.objects.create(unit=draft, name="Kladdeenheden", valid_from=None)
    client.force_login(superuser)
    response = post(client, {"kind": "place", "unit": "importeret-kladde", "target": "mr-voksne"})
    assert response.status_code == 302, response.context["form"].errors
    assert not exists_on("importeret-kladde", DAY_BEFORE)
    assert parent_on("importeret-kladde", DAY) == "mr-voksne"
    assert Change.objects.get(unit=draft).kind == "created"
    # Placed once; a second placement is a move and says so.
    again = post(client, {"kind": "place", "unit": "importeret-kladde", "target": "mr-born"})
    assert "allerede en placering i strukturen" in again.content.decode()


def test_a_draft_without_any_name_needs_one_to_be_placed(client, superuser):
    Unit.objects.create(slug="navnloes-kladde", kind="enhed", record_status="draft")
    client.force_login(superuser)
    refused = post(client, {"kind": "place", "unit": "navnloes-kladde", "target": "mr-voksne"})
    assert "har intet autoriseret navn" in refused.content.decode()
    assert not UnitNode.objects.filter(unit__slug="navnloes-kladde").exists()
    placed = post(
        client,
        {"kind": "place", "unit": "navnloes-kladde", "target": "mr-voksne", "name": "Navngivet"},
    )
    assert placed.status_code == 302
    assert Unit.objects.get(slug="navnloes-kladde").name_at(DAY) == "Navngivet"
