"""A unit's kind and target group have periods, like its names: a reclassification is a dated
change, the chart and the unit pages of a date show what the unit was then, and corrections
replay it like any other change."""

import datetime

import pytest
from django.core.exceptions import ValidationError as Refused
from django.utils import timezone

from history.changes import Create, Dissolve, Merge, Reclassify, TransferTasks
from history.models import Change, Reorganisation
from history.projection import replay_differences
from history.services import apply_reorganisation, redate_reorganisation, withdraw_reorganisation
from orgunits.models import Unit, UnitClassification

pytestmark = pytest.mark.django_db

DAY = datetime.date(2012, 1, 1)
BEFORE = DAY - datetime.timedelta(days=1)
LATER = datetime.date(2012, 6, 1)


def reclassify(archivist, *, date=DAY, **spec) -> Reorganisation:
    return apply_reorganisation(
        title="MR Børn bliver et center",
        date=date,
        changes=[Reclassify(unit="mr-born", **spec)],
        user=archivist,
        reason="Referat af direktionsmøde",
    )


def classification(slug, date):
    return Unit.objects.get(slug=slug).classification_on(date)


def box_classes(client, date, name, **recorded):
    """The CSS classes of the chart box that shows `name` on `date` (as `recorded=`)."""
    html = client.get("/", {"date": date.isoformat(), **recorded}).content.decode()
    # In the chart, not in the list of the day's changes above it.
    at = html.index(f">{name}<", html.index('<div class="chart">'))
    start = html.rindex('<div class="box ', 0, at)
    return html[start : html.index('"', start + len('<div class="'))].split()


def test_an_office_that_becomes_a_centre_is_an_office_before_and_a_centre_after(archivist):
    reclassify(archivist, kind="center")
    assert classification("mr-born", BEFORE) == ("kontor", "born")
    assert classification("mr-born", DAY) == ("center", "born")
    row = UnitClassification.objects.get(unit__slug="mr-born")
    assert (row.valid_from, row.opened_by.kind) == (DAY, Change.Kind.RECLASSIFIED)
    assert replay_differences() == []


def test_past_charts_show_past_colours(client, archivist):
    reclassify(archivist, kind="center", target_group="")
    name = "Mål- og Rammekontoret for Børn og familier"
    before = box_classes(client, BEFORE, name)
    after = box_classes(client, DAY, name)
    assert {"kind-kontor", "tg-born"} <= set(before)
    assert {"kind-center", "tg-none"} <= set(after)


def test_a_chart_as_recorded_shows_the_kind_the_registry_recorded_then(client, archivist):
    name = "Mål- og Rammekontoret for Børn og familier"
    before = timezone.now().isoformat()
    reorganisation = reclassify(archivist, kind="center", target_group="")
    between = timezone.now().isoformat()
    withdraw_reorganisation(reorganisation, reason="Omklassificeret ved en fejl", user=archivist)

    assert {"kind-kontor", "tg-born"} <= set(box_classes(client, DAY, name, recorded=before))
    assert {"kind-center", "tg-none"} <= set(box_classes(client, DAY, name, recorded=between))
    assert {"kind-kontor", "tg-born"} <= set(box_classes(client, DAY, name))


def test_the_unit_page_and_list_say_what_the_unit_was_on_the_date(client, archivist):
    reclassify(archivist, kind="center")
    page = client.get(f"/units/mr-born/?date={BEFORE.isoformat()}").content.decode()
    assert "<dt>Type</dt><dd>Kontor</dd>" in page
    page = client.get(f"/units/mr-born/?date={DAY.isoformat()}").content.decode()
    assert "<dt>Type</dt><dd>Center</dd>" in page
    assert "fra 1. januar 2012: Center" in page
    listed = client.get(f"/units/?kind=center&date={DAY.isoformat()}").content.decode()
    assert "/units/mr-born/" in listed
    listed = client.get(f"/units/?kind=center&date={BEFORE.isoformat()}").content.decode()
    assert "/units/mr-born/" not in listed
    assert "/units/mr-born/" in client.get("/units/?kind=center").content.decode()


def test_the_changes_page_says_what_the_unit_became(client, archivist):
    reclassify(archivist, kind="center", target_group="")
    page = client.get("/changes/").content.decode()
    assert "Omklassificeret" in page
    assert "til Center · ingen målgruppe" in page


