"""Archivists correct the dated record in any order: a reorganisation is withdrawn, re-dated
or entered before later ones, and the structure is replayed from its reorganisations — all of
it, or nothing and a message naming the reorganisation that no longer fits."""

import datetime

import pytest
from django.core.exceptions import ValidationError as Refused
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from history.changes import Dissolve, Move
from history.models import Reorganisation
from history.projection import replay_differences
from history.services import put_in_force, redate_reorganisation, withdraw_reorganisation
from orgunits.models import Unit, UnitNode
from orgunits.recorded import structure_as_recorded
from responsibilities.models import Responsibility

pytestmark = pytest.mark.django_db

MERGER = datetime.date(2011, 3, 1)
DISSOLUTION = datetime.date(2010, 12, 1)
EARLIER = datetime.date(2010, 10, 1)


def units_on(date) -> set[str]:
    return set(UnitNode.objects.valid_on(date).values_list("unit__slug", flat=True))


def tasks_of(slug, date) -> set[str]:
    return set(
        Responsibility.objects.valid_on(date)
        .filter(unit__slug=slug)
        .values_list("task__slug", flat=True)
    )


def reorganisation(key) -> Reorganisation:
    return Reorganisation.objects.get(key=key)


def planned_rename(archivist) -> Reorganisation:
    from history.changes import Rename
    from history.services import apply_reorganisation

    return apply_reorganisation(
        title="Nyt navn planlægges",
        date=datetime.date(2012, 1, 1),
        changes=[Rename(unit="mr-born", name="Børnekontoret")],
        reason="Beslutningsoplæg",
        user=archivist,
        status=Reorganisation.Status.PLANNED,
    )


def test_withdrawing_the_2011_merger_brings_back_the_two_mr_offices_with_their_tasks(archivist):
    voksne_tasks = tasks_of("mr-voksne", MERGER)
    assert {"mr-voksne"} <= units_on(MERGER)
    withdraw_reorganisation(
        reorganisation("r2011-03-01"), reason="Sammenlægningen er tastet fejlagtigt", user=archivist
    )
    assert {"mr-handicap-og-psykiatri", "mr-udsatte"} <= units_on(MERGER)
    assert not UnitNode.objects.filter(unit__slug="mr-voksne").exists()
    # Every task MR Voksne held is back with one of the two offices.
    back = tasks_of("mr-handicap-og-psykiatri", MERGER) | tasks_of("mr-udsatte", MERGER)
    assert voksne_tasks <= back
    # MR Voksne keeps its record as an unplaced draft: nothing an archivist wrote is lost.
    voksne = Unit.objects.get(slug="mr-voksne")
    assert voksne.citations.exists()
    withdrawn = reorganisation("r2011-03-01")
    assert withdrawn.withdrawn and withdrawn.withdrawn_by == archivist
    assert withdrawn.withdrawal_reason == "Sammenlægningen er tastet fejlagtigt"
    assert replay_differences() == []


def test_a_withdrawal_is_undone_by_putting_it_back_in_force_and_recorded_shows_each_state(
    archivist,
):
    before_withdrawal = timezone.now()
    withdraw_reorganisation(reorganisation("r2011-03-01"), reason="Fejl", user=archivist)
    after_withdrawal = timezone.now()
    put_in_force(reorganisation("r2011-03-01"), reason="Alligevel korrekt", user=archivist)
    assert "mr-voksne" in units_on(MERGER)
    assert not {"mr-handicap-og-psykiatri", "mr-udsatte"} & units_on(MERGER)
    recorded = {n.unit.slug for n in structure_as_recorded(MERGER, before_withdrawal)}
    assert "mr-voksne" in recorded
    recorded = {n.unit.slug for n in structure_as_recorded(MERGER, after_withdrawal)}
    assert "mr-voksne" not in recorded and "mr-udsatte" in recorded
    assert replay_differences() == []


def test_a_reorganisation_cannot_be_withdrawn_twice(archivist):
    withdraw_reorganisation(reorganisation("r2011-03-01"), reason="Fejl", user=archivist)
    with pytest.raises(Refused, match="withdrawn already|trukket tilbage"):
        withdraw_reorganisation(reorganisation("r2011-03-01"), reason="Igen", user=archivist)


