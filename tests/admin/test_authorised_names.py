"""A unit has exactly one authorised name at every date it exists. The names inline on the
unit's page lets an archivist correct a name's kind, but never so that the unit is left
without its authorised name: the form says why beside the names and nothing is saved."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from orgunits.models import Unit, UnitName
from socialforvaltning.lib.dates import format_date

pytestmark = pytest.mark.django_db


def as_posted(page) -> dict:
    """What the browser sends back from an admin change page left as it is: the record's
    form, each inline's management form and rows (read-only fields are not inputs)."""
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            data[field.html_name] = "on" if value is True else value
    return data


def names_formset(page):
    return next(
        i.formset for i in page.context["inline_admin_formsets"] if i.formset.model is UnitName
    )


def names_row(page, name: UnitName) -> str:
    """The prefix of the inline row that edits `name`."""
    return next(form.prefix for form in names_formset(page).forms if form.instance.pk == name.pk)


def change_kind_on_the_units_page(client, name, reason, kind=UnitName.Kind.PARALLEL):
    """POST the unit's admin page with `name`'s kind changed in the names inline."""
    url = reverse("admin:orgunits_unit_change", args=[name.unit_id])
    page = client.get(url)
    data = as_posted(page)
    data[f"{names_row(page, name)}-kind"] = kind
    data["change_reason"] = reason
    return client.post(url, data)


def test_making_the_authorised_name_a_variant_is_refused_beside_the_names(client, superuser):
    client.force_login(superuser)
    unit = Unit.objects.get(slug="mr-voksne")
    name = unit.names.authorised().get()
    versions = (name.history.count(), unit.history.count())

    response = change_kind_on_the_units_page(client, name, "Navnet er en variant")

    assert response.status_code == 200  # the form again, not a redirect: nothing was saved
    with translation.override("da"):
        expected = gettext(
            "“%(name)s” must stay an authorised name: without it the unit has no authorised "
            "name on %(date)s, and a unit has one at every date it exists. Correct how the "
            "name is written instead, or give the unit a new name by a dated change."
        ) % {"name": name.name, "date": format_date(name.valid_from)}
    errors = [e for form in names_formset(response).forms for e in form.non_field_errors()]
    assert errors == [expected]
    assert escape(expected) in response.content.decode()
    name.refresh_from_db()
    assert name.kind == UnitName.Kind.AUTHORISED
    assert (name.history.count(), unit.history.count()) == versions


def test_a_variant_name_can_still_be_made_another_kind_of_variant(client, superuser):
    client.force_login(superuser)
    unit = Unit.objects.get(slug="center-for-maal-og-rammer")
    variant = unit.names.get(kind=UnitName.Kind.ARCHIVE)

    response = change_kind_on_the_units_page(client, variant, "Parallelt navn")

    assert response.status_code == 302, response.content.decode()[:2000]
    variant.refresh_from_db()
    assert variant.kind == UnitName.Kind.PARALLEL
    latest = variant.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (superuser, "Parallelt navn")


def test_the_authorised_name_of_a_draft_without_a_place_may_become_a_variant():
    # A unit that has never been placed does not exist on any date yet: placing it later
    # asks for its authorised name then.
    unit = Unit(slug="kladde-uden-plads", kind="kontor")
    name = UnitName(unit=unit, name="Kladden")
    for record in (unit, name):
        record._change_reason = "Test"
        record.save()
    name.kind = UnitName.Kind.PARALLEL
    name.full_clean()
