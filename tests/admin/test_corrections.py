"""Corrections in the admin fix what a record says: they change no valid time, need a reason,
are kept in the record's history with the archivist, and can be compared version by version."""

import pytest
from django.urls import reverse

from orgunits.models import Unit, UnitIdentifier, UnitName

pytestmark = pytest.mark.django_db


def correct_name(client, name: UnitName, spelling: str, reason: str):
    url = reverse("admin:orgunits_unitname_change", args=[name.pk])
    return client.post(
        url,
        {
            "name": spelling,
            "short_name": name.short_name,
            "language": name.language,
            "change_reason": reason,
            # Ticked boxes, as the form shows them.
            **{f: "on" for f in ("name_inferred", "short_name_inferred") if getattr(name, f)},
        },
    )


@pytest.fixture
def voksne_name():
    return UnitName.objects.authorised().get(unit__slug="mr-voksne")


def test_a_misspelt_name_is_corrected_without_touching_when_it_applied(
    client, staff_archivist, voksne_name
):
    client.force_login(staff_archivist)
    period = (voksne_name.valid_from, voksne_name.valid_to)
    response = correct_name(
        client, voksne_name, "Mål- og Rammekontoret for Voksne (rettet)", "Stavefejl i kilden"
    )
    assert response.status_code == 302
    voksne_name.refresh_from_db()
    assert voksne_name.name == "Mål- og Rammekontoret for Voksne (rettet)"
    assert (voksne_name.valid_from, voksne_name.valid_to) == period
    latest = voksne_name.history.order_by("-history_id").first()
    assert latest.history_user == staff_archivist
    assert latest.history_change_reason == "Stavefejl i kilden"
    # The chart shows the corrected spelling from the name's first day.
    chart = client.get("/", {"date": period[0].isoformat()}).content.decode()
    assert "Mål- og Rammekontoret for Voksne (rettet)" in chart


def test_a_correction_without_a_reason_is_refused_and_nothing_is_written(
    client, staff_archivist, voksne_name
):
    client.force_login(staff_archivist)
    versions = voksne_name.history.count()
    response = correct_name(client, voksne_name, "Forkert", "")
    assert response.status_code == 200
    assert "Dette felt er påkrævet" in response.content.decode()
    voksne_name.refresh_from_db()
    assert voksne_name.name == "Mål- og Rammekontoret for Voksne"
    assert voksne_name.history.count() == versions


def test_when_a_name_applied_cannot_be_changed_by_a_correction(
    client, staff_archivist, voksne_name
):
    client.force_login(staff_archivist)
    url = reverse("admin:orgunits_unitname_change", args=[voksne_name.pk])
    client.post(
        url,
        {
            "name": voksne_name.name,
            "language": voksne_name.language,
            "valid_from": "1999-01-01",
            "change_reason": "Forsøg på at flytte datoen",
        },
    )
    voksne_name.refresh_from_db()
    assert voksne_name.valid_from.isoformat() == "2011-03-01"