def test_redating_the_dissolution_before_the_units_recorded_move_is_refused_and_names_why(
    archivist,
):
    rows = Responsibility.objects.count()
    with pytest.raises(Refused) as refusal:
        redate_reorganisation(
            reorganisation("r2010-12-01"), date=EARLIER, reason="Ny kilde", user=archivist
        )
    message = " ".join(refusal.value.messages)
    assert "Den tværgående juridiske enhed opløses" in message
    assert "1. oktober 2010" in message
    # The cause: the move before it is dated "at some point" up to 30 November 2010.
    assert "Den får det ved «Tværgående juridisk enhed overgår til MR Handicap" in message
    assert "mellem 2. september 2008 og 30. november 2010" in message
    # Nothing changed.
    assert reorganisation("r2010-12-01").date == DISSOLUTION
    assert "tvaergaaende-juridisk-enhed" in units_on(DISSOLUTION - datetime.timedelta(days=1))
    assert Responsibility.objects.count() == rows


def test_redating_the_dissolution_to_october_ends_the_legal_unit_and_moves_its_tasks_then(
    archivist,
):
    # The move to MR Handicap og Psykiatri happened "at some point" up to 30 November 2010;
    # a source that dates it earlier lets the dissolution be re-dated to 1 October.
    move = reorganisation("r-juridisk-enhed-flyttes")
    redate_reorganisation(
        move,
        date=datetime.date(2010, 9, 30),
        certainty="range",
        not_before=datetime.date(2008, 9, 2),
        not_after=datetime.date(2010, 9, 30),
        reason="Ny kilde om flytningen",
        user=archivist,
    )
    redate_reorganisation(
        reorganisation("r2010-12-01"), date=EARLIER, reason="Ny kilde", user=archivist
    )
    legal = "tvaergaaende-juridisk-enhed"
    assert legal in units_on(EARLIER - datetime.timedelta(days=1))
    assert legal not in units_on(EARLIER)
    assert tasks_of(legal, EARLIER) == set()
    assert {"lovbundne-ydelser", "klagesagsbehandling-kvalitet"} <= tasks_of(
        "socialcenter-koebenhavn", EARLIER
    )
    # Reversible: re-dated back, the registry is as it was.
    redate_reorganisation(
        reorganisation("r2010-12-01"), date=DISSOLUTION, reason="Tilbage", user=archivist
    )
    assert legal in units_on(EARLIER)
    assert legal not in units_on(DISSOLUTION)
    assert replay_differences() == []


def test_a_move_entered_before_a_later_dissolution_is_replayed_under_it(archivist):
    from history.services import apply_reorganisation

    apply_reorganisation(
        title="Juridisk enhed flyttes til MR Børn",
        date=datetime.date(2009, 6, 1),
        changes=[Move(unit="tvaergaaende-juridisk-enhed", to="mr-born")],
        reason="Fundet i et referat",
        user=archivist,
    )
    legal = Unit.objects.get(slug="tvaergaaende-juridisk-enhed")
    assert legal.node_on(datetime.date(2009, 6, 1)).parent.unit.slug == "mr-born"
    # The later recorded move and the dissolution still apply, replayed after it.
    assert legal.node_on(datetime.date(2010, 11, 30)).parent.unit.slug == (
        "mr-handicap-og-psykiatri"
    )
    assert legal.node_on(DISSOLUTION) is None
    assert replay_differences() == []


def test_a_dissolution_entered_before_the_units_later_changes_is_refused_naming_them(archivist):
    from history.services import apply_reorganisation

    before = (Reorganisation.objects.count(), UnitNode.objects.count())
    with pytest.raises(Refused) as refusal:
        apply_reorganisation(
            title="Juridisk enhed opløses tidligt",
            date=datetime.date(2009, 6, 1),
            changes=[Dissolve(unit="tvaergaaende-juridisk-enhed")],
            reason="Fejlagtig kilde",
            user=archivist,
        )
    message = " ".join(refusal.value.messages)
    # Its own tasks stop it first, or a later reorganisation that no longer fits.
    assert "tvaergaaende-juridisk-enhed" in message or "Tværgående juridisk enhed" in message
    assert (Reorganisation.objects.count(), UnitNode.objects.count()) == before


