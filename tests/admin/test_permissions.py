"""Who may do what in the admin: every admin view for an anonymous visitor, a reader and an
archivist."""

import pytest
from django.contrib import admin
from django.urls import reverse

from history.models import Reorganisation
from orgunits.models import Unit

pytestmark = pytest.mark.django_db

REGISTRY_MODELS = [
    model
    for model in admin.site._registry
    if model._meta.app_label in ("orgunits", "history", "responsibilities")
]


def urls(model):
    meta = model._meta
    obj = model.objects.order_by("pk").first()
    names = {"changelist": reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")}
    if obj is not None:
        names["change"] = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        names["history"] = reverse(
            f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk]
        )
        names["compare versions"] = reverse(
            f"admin:{meta.app_label}_{meta.model_name}_history_compare", args=[obj.pk]
        )
    return names


@pytest.mark.parametrize("model", REGISTRY_MODELS, ids=lambda m: m.__name__)
def test_an_anonymous_visitor_is_sent_to_log_in_from_every_admin_view(client, model):
    for url in urls(model).values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


@pytest.mark.parametrize("model", REGISTRY_MODELS, ids=lambda m: m.__name__)
def test_a_reader_may_read_every_admin_view_but_change_nothing(client, reader, model):
    client.force_login(reader)
    for url in urls(model).values():
        assert client.get(url).status_code == 200, url
    meta = model._meta
    assert client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")).status_code in (
        403,
        404,
    )
    if "change" in urls(model):
        html = client.get(urls(model)["change"]).content.decode()
        assert 'name="_save"' not in html


@pytest.mark.parametrize("model", REGISTRY_MODELS, ids=lambda m: m.__name__)
def test_an_archivist_may_read_every_admin_view(client, staff_archivist, model):
    client.force_login(staff_archivist)
    for url in urls(model).values():
        assert client.get(url).status_code == 200, url


def test_an_archivist_may_correct_a_unit_but_a_reader_may_not(client, reader, staff_archivist):
    unit = Unit.objects.get(slug="mr-born")
    url = reverse("admin:orgunits_unit_change", args=[unit.pk])
    client.force_login(staff_archivist)
    assert 'name="_save"' in client.get(url).content.decode()
    client.force_login(reader)
    response = client.post(url, {"description": "Ændret af en læser", "change_reason": "x"})
    assert response.status_code == 403
    unit.refresh_from_db()
    assert unit.description != "Ændret af en læser"


def test_only_an_archivist_may_enter_a_dated_change(client, reader, staff_archivist):
    url = reverse("admin:history_reorganisation_apply")
    client.force_login(reader)
    assert client.get(url).status_code == 403
    client.force_login(staff_archivist)
    assert client.get(url).status_code == 200


def test_nobody_may_delete_a_unit_or_a_reorganisation_with_history(client, staff_archivist):
    client.force_login(staff_archivist)
    unit = Unit.objects.get(slug="mr-born")
    reorganisation = Reorganisation.objects.first()
    for url in (
        reverse("admin:orgunits_unit_delete", args=[unit.pk]),
        reverse("admin:history_reorganisation_delete", args=[reorganisation.pk]),
    ):
        assert client.post(url, {"post": "yes"}).status_code == 403
    assert Unit.objects.filter(slug="mr-born").exists()
