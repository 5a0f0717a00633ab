"""No address given to the admin ends in a server error, for every registered admin (ours,
Django's users and groups, django-axes' logs), so that a new one is covered as soon as it is
registered: a list asked with a null character, or with a filter the database refuses, shows
the list with a message; a picker's search with a null character finds nothing; a record or a
version that cannot exist is "not found".

A null character is the sharpest case: PostgreSQL refuses it in any text it is asked about,
when the query runs, after Django's admin has accepted the filter (SQLite takes it for the end
of the text and answers something meaningless). The tests run on either database."""

from contextlib import suppress

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext

pytestmark = pytest.mark.django_db

NUL = "\x00"
JUNK_KEYS = ["abc", "1" + NUL]
REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def label(item) -> str:
    return item[0]._meta.label


@pytest.fixture
def browser(client, superuser):
    client.force_login(superuser)
    return client


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def unfiltered_message() -> str:
    with translation.override("da"):
        return gettext(
            "The list's address asks for a filter or a search the registry cannot use, so the "
            "list is shown in full."
        )


def test_a_null_character_in_the_record_status_filter_shows_the_units_with_a_message(browser):
    url = reverse("admin:orgunits_unit_changelist")
    response = browser.get(f"{url}?record_status__exact=%00&kind=kontor", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"{url}?kind=kontor", 302)]
    assert messages_of(response) == ["Parameteren «record_status__exact» indeholder et nul-tegn."]


@pytest.mark.parametrize("item", REGISTERED, ids=label)
def test_a_null_character_in_any_filter_or_the_search_shows_the_list_with_a_message(browser, item):
    model, _model_admin = item
    url = changelist(model)
    page = browser.get(url)
    assert page.status_code == 200
    filters = page.context["cl"].filter_specs
    parameters = {p for spec in filters for p in spec.expected_parameters()}
    parameters |= {"q", "pk", f"{NUL}junk"}
    for parameter in sorted(parameters):
        response = browser.get(url, {parameter: f"a{NUL}b", "o": "1"}, follow=True)
        assert response.status_code == 200, parameter
        assert response.request["QUERY_STRING"] == "o=1", parameter  # the rest is kept
        assert any("nul-tegn" in message for message in messages_of(response)), parameter


@pytest.mark.parametrize("item", REGISTERED, ids=label)
def test_a_filter_that_fails_only_when_its_query_runs_shows_the_whole_list_with_a_message(
    browser, item
):
    # Django accepts any lookup on a field of the model and checks a value only as far as the
    # field's type: a range with one end fails as the query is written, a broken regular
    # expression as the database runs it (if it has a row to try it on).
    model, _model_admin = item
    url = changelist(model)
    response = browser.get(url, {"pk__range": "1", "q": "x"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"{url}?{ERROR_FLAG}=1", 302)]
    assert unfiltered_message() in messages_of(response)
    response = browser.get(url, {"pk__regex": "("}, follow=True)
    assert response.status_code == 200
    if response.redirect_chain:
        assert unfiltered_message() in messages_of(response)


def autocomplete_fields():
    """(app label, model name, field name) of every picker with a search, inlines included."""
    fields = []
    for _model, model_admin in REGISTERED:
        for owner in [model_admin, *model_admin.inlines]:
            meta = owner.model._meta
            for field in owner.autocomplete_fields:
                fields.append((meta.app_label, meta.model_name, field))
    return sorted(set(fields))


def test_every_picker_is_tested():
    assert ("responsibilities", "responsibility", "unit") in autocomplete_fields()


@pytest.mark.parametrize("app_label, model_name, field_name", autocomplete_fields())
def test_a_null_character_in_a_pickers_search_finds_nothing(
    browser, app_label, model_name, field_name
):
    url = reverse("admin:autocomplete")
    params = {"app_label": app_label, "model_name": model_name, "field_name": field_name}
    assert browser.get(url, {**params, "term": ""}).json()["results"]  # the picker works
    response = browser.get(url, {**params, "term": NUL})
    assert response.status_code == 200
    assert response.json()["results"] == []


def object_addresses(model, model_admin) -> list[str]:
    """Each page of the admin that names a record (and a version), given keys that cannot
    exist, and given a real record with a version that cannot exist."""
    real = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    addresses = []
    for pattern in model_admin.urls:
        if not pattern.name:
            continue
        route = pattern.pattern
        arity = route.regex.groups
        if arity == 0:
            continue
        candidates = [[junk] * arity for junk in JUNK_KEYS]
        if arity == 2 and real is not None:
            candidates += [[str(real), junk] for junk in JUNK_KEYS]
        for args in candidates:
            # A route that asks for a number (`<int:pk>`) cannot be given "abc" at all.
            with suppress(NoReverseMatch):
                addresses.append(reverse(f"admin:{pattern.name}", args=args))
    return addresses


@pytest.mark.parametrize("item", REGISTERED, ids=label)
def test_a_record_or_version_that_cannot_exist_is_not_a_server_error(browser, item):
    model, model_admin = item
    addresses = object_addresses(model, model_admin)
    assert addresses
    for address in addresses:
        assert browser.get(address).status_code in (302, 403, 404), address
        # A save, a deletion or a revert is a POST: refused as well, before any lookup.
        response = browser.post(address, {"change_reason": "Forsøg"})
        assert response.status_code in (302, 403, 404, 405), address


def test_the_history_of_a_unit_with_a_key_that_is_no_number_is_not_found(browser):
    response = browser.get("/admin/orgunits/unit/abc/history/", follow=True)
    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert any("“abc”" in message for message in messages_of(response))
    assert browser.get("/admin/orgunits/unit/1/history/abc/").status_code == 404
    assert browser.post("/admin/orgunits/unit/abc/history/1/").status_code == 404
