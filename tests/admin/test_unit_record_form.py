"""The unit's record in the admin follows the areas of ISAAR(CPF): identity, description,
relationships and control, with the dated facts shown but changed only by a dated change."""

import pytest
from django.urls import reverse

from orgunits.models import Unit

pytestmark = pytest.mark.django_db


def test_the_record_form_is_grouped_by_the_areas_of_isaar_cpf(client, staff_archivist):
    client.force_login(staff_archivist)
    unit = Unit.objects.get(slug="mr-voksne")
    html = client.get(reverse("admin:orgunits_unit_change", args=[unit.pk])).content.decode()
    headings = ["Identitet", "Beskrivelse", "Relationer", "Kontrol"]
    positions = [html.index(f">{heading}<") for heading in headings]
    assert positions == sorted(positions)
    # Dated facts are shown with their dates, not as editable fields.
    assert "1. marts 2011" in html
    assert "forgænger: Mål- og Rammekontoret for Handicap og Psykiatri" in html
    assert "under Center for Mål og Rammer" in html
    assert 'name="valid_from"' not in html


def test_a_new_draft_unit_can_be_recorded_before_it_has_a_place(client, staff_archivist):
    client.force_login(staff_archivist)
    page = client.get(reverse("admin:orgunits_unit_add"))
    assert page.status_code == 200
    assert "ikke placeret i strukturen" in page.content.decode()
