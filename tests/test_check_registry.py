"""`manage.py check_registry`: the live data against every invariant."""

import datetime

import pytest
from django.core.management import call_command

from orgunits.models import UnitNode

pytestmark = pytest.mark.django_db


def run(capsys):
    try:
        call_command("check_registry")
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, capsys.readouterr().out


def test_the_seed_registry_and_the_synthetic_organisation_are_consistent(capsys):
    code, out = run(capsys)
    assert (code, out.strip()) == (0, "Registret er konsistent: ingen problemer fundet.")


def test_damaged_tree_numbers_are_reported_in_words(capsys):
    node = UnitNode.objects.get(unit__slug="mr-born")
    UnitNode.objects.filter(pk=node.pk).update(lft=node.lft + 1000)
    code, out = run(capsys)
    assert code == 1
    assert "Træets lagrede nummerering er beskadiget" in out


def test_a_child_outliving_its_parent_is_reported(capsys):
    UnitNode.objects.filter(unit__slug="center-for-maal-og-rammer").update(
        valid_to=datetime.date(2010, 1, 1)
    )
    code, out = run(capsys)
    assert code == 1
    assert "overlever sin overordnede" in out


def test_a_task_without_an_owner_is_reported(capsys):
    from responsibilities.models import Responsibility

    Responsibility.objects.filter(unit__slug="mr-born", role="owner").update(
        valid_to=datetime.date(2010, 1, 1)
    )
    code, out = run(capsys)
    assert code == 1
    assert "har ikke haft nogen ejer siden 1. januar 2010." in out
