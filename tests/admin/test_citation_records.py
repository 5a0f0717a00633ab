"""/admin/orgunits/citation/ — a passage is cited for a record that exists."""

import pytest
from django.contrib.contenttypes.models import ContentType

from orgunits.models import Citation, SourceDocument, Unit

pytestmark = pytest.mark.django_db


def citation_form(object_id):
    return {
        "document": SourceDocument.objects.first().pk,
        "heading": "HR",
        "excerpt": "Personale- og Organisationskontoret",
        "role": Citation.Role.SUPPORTS,
        "content_type": ContentType.objects.get_for_model(Unit).pk,
        "object_id": object_id,
        "change_reason": "Kilde tilføjet",
    }


def test_a_citation_for_a_record_that_does_not_exist_is_refused_beside_its_field(admin_client):
    # Found in a user trial: a citation for unit number 99999 was saved, and could never be
    # found or removed.
    before = Citation.objects.count()
    response = admin_client.post("/admin/orgunits/citation/add/", citation_form(99999))
    assert response.status_code == 200
    assert "Der er ingen enhed nummer 99999." in response.content.decode()
    assert Citation.objects.count() == before


def test_a_citation_for_an_existing_unit_is_saved(admin_client):
    unit = Unit.objects.get(slug="personale-og-organisationskontoret")
    response = admin_client.post("/admin/orgunits/citation/add/", citation_form(unit.pk))
    assert response.status_code == 302
    assert Citation.objects.filter(object_id=unit.pk, heading="HR").count() >= 1