def test_the_commands_withdraw_and_redate_and_refuse_clearly(archivist):
    merger = reorganisation("r2011-03-01")
    call_command("withdraw_reorganisation", str(merger.pk), reason="Fejl")
    assert "mr-voksne" not in units_on(MERGER)
    with pytest.raises(CommandError, match="withdrawn already|trukket tilbage"):
        call_command("withdraw_reorganisation", str(merger.pk), reason="Igen")
    with pytest.raises(CommandError, match="999999"):
        call_command("withdraw_reorganisation", "999999", reason="Ukendt")
    with pytest.raises(CommandError, match="2011-02-30"):
        call_command("redate_reorganisation", str(merger.pk), "2011-02-30", reason="Forkert")
    dissolution = reorganisation("r2010-12-01")
    with pytest.raises(CommandError, match="1. oktober 2010"):
        call_command("redate_reorganisation", str(dissolution.pk), "2010-10-01", reason="Ny")
    assert reorganisation("r2010-12-01").date == DISSOLUTION
    call_command("redate_reorganisation", str(merger.pk), "2011-04-01", reason="Ny dato")
    assert reorganisation("r2011-03-01").date == datetime.date(2011, 4, 1)


def test_replay_structure_check_finds_a_projection_that_differs_and_replay_repairs_it():
    call_command("replay_structure", "--check")
    # Damage the projection behind the writer's back.
    node = UnitNode.objects.get(unit__slug="mr-voksne")
    UnitNode.objects.filter(pk=node.pk).update(valid_from=datetime.date(2011, 4, 1))
    with pytest.raises(SystemExit) as exit_:
        call_command("replay_structure", "--check")
    assert exit_.value.code == 1
    call_command("replay_structure")
    call_command("replay_structure", "--check")
    assert "mr-voksne" in units_on(MERGER)


def test_a_replay_keeps_what_archivists_corrected_on_the_rows_it_writes_again(archivist):
    from orgunits.models import Citation, SourceDocument, UnitName

    # A misspelt name corrected in the record, and a source added to a transferred task.
    name = UnitName.objects.get(unit__slug="mr-voksne", kind="authorised")
    name.name, name._change_reason = "Mål- og Rammekontoret for voksne", "Stavefejl"
    name.save()
    rows_before = {name.pk}
    held = Responsibility.objects.filter(
        unit__slug="mr-voksne", opened_by__isnull=False, task__slug="budgetansvar-haps"
    ).get()
    held.note = "Bekræftet af arkivet"
    held.save()
    extra = Citation.objects.create(
        document=SourceDocument.objects.first(),
        heading="Beskrivelse",
        excerpt="Et ekstra belæg",
        content_object=held,
    )
    # A correction before them replays the merger that wrote both rows.
    redate_reorganisation(
        reorganisation("r2010-12-01"),
        date=datetime.date(2010, 12, 2),
        reason="Ny kilde",
        user=archivist,
    )
    name = UnitName.objects.get(unit__slug="mr-voksne", kind="authorised")
    assert name.pk not in rows_before  # written again by the replay …
    assert name.name == "Mål- og Rammekontoret for voksne"  # … with the correction kept
    held = Responsibility.objects.filter(
        unit__slug="mr-voksne", opened_by__isnull=False, task__slug="budgetansvar-haps"
    ).get()
    assert held.note == "Bekræftet af arkivet"
    extra.refresh_from_db()
    assert extra.content_object == held
    assert held.citations.count() >= 2  # the transfer's own citation and the one added


def test_put_in_force_command_puts_a_withdrawn_reorganisation_back(archivist):
    merger = reorganisation("r2011-03-01")
    call_command("withdraw_reorganisation", str(merger.pk), reason="Fejl")
    call_command("put_in_force", str(merger.pk), reason="Alligevel")
    assert "mr-voksne" in units_on(MERGER)
    with pytest.raises(CommandError, match="i kraft|in force"):
        call_command("put_in_force", str(merger.pk), reason="Igen")
    with pytest.raises(CommandError, match="100"):
        call_command("withdraw_reorganisation", str(merger.pk), reason="x" * 101)