def test_withdrawing_a_reclassification_gives_the_unit_back_its_kind(archivist):
    reorganisation = reclassify(archivist, kind="center")
    withdraw_reorganisation(reorganisation, reason="Forkert læst", user=archivist)
    assert classification("mr-born", DAY) == ("kontor", "born")
    assert not UnitClassification.objects.exists()
    assert replay_differences() == []


def test_re_dating_a_reclassification_moves_its_period(archivist):
    reorganisation = reclassify(archivist, kind="center")
    redate_reorganisation(reorganisation, date=LATER, reason="Rettet dato", user=archivist)
    assert classification("mr-born", DAY) == ("kontor", "born")
    assert classification("mr-born", LATER) == ("center", "born")
    assert replay_differences() == []


def test_a_reclassification_entered_before_a_later_one_is_replayed_in_between(archivist):
    reclassify(archivist, date=LATER, kind="center")
    reclassify(archivist, date=DAY, target_group="udsatte")
    assert classification("mr-born", BEFORE) == ("kontor", "born")
    assert classification("mr-born", DAY) == ("kontor", "udsatte")
    # The later change named only the kind: it keeps the target group the earlier one gave.
    assert classification("mr-born", LATER) == ("center", "udsatte")
    assert replay_differences() == []


def test_a_unit_that_ends_ends_its_classification(archivist):
    reclassify(archivist, kind="center")
    apply_reorganisation(
        title="MR Børn lægges sammen",
        date=LATER,
        changes=[Merge(units=["mr-born"], into="mr-voksne")],
        user=archivist,
        reason="Test",
    )
    row = UnitClassification.objects.get(unit__slug="mr-born")
    assert (row.valid_to, row.closed_by.kind) == (LATER, Change.Kind.MERGED)
    assert replay_differences() == []


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"kind": "kontor"}, "allerede"),
        ({"kind": "center", "unit": "mr-voksne"}, "findes ikke"),
    ],
)
def test_a_reclassification_that_changes_nothing_or_names_no_unit_on_the_date_is_refused(
    archivist, spec, message
):
    before = Change.objects.count()
    with pytest.raises(Refused, match=message):
        apply_reorganisation(
            title="Forkert",
            date=datetime.date(2009, 1, 1),
            changes=[Reclassify(**{"unit": "mr-born", **spec})],
            user=archivist,
            reason="Test",
        )
    assert Change.objects.count() == before


def test_two_reclassifications_of_a_unit_on_one_day_are_refused(archivist):
    reclassify(archivist, kind="center")
    with pytest.raises(Refused, match="allerede omklassificeret"):
        reclassify(archivist, target_group="")


def test_the_preview_says_what_the_reclassified_unit_is_before_and_after(archivist):
    from history.preview import preview_reorganisation

    preview = preview_reorganisation(
        title="MR Børn bliver et center",
        date=DAY,
        changes=[Reclassify(unit="mr-born", kind="center")],
        reason="Referat",
    )
    touched = {
        when: [label for _node, _name, was_touched, label in branch if was_touched]
        for when, branch in (("before", preview.before), ("after", preview.after))
    }
    assert touched == {
        "before": ["Kontor · Børn og familier"],
        "after": ["Center · Børn og familier"],
    }
    assert not Reorganisation.objects.filter(title="MR Børn bliver et center").exists()


def test_a_unit_reclassified_and_ended_on_one_day_is_refused_with_its_name(archivist):
    with pytest.raises(Refused, match="«trykkeriet» får et nyt navn eller en ny type"):
        apply_reorganisation(
            title="Trykkeriet bliver et center og nedlægges",
            date=DAY,
            changes=[
                Reclassify(unit="trykkeriet", kind="center"),
                TransferTasks(
                    from_unit="trykkeriet",
                    to_unit="it-og-ledelsesinformation",
                    tasks=["trykkeriopgaver"],
                ),
                Dissolve(unit="trykkeriet"),
            ],
            user=archivist,
            reason="Test",
        )


def test_a_unit_is_not_reclassified_on_the_day_it_is_created(archivist):
    with pytest.raises(Refused, match="oprettes den 1. januar 2012"):
        apply_reorganisation(
            title="Ny enhed",
            date=DAY,
            changes=[
                Create(slug="ny-enhed", name="Ny enhed", parent="mr-born", kind="enhed"),
                Reclassify(unit="ny-enhed", kind="center"),
            ],
            user=archivist,
            reason="Test",
        )
    assert not Unit.objects.filter(slug="ny-enhed").exists()
