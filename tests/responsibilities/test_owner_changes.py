"""`owner_changes(d1, d2)`: the tasks that changed owner between two dates, for the
comparison page."""

import datetime

import pytest

from responsibilities.lookup import owner_changes

pytestmark = pytest.mark.django_db


def changes(d1, d2):
    return {
        c.task.slug: (c.before and c.before.slug, c.after and c.after.slug)
        for c in owner_changes(d1, d2)
    }


def test_on_1_june_2010_visitation_and_afregning_left_mr_haps():
    assert changes(datetime.date(2010, 5, 31), datetime.date(2010, 6, 1)) == {
        "visitation-voksne-sindslidelse": ("mr-handicap-og-psykiatri", "socialcenter-koebenhavn"),
        "visitation-handicap": ("mr-handicap-og-psykiatri", "handicapcenter-koebenhavn"),
        "koeb-salg-afregning": ("mr-handicap-og-psykiatri", "oekonomiservice"),
    }


def test_tasks_with_an_owner_on_one_date_only_are_listed_with_none():
    found = changes(datetime.date(2008, 5, 31), datetime.date(2008, 9, 1))
    # The legal unit's tasks are new in the plan: no earlier owner is recorded.
    assert found["klagesagsbehandling-kvalitet"] == (None, "tvaergaaende-juridisk-enhed")
    # Planen: strategy and economic planning are done "i dag" in the MR offices.
    assert found["budgetansvar-born"] == ("mr-kontorerne-foer-2008", "mr-born")
    # Kvalitets- og Tilsynskontoret kept its supervision until the end of 2008.
    assert "tilsynsrapporter-born" not in found


def test_each_unit_is_named_as_it_was_on_its_date():
    (merged,) = [
        c
        for c in owner_changes(datetime.date(2011, 2, 28), datetime.date(2011, 3, 1))
        if c.task.slug == "budgetansvar-udsatte"
    ]
    assert merged.before.name_on(datetime.date(2011, 2, 28)).short_name == "MR Udsatte"
    assert merged.after.name_on(datetime.date(2011, 3, 1)).short_name == "MR Voksne"
    _task, before, after = merged
    assert (before.slug, after.slug) == ("mr-udsatte", "mr-voksne")


def test_the_same_owner_on_both_dates_is_no_change():
    assert changes(datetime.date(2009, 1, 2), datetime.date(2010, 5, 31)) == {}
