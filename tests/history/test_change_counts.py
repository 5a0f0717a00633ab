"""Each reorganisation stores how many changes it has, so that a list of reorganisations
reads a number instead of counting every change of each: written with its changes, written
again when they are revised, checked by `check_registry` and repaired by a replay."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import translation

from history.changes import Rename
from history.models import Change, Reorganisation
from history.projection import projection_problems
from history.services import apply_reorganisation, recorded_specs, revise_reorganisation

pytestmark = pytest.mark.django_db


def counted(reorganisation) -> tuple[int, int]:
    reorganisation.refresh_from_db()
    return reorganisation.change_count, Change.objects.filter(reorganisation=reorganisation).count()


def test_every_reorganisation_of_the_registry_stores_its_number_of_changes():
    assert not Reorganisation.objects.miscounted().exists()
    merger = Reorganisation.objects.get(date=datetime.date(2011, 3, 1))
    stored, actual = counted(merger)
    assert stored == actual > 1


def test_a_new_reorganisation_stores_its_changes_and_a_revision_counts_them_again(archivist):
    renames = [
        Rename(unit="mr-born", name="Børnekontoret"),
        Rename(unit="mr-voksne", name="Voksenkontoret"),
    ]
    new = apply_reorganisation(
        title="To nye navne",
        date=datetime.date(2012, 1, 1),
        changes=renames,
        reason="Test",
        user=archivist,
    )
    assert new.change_count == 2
    assert counted(new) == (2, 2)
    revise_reorganisation(new, changes=recorded_specs(new)[:1], reason="Kun én", user=archivist)
    assert counted(new) == (1, 1)


def test_a_copy_read_before_a_revision_and_saved_after_it_keeps_the_new_number(archivist):
    new = apply_reorganisation(
        title="To nye navne",
        date=datetime.date(2012, 1, 1),
        changes=[Rename(unit="mr-born", name="B"), Rename(unit="mr-voksne", name="V")],
        reason="Test",
        user=archivist,
    )
    stale = Reorganisation.objects.get(pk=new.pk)  # as the admin's form reads it
    revise_reorganisation(new, changes=recorded_specs(new)[:1], reason="Kun én", user=archivist)
    stale.description = "Beskrivelse"
    stale.save()
    assert counted(new) == (1, 1)
    assert Reorganisation.objects.get(pk=new.pk).description == "Beskrivelse"


def test_the_api_lists_the_stored_number_as_the_changes_it_pages(client, archivist):
    merger = Reorganisation.objects.get(date=datetime.date(2011, 3, 1))
    listed = client.get("/api/v1/reorganisations", {"page_size": 100}).json()["results"]
    assert {r["id"]: r["change_count"] for r in listed}[merger.pk] == merger.changes.count()
    detail = client.get(f"/api/v1/reorganisations/{merger.pk}").json()
    assert detail["change_count"] == detail["changes_page"]["count"] == merger.changes.count()


def test_a_wrong_stored_number_is_reported_and_a_replay_counts_it_again():
    merger = Reorganisation.objects.get(date=datetime.date(2011, 3, 1))
    actual = merger.changes.count()
    Reorganisation.objects.filter(pk=merger.pk).update(change_count=actual + 5)
    with translation.override("en"):
        problems = projection_problems()
    assert any(f"stored with {actual + 5} changes but has {actual}" in p for p in problems)
    with pytest.raises(SystemExit) as checked:  # the replay's own check says so too
        call_command("replay_structure", check=True, stdout=io.StringIO())
    assert checked.value.code == 1
    call_command("replay_structure", verbosity=0)
    assert counted(merger) == (actual, actual)
    assert not projection_problems()


def test_the_number_is_not_an_entry_in_the_reorganisations_history():
    merger = Reorganisation.objects.get(date=datetime.date(2011, 3, 1))
    versions = merger.history.count()
    merger.count_changes()
    assert merger.history.count() == versions
    assert not hasattr(merger.history.latest(), "change_count")