def test_every_row_a_correction_writes_is_in_history_with_its_user_and_reason(archivist, client):
    from orgunits.models import Citation, UnitName

    started = timezone.now()
    withdraw_reorganisation(reorganisation("r2011-03-01"), reason="Fejl i kilden", user=archivist)
    put_in_force(reorganisation("r2011-03-01"), reason="Rettet igen", user=archivist)
    models = (UnitNode, UnitName, Responsibility, Citation, Reorganisation)
    rows = [r for m in models for r in m.history.filter(history_date__gte=started)]
    assert {r.history_type for r in rows} == {"+", "~", "-"}
    assert {r.history_user for r in rows} == {archivist}
    assert {r.history_change_reason for r in rows} == {"Fejl i kilden", "Rettet igen"}
    # The unit pages show that history (who, when, why) for the units replayed.
    for slug in ("mr-voksne", "mr-udsatte", "center-for-maal-og-rammer"):
        page = client.get(f"/units/{slug}/")
        assert page.status_code == 200


@pytest.mark.slow
def test_two_corrections_at_once_on_sqlite_queue_instead_of_failing(tmp_path):
    """SQLite lets one writer in at a time: the second correction waits for the first and is
    then refused clearly (already withdrawn), never a 'database is locked' traceback."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'two.sqlite3'}"}
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    subprocess.run([*manage, "bootstrap"], env=env, check=True, capture_output=True)
    merger_id = subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from history.models import Reorganisation as R; "
            "print(R.objects.get(key='r2011-03-01').pk)",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    both = [
        subprocess.Popen(
            [*manage, "withdraw_reorganisation", merger_id, "--reason", f"Samtidig {n}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in both]
    assert sorted(code for code, _, _ in results) == [0, 1]
    assert all("Traceback" not in err and "locked" not in err for _, _, err in results)
    refused = next(err for code, _, err in results if code == 1)
    assert "trukket tilbage" in refused


def test_a_command_given_an_empty_date_refuses_instead_of_using_today(archivist):
    merger = reorganisation("r2011-03-01")
    with pytest.raises(CommandError, match="ÅÅÅÅ-MM-DD|YYYY-MM-DD"):
        call_command("redate_reorganisation", str(merger.pk), " ", reason="Tom")
    assert reorganisation("r2011-03-01").date == MERGER


def test_every_history_row_of_one_correction_has_one_moment(archivist):
    """`?recorded=` sees a correction whole or not at all, never a replay half done."""
    from orgunits.models import UnitName

    started = timezone.now()
    withdraw_reorganisation(reorganisation("r2011-03-01"), reason="Fejl", user=archivist)
    moments = {
        row.history_date
        for model in (UnitNode, UnitName, Responsibility, Reorganisation)
        for row in model.history.filter(history_date__gte=started)
    }
    assert len(moments) == 1
    (moment,) = moments
    just_before = moment - datetime.timedelta(microseconds=1)
    assert "mr-voksne" in {n.unit.slug for n in structure_as_recorded(MERGER, just_before)}
    assert "mr-voksne" not in {n.unit.slug for n in structure_as_recorded(MERGER, moment)}


def test_a_unit_a_plan_creates_is_not_public_until_the_plan_is_in_force(archivist, client):
    from history.changes import Create
    from history.services import apply_reorganisation

    plan = apply_reorganisation(
        title="Nyt kontor planlægges",
        date=datetime.date(2012, 1, 1),
        changes=[
            Create(slug="planlagt-kontor", name="Planlagt kontor", parent="mr-born", kind="kontor")
        ],
        reason="Beslutningsoplæg",
        user=archivist,
        status=Reorganisation.Status.PLANNED,
    )
    assert client.get("/units/planlagt-kontor/").status_code == 404
    assert client.get("/units/planlagt-kontor/eac-cpf.xml").status_code == 404
    assert "planlagt-kontor" not in client.get("/units/?q=planlagt").content.decode()
    put_in_force(plan, reason="Vedtaget", user=archivist)
    assert client.get("/units/planlagt-kontor/").status_code == 200


@pytest.mark.parametrize("status", ["planned", "withdrawn"])
def test_a_unit_a_revision_adds_to_a_reorganisation_out_of_force_stays_out_of_the_structure(
    archivist, client, status
):
    from history.changes import Create, Rename
    from history.services import revise_reorganisation

    plan = planned_rename(archivist)
    if status == "withdrawn":
        put_in_force(plan, reason="Vedtaget", user=archivist)
        withdraw_reorganisation(reorganisation(plan.key), reason="Fortrudt", user=archivist)
    revise_reorganisation(
        reorganisation(plan.key),
        changes=[
            Rename(unit="mr-born", name="Børnekontoret"),
            Create(slug="nyt-kontor", name="Nyt kontor", parent="mr-born", kind="kontor"),
        ],
        reason="Planen får et nyt kontor",
        user=archivist,
    )
    assert not UnitNode.objects.filter(unit__slug="nyt-kontor").exists()
    assert "/units/nyt-kontor/" not in client.get("/", {"date": "2012-01-01"}).content.decode()
    assert replay_differences() == []


def test_a_preview_reads_the_affected_branch_not_the_whole_tree(archivist):
    """Its queries and the placements it reads are the same in the seed's small tree and in
    the generated tree of 1,000 units: it reads the affected branch alone."""
    from django.db import connection
    from django.db.models.signals import post_init
    from django.test.utils import CaptureQueriesContext

    from history.changes import Rename
    from history.preview import preview_reorganisation
    from tests.conftest import LARGE_ON

    queries, placements_read = [], []
    for unit in ("trykkeriet", "syn-7"):
        read = []

        def count(sender, instance, read=read, **kwargs):
            read.append(instance)

        post_init.connect(count, sender=UnitNode)
        try:
            with CaptureQueriesContext(connection) as captured:
                preview = preview_reorganisation(
                    title="Forhåndsvisning",
                    date=LARGE_ON,
                    changes=[Rename(unit=unit, name="Et nyt navn")],
                    reason="Test",
                    user=archivist,
                )
        finally:
            post_init.disconnect(count, sender=UnitNode)
        assert any(touched for _node, _name, touched, _classification in preview.after)
        queries.append(len(captured))
        placements_read.append(len(read))
    assert queries[0] == queries[1]
    assert UnitNode.objects.valid_on(LARGE_ON).count() > 1000
    assert max(placements_read) < 60


def test_a_revised_change_keeps_the_source_the_recorded_one_cited(archivist):
    from history.changes import Cite
    from history.models import Change
    from history.services import apply_reorganisation, revise_reorganisation

    passage = Cite(
        document="archive", heading="Fundet i et referat", excerpt="Effektstyring flyttes."
    )
    reorganisation = apply_reorganisation(
        title="Effektstyring flyttes",
        date=datetime.date(2012, 1, 1),
        changes=[Move(unit="effektstyring", to="mr-voksne", cite=[passage])],
        user=archivist,
        reason="Referat",
    )
    revise_reorganisation(
        reorganisation,
        changes=[Move(unit="effektstyring", to="center-for-maal-og-rammer")],
        reason="Forkert overordnet enhed",
        user=archivist,
    )
    move = Change.objects.get(reorganisation=reorganisation)
    assert move.target.slug == "center-for-maal-og-rammer"
    assert [(c.document.key, c.excerpt) for c in move.citations.all()] == [
        ("archive", "Effektstyring flyttes.")
    ]


def test_the_public_page_of_a_reorganisation_lists_its_corrections_with_who_and_why(
    client, archivist
):
    merger = reorganisation("r2011-03-01")
    withdraw_reorganisation(merger, reason="Tastet for tidligt", user=archivist)
    put_in_force(reorganisation("r2011-03-01"), reason="Kilden fundet igen", user=archivist)
    redate_reorganisation(
        reorganisation("r2011-03-01"),
        date=datetime.date(2011, 3, 2),
        reason="Referatet siger 2.",
        user=archivist,
    )
    html = client.get(f"/changes/{merger.pk}/").content.decode()
    section = html[html.index("Rettet siden den blev registreret") :]
    who = archivist.get_full_name() or archivist.get_username()
    assert f"{who}: Trukket tilbage — Tastet for tidligt" in section
    assert f"{who}: Sat i kraft — Kilden fundet igen" in section
    assert "Omdateret fra 1. marts 2011 til 2. marts 2011 — Referatet siger 2." in section
    assert (
        section.index("Trukket tilbage") < section.index("Sat i kraft") < section.index("Omdateret")
    )


def test_a_plan_put_in_force_lists_that_alone_not_how_it_was_entered(client, archivist):
    plan = planned_rename(archivist)
    put_in_force(plan, reason="Vedtaget", user=archivist)
    html = client.get(f"/changes/{plan.pk}/").content.decode()
    section = html[html.index("Rettet siden den blev registreret") :]
    assert "Sat i kraft — Vedtaget" in section
    assert "Planlagt" not in section