def test_a_duplicate_identifier_is_a_form_error_in_danish_and_nothing_is_written(
    client, staff_archivist
):
    client.force_login(staff_archivist)
    taken = UnitIdentifier.objects.get(scheme="starbas", value="4942")
    other = Unit.objects.get(slug="mr-born")
    before = UnitIdentifier.objects.count()
    response = client.post(
        reverse("admin:orgunits_unitidentifier_add"),
        {"unit": other.pk, "scheme": "starbas", "value": "4942", "change_reason": "Ny ID"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"identificerer allerede enheden «{taken.unit.slug}»" in html
    assert UnitIdentifier.objects.count() == before


def test_two_versions_of_a_record_are_compared_field_by_field(client, staff_archivist, voksne_name):
    client.force_login(staff_archivist)
    first = voksne_name.history.order_by("history_id").first()
    correct_name(client, voksne_name, "Mål- og Rammekontoret for Voksne (rettet)", "Stavefejl")
    latest = voksne_name.history.order_by("-history_id").first()
    url = reverse("admin:orgunits_unitname_history_compare", args=[voksne_name.pk])
    # Either order: the older version is on the left.
    response = client.get(url, {"a": latest.history_id, "b": first.history_id})
    assert response.status_code == 200
    comparison = response.context["comparison"]
    changed = [row for row in comparison.rows if row.changed]
    assert [(row.old, row.new) for row in changed] == [
        ("Mål- og Rammekontoret for Voksne", "Mål- og Rammekontoret for Voksne (rettet)")
    ]
    html = response.content.decode()
    assert "1 felt er forskelligt" in html
    assert "<del>Mål- og Rammekontoret for Voksne</del>" in html
    assert "Stavefejl" in html and staff_archivist.username in html


def test_the_history_page_offers_to_compare_its_versions(client, staff_archivist, voksne_name):
    client.force_login(staff_archivist)
    correct_name(client, voksne_name, "Rettet navn", "Stavefejl")
    html = client.get(
        reverse("admin:orgunits_unitname_history", args=[voksne_name.pk])
    ).content.decode()
    assert reverse("admin:orgunits_unitname_history_compare", args=[voksne_name.pk]) in html
    assert 'name="a"' in html and 'name="b"' in html


def test_comparing_with_a_version_of_another_record_is_a_clear_error(
    client, staff_archivist, voksne_name
):
    client.force_login(staff_archivist)
    foreign = UnitName.objects.exclude(pk=voksne_name.pk).first().history.first()
    own = voksne_name.history.first()
    url = reverse("admin:orgunits_unitname_history_compare", args=[voksne_name.pk])
    response = client.get(url, {"a": own.history_id, "b": foreign.history_id})
    assert response.status_code == 400
    assert "hører ikke til denne posts historik" in response.content.decode()


def test_version_times_are_copenhagen_time_in_the_choices_and_the_headers_alike(
    client, staff_archivist, voksne_name
):
    """The choices said 16:38 where the headers said 17:38: the choices were UTC."""
    import datetime

    from django.utils import timezone

    client.force_login(staff_archivist)
    correct_name(client, voksne_name, "Rettet navn", "Stavefejl")
    latest = voksne_name.history.order_by("-history_id").first()
    noon_utc = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)  # 13:00 in winter
    type(latest).objects.filter(pk=latest.pk).update(history_date=noon_utc)
    assert timezone.localtime(noon_utc).hour == 13
    url = reverse("admin:orgunits_unitname_history_compare", args=[voksne_name.pk])
    first = voksne_name.history.order_by("history_id").first()
    html = client.get(url, {"a": first.history_id, "b": latest.history_id}).content.decode()
    assert html.count("15.01.2026 13:00") >= 3  # both choices and the header
    assert "15.01.2026 12:00" not in html


def test_a_corrected_name_survives_a_revision_of_the_reorganisation_that_gave_it(
    client, staff_archivist, voksne_name
):
    # Found by the attacker of issue 13: the revision form starts from the change, which
    # still had the old spelling, and wrote the name back.
    from history.services import recorded_specs, revise_reorganisation

    client.force_login(staff_archivist)
    voksne_name.name_inferred = True  # ticked in the same correction
    correct_name(client, voksne_name, "Mål- og Rammekontoret for Voksne (rettet)", "Stavefejl")
    change = voksne_name.opened_by
    change.refresh_from_db()
    corrected = "Mål- og Rammekontoret for Voksne (rettet)"
    assert (change.name, change.name_inferred) == (corrected, True)
    latest = change.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (staff_archivist, "Stavefejl")
    reorganisation = change.reorganisation
    revise_reorganisation(
        reorganisation, changes=recorded_specs(reorganisation), reason="Ny note", user=None
    )
    name = UnitName.objects.authorised().get(unit__slug="mr-voksne")
    assert (name.name, name.name_inferred, name.short_name_inferred) == (
        "Mål- og Rammekontoret for Voksne (rettet)",
        True,
        True,
    )
