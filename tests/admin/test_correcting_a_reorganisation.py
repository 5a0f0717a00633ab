"""An archivist corrects a recorded reorganisation in the admin, logged in through the real
login page: withdraws it, re-dates it or puts it back in force, each previewed first, with a
reason, and refused whole with a message when a later reorganisation no longer fits."""

import datetime

import pytest

from history.models import Change, Reorganisation
from orgunits.models import UnitNode
from responsibilities.models import Responsibility

from .conftest import staff_in

pytestmark = pytest.mark.django_db
MERGER = datetime.date(2011, 3, 1)


@pytest.fixture
def logged_in(client, staff_archivist):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": staff_archivist.username, "password": "x-test-only-x", "next": "/admin/"},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    return client


def correct_url(key) -> str:
    return f"/admin/history/reorganisation/{Reorganisation.objects.get(key=key).pk}/correct/"


def units_on(date) -> set[str]:
    return set(UnitNode.objects.valid_on(date).values_list("unit__slug", flat=True))


def test_the_reorganisation_page_links_to_its_corrections(logged_in):
    merger = Reorganisation.objects.get(key="r2011-03-01")
    html = logged_in.get(f"/admin/history/reorganisation/{merger.pk}/change/").content.decode()
    assert correct_url("r2011-03-01") in html


def test_withdrawing_is_previewed_then_applied_and_shown_struck_through(logged_in, staff_archivist):
    url = correct_url("r2011-03-01")
    data = {"action": "withdraw", "certainty": "exact", "reason": "Tastet to gange"}
    preview = logged_in.post(url, {**data, "_preview": "1"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Forhåndsvisning" in html
    assert "Mål- og Rammekontoret for Udsatte" in html  # back, as corrected
    assert "mr-voksne" in units_on(MERGER)  # nothing written yet
    applied = logged_in.post(url, {**data, "_apply": "1"})
    assert applied.status_code == 302
    assert "mr-voksne" not in units_on(MERGER)
    merger = Reorganisation.objects.get(key="r2011-03-01")
    assert merger.withdrawn and merger.withdrawn_by == staff_archivist
    assert merger.history.first().history_change_reason == "Tastet to gange"
    timeline = logged_in.get("/changes/").content.decode()
    assert "<del>1. marts 2011: MR Handicap og Psykiatri og MR Udsatte" in timeline
    assert "Tastet to gange" in timeline
    # … and put back in force by a further correction.
    logged_in.post(
        url, {"action": "in_force", "certainty": "exact", "reason": "Fejl", "_apply": "1"}
    )
    assert "mr-voksne" in units_on(MERGER)


def test_a_redating_that_a_later_reorganisation_cannot_follow_is_refused_and_writes_nothing(
    logged_in,
):
    url = correct_url("r2010-12-01")
    before = (Responsibility.objects.count(), UnitNode.objects.count())
    response = logged_in.post(
        url,
        {
            "action": "redate",
            "date": "2010-10-01",
            "certainty": "exact",
            "reason": "Ny kilde",
            "_apply": "1",
        },
    )
    assert response.status_code == 200
    assert "Den tværgående juridiske enhed opløses" in response.content.decode()
    assert (Responsibility.objects.count(), UnitNode.objects.count()) == before
    assert Reorganisation.objects.get(key="r2010-12-01").date == datetime.date(2010, 12, 1)


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"action": "redate", "date": "2010-02-30", "certainty": "exact", "reason": "x"}, "2010"),
        ({"action": "redate", "date": "", "certainty": "exact", "reason": "x"}, "dato"),
        ({"action": "withdraw", "certainty": "exact", "reason": ""}, "påkrævet"),
        ({"action": "slet", "certainty": "exact", "reason": "x"}, "gyldig valgmulighed"),
    ],
)
def test_bad_input_is_answered_beside_the_form_never_with_a_500(logged_in, data, field_message):
    response = logged_in.post(correct_url("r2011-03-01"), {**data, "_apply": "1"})
    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert Reorganisation.objects.get(key="r2011-03-01").in_force


def test_a_reader_may_not_correct(client):
    reader = staff_in("Læser", "kun-laeser")
    client.force_login(reader)
    assert client.get(correct_url("r2011-03-01")).status_code == 403
    assert client.get("/admin/history/reorganisation/999999/correct/").status_code == 403


def test_an_unknown_reorganisation_is_a_404(logged_in):
    assert logged_in.get("/admin/history/reorganisation/999999/correct/").status_code == 404


def test_two_task_owning_offices_merge_in_one_dated_change_of_two_rows(logged_in):
    day = datetime.date(2012, 1, 1)
    owned = set(
        Responsibility.objects.owners()
        .valid_on(day)
        .filter(unit__slug__in=["mr-born", "mr-voksne"])
        .values_list("task__slug", flat=True)
    )
    assert owned
    rows = [
        {
            "kind": "create",
            "unit": "mr-samlet",
            "target": "center-for-maal-og-rammer",
            "name": "MR Samlet",
            "unit_kind": "kontor",
        },
        {"kind": "merge", "unit": "mr-born, mr-voksne", "target": "mr-samlet"},
    ]
    data = {
        "title": "MR-kontorerne lægges sammen",
        "date": day.isoformat(),
        "certainty": "exact",
        "reason": "Fundet i et referat",
        "changes-TOTAL_FORMS": "2",
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "50",
        "_apply": "1",
    }
    for n, row in enumerate(rows):
        data.update({f"changes-{n}-{k}": v for k, v in row.items()})
    response = logged_in.post("/admin/history/reorganisation/apply/", data)
    assert response.status_code == 302, response.context["form"].errors
    assert not {"mr-born", "mr-voksne"} & units_on(day)
    now_owned = set(
        Responsibility.objects.owners()
        .valid_on(day)
        .filter(unit__slug="mr-samlet")
        .values_list("task__slug", flat=True)
    )
    assert owned == now_owned
    reorganisation = Reorganisation.objects.get(title="MR-kontorerne lægges sammen")
    assert sorted(reorganisation.changes.values_list("kind", flat=True)) == [
        Change.Kind.CREATED,
        Change.Kind.MERGED,
        Change.Kind.MERGED,
    ]


def formset_post(changes, **extra) -> dict:
    """The POST data of a bound or initial formset's rows, as the browser would send it."""
    data = {
        "changes-TOTAL_FORMS": str(len(changes.forms)),
        "changes-INITIAL_FORMS": str(changes.initial_form_count()),
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "50",
    }
    for n, form in enumerate(changes.forms):
        for name in form.fields:
            value = form[name].value()
            if value in (None, False):
                continue
            data[f"changes-{n}-{name}"] = "on" if value is True else value
    data.update(extra)
    return data


def test_revising_a_move_with_the_wrong_parent_replays_the_later_dissolution(logged_in):
    url = correct_url("r-juridisk-enhed-flyttes").replace("/correct/", "/revise/")
    page = logged_in.get(url)
    assert page.status_code == 200
    changes = page.context["changes"]
    data = formset_post(changes, reason="Flytningen gik til MR Børn", _apply="1")
    move_row = next(n for n, f in enumerate(changes.forms) if f["kind"].value() == "move")
    assert data[f"changes-{move_row}-target"] == "mr-handicap-og-psykiatri"
    data[f"changes-{move_row}-target"] = "mr-born"
    response = logged_in.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    legal = UnitNode.objects.filter(unit__slug="tvaergaaende-juridisk-enhed")
    on = legal.valid_on(datetime.date(2010, 11, 30)).get()
    assert on.parent.unit.slug == "mr-born"
    assert not legal.valid_on(datetime.date(2010, 12, 1)).exists()  # still dissolved then
    move = Change.objects.get(reorganisation__key="r-juridisk-enhed-flyttes", kind="moved")
    assert move.target.slug == "mr-born"
    # The transfer of the same reorganisation came through the revision unchanged.
    transfer = Change.objects.get(
        reorganisation__key="r-juridisk-enhed-flyttes", kind="tasks_transferred"
    )
    assert transfer.post.slug == "kontorchef-mr-haps" and len(transfer.tasks) == 7


def three_empty_rows(*, title, reason) -> dict:
    """The dated-change form of 2012-01-01 as posted with three rows, none filled in yet."""
    return {
        "title": title,
        "date": "2012-01-01",
        "certainty": "exact",
        "status": "in_force",
        "reason": reason,
        "changes-TOTAL_FORMS": "3",
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "50",
    }


def test_a_row_is_added_without_javascript_keeping_what_was_typed(logged_in):
    data = {
        **three_empty_rows(title="Halvfærdig", reason=""),
        "changes-0-kind": "rename",
        "changes-0-unit": "mr-born",
        "_add_row": "1",
    }
    response = logged_in.post("/admin/history/reorganisation/apply/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="changes-TOTAL_FORMS" value="4"' in html
    assert 'name="changes-0-unit" value="mr-born"' in html
    assert 'value="Halvfærdig"' in html
    assert "errorlist" not in html  # nothing was submitted yet
    assert '<datalist id="registry-units">' in html and 'value="mr-born"' in html


def test_a_planned_reorganisation_stays_out_of_the_structure_until_put_in_force(logged_in):
    day = datetime.date(2012, 1, 1)
    data = {
        "title": "Trykkeriet omdøbes (planlagt)",
        "date": day.isoformat(),
        "certainty": "exact",
        "status": "planned",
        "reason": "Beslutningsoplæg",
        "changes-TOTAL_FORMS": "1",
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "50",
        "changes-0-kind": "rename",
        "changes-0-unit": "trykkeriet",
        "changes-0-name": "Kopicentret",
        "_apply": "1",
    }
    assert logged_in.post("/admin/history/reorganisation/apply/", data).status_code == 302
    planned = Reorganisation.objects.get(title="Trykkeriet omdøbes (planlagt)")
    assert planned.planned
    from orgunits.models import Unit

    trykkeriet = Unit.objects.get(slug="trykkeriet")
    assert trykkeriet.name_on(day).name != "Kopicentret"
    assert "Trykkeriet omdøbes (planlagt)" not in logged_in.get("/changes/").content.decode()
    assert logged_in.get(f"/changes/{planned.pk}/").status_code == 404
    url = f"/admin/history/reorganisation/{planned.pk}/correct/"
    put = {"action": "in_force", "certainty": "exact", "reason": "Vedtaget", "_apply": "1"}
    assert logged_in.post(url, put).status_code == 302
    assert trykkeriet.name_on(day).name == "Kopicentret"
    assert "Trykkeriet omdøbes (planlagt)" in logged_in.get("/changes/").content.decode()


def test_the_correction_form_starts_from_the_recorded_date_and_its_bounds(logged_in):
    html = logged_in.get(correct_url("r-juridisk-enhed-flyttes")).content.decode()
    assert 'name="date" value="2010-11-30"' in html
    assert 'name="not_before" value="2008-09-02"' in html
    assert 'name="not_after" value="2010-11-30"' in html


def test_a_withdrawn_merger_still_names_the_unit_it_created_and_that_unit_says_why(logged_in):
    url = correct_url("r2011-03-01")
    logged_in.post(
        url, {"action": "withdraw", "certainty": "exact", "reason": "Fejl", "_apply": "1"}
    )
    timeline = logged_in.get("/changes/").content.decode()
    assert '<a href="/units/mr-voksne/">mr-voksne</a>' in timeline
    unit = logged_in.get("/units/mr-voksne/").content.decode()
    assert "aldrig placeret i strukturen" in unit and "i dag" not in unit.split("Fandtes")[1][:300]


def test_a_plan_is_previewed_as_it_will_be_in_force_and_saved_as_planned(logged_in):
    data = {
        "title": "Planlagt omdøbning",
        "date": "2012-01-01",
        "certainty": "exact",
        "status": "planned",
        "reason": "Beslutningsoplæg",
        "changes-TOTAL_FORMS": "1",
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "50",
        "changes-0-kind": "rename",
        "changes-0-unit": "trykkeriet",
        "changes-0-name": "Kopicentret",
    }
    preview = logged_in.post("/admin/history/reorganisation/apply/", {**data, "_preview": "1"})
    assert "Kopicentret" in preview.content.decode()
    saved = logged_in.post(
        "/admin/history/reorganisation/apply/", {**data, "_apply": "1"}, follow=True
    )
    assert "gemt som planlagt" in saved.content.decode()


def test_a_reason_longer_than_history_keeps_is_refused_clearly_and_writes_nothing(logged_in):
    url = correct_url("r2011-03-01")
    response = logged_in.post(
        url, {"action": "withdraw", "certainty": "exact", "reason": "x" * 101, "_apply": "1"}
    )
    assert response.status_code == 200
    assert "højst have 100 tegn" in response.content.decode()
    assert Reorganisation.objects.get(key="r2011-03-01").in_force


def test_the_reorganisation_list_names_its_columns_in_danish(logged_in):
    html = logged_in.get("/admin/history/reorganisation/").content.decode()
    assert "Date display" not in html and "ikrafttrædelsesdato" in html.lower()


def test_more_rows_than_a_dated_change_takes_are_refused_with_a_message(logged_in):
    data = {
        "title": "For mange rækker",
        "date": "2012-01-01",
        "certainty": "exact",
        "reason": "Test",
        "changes-TOTAL_FORMS": "51",
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "50",
        "_preview": "1",
    }
    response = logged_in.post("/admin/history/reorganisation/apply/", data)
    assert response.status_code == 200
    assert "50" in response.content.decode() and "errorlist" in response.content.decode()


def refused_row(html) -> tuple[str, str]:
    """The message above the refused row, and that row's HTML."""
    start = html.index('<tr class="row-refused">')
    message_end = html.index("</tr>", start)
    row_end = html.index("</tr>", message_end + 5)
    return html[start:message_end], html[message_end:row_end]


def test_a_refused_change_is_explained_beside_its_row(logged_in):
    data = {
        **three_empty_rows(title="To ændringer", reason="Referat"),
        "changes-0-kind": "rename",
        "changes-0-unit": "mr-born",
        "changes-0-name": "Børnekontoret",
        "changes-2-kind": "move",  # the second change given, in the third row
        "changes-2-unit": "center-for-maal-og-rammer",
        "changes-2-target": "mr-born",
        "_apply": "1",
    }
    before = Reorganisation.objects.count()
    response = logged_in.post("/admin/history/reorganisation/apply/", data)
    html = response.content.decode()
    assert response.status_code == 200
    message, row = refused_row(html)
    assert "som ligger i dens eget undertræ" in message
    assert 'name="changes-2-unit" value="center-for-maal-og-rammer"' in row
    assert "Ændring 3 kan ikke gennemføres" in html  # said at the top, pointing there
    assert Reorganisation.objects.count() == before


def test_a_refused_change_of_a_revision_is_explained_beside_its_row(logged_in):
    url = correct_url("r-juridisk-enhed-flyttes").replace("/correct/", "/revise/")
    changes = logged_in.get(url).context["changes"]
    data = formset_post(changes, reason="Flytningen gik et andet sted hen", _apply="1")
    move_row = next(n for n, f in enumerate(changes.forms) if f["kind"].value() == "move")
    data[f"changes-{move_row}-target"] = "findes-ikke"
    html = logged_in.post(url, data).content.decode()
    message, row = refused_row(html)
    assert "findes-ikke" in message
    assert f'name="changes-{move_row}-target" value="findes-ikke"' in row


def test_a_revision_keeps_the_notes_of_the_rows_it_does_not_change(logged_in):
    merger = Reorganisation.objects.get(key="r2011-03-01")
    notes = dict(merger.changes.values_list("id", "note"))
    created = merger.changes.get(kind="created")
    assert created.note  # the seed explains the creation
    url = correct_url("r2011-03-01").replace("/correct/", "/revise/")
    changes = logged_in.get(url).context["changes"]
    data = formset_post(changes, reason="Noten til sammenlægningen præciseres", _apply="1")
    merge_row = next(n for n, f in enumerate(changes.forms) if f["kind"].value() == "merge")
    data[f"changes-{merge_row}-note"] = "Præciseret note"
    assert logged_in.post(url, data).status_code == 302
    merger.refresh_from_db()
    assert merger.changes.get(kind="created").note == created.note
    assert set(merger.changes.filter(kind="merged").values_list("note", flat=True)) == {
        "Præciseret note"
    }
    assert len(notes) == merger.changes.count()


def test_confirming_a_form_changed_after_its_preview_applies_nothing_and_previews_it_again(
    logged_in,
):
    url = "/admin/history/reorganisation/apply/"
    data = {
        **three_empty_rows(title="Trykkeriet flyttes", reason="Referat"),
        "changes-0-kind": "move",
        "changes-0-unit": "trykkeriet",
        "changes-0-target": "personale-og-organisationskontoret",
        "_preview": "1",
    }
    preview = logged_in.post(url, data)
    previewed = preview.context["previewed"]
    assert f'name="previewed" value="{previewed}"' in preview.content.decode()
    before = Reorganisation.objects.count()

    del data["_preview"]
    changed = {**data, "changes-0-target": "oekonomi-og-regnskab", "previewed": previewed}
    response = logged_in.post(url, {**changed, "_apply": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert Reorganisation.objects.count() == before
    assert "Formularen blev ændret efter forhåndsvisningen" in html
    assert "Økonomi og Regnskab" in html  # the preview of what it says now

    confirmed = {**changed, "previewed": response.context["previewed"], "_apply": "1"}
    assert logged_in.post(url, confirmed).status_code == 302
    move = Change.objects.get(reorganisation__title="Trykkeriet flyttes")
    assert move.target.slug == "oekonomi-og-regnskab"


def test_a_row_with_a_missing_field_is_announced_at_the_top_of_the_form(logged_in):
    data = {
        **three_empty_rows(title="Omklassificering", reason="Referat"),
        "changes-0-kind": "reclassify",
        "changes-0-unit": "mr-born",
        "_preview": "1",
    }
    html = logged_in.post("/admin/history/reorganisation/apply/", data).content.decode()
    notice = html.index("Ret rækkerne markeret nedenfor")
    assert notice < html.index("Angiv den nye type, den nye målgruppe eller begge.")


@pytest.mark.parametrize(
    "key",
    [
        "r2010-12-01",  # a transfer that ends tasks: taken over by no unit
        "r-foer-2008",  # creations, the top unit's among them: under no other
    ],
)
def test_a_recorded_reorganisation_posted_back_unchanged_revises_to_itself(logged_in, key):
    from history.projection import replay_differences, snapshot

    before = snapshot()
    url = correct_url(key).replace("/correct/", "/revise/")
    changes = logged_in.get(url).context["changes"]
    data = formset_post(changes, reason="Gennemset uden ændringer", _apply="1")
    response = logged_in.post(url, data)
    assert response.status_code == 302, [
        f.non_field_errors() or f.errors for f in response.context["changes"].forms if f.errors
    ]
    after = snapshot()

    def without_changes(rows, ids_at):  # the revision's change rows are new rows
        return {tuple(v for i, v in enumerate(row) if i not in ids_at) for row in rows}

    assert without_changes(after["placements"], (4, 5)) == without_changes(
        before["placements"], (4, 5)
    )
    a, b = (
        without_changes(after["responsibilities"], (10, 11)),
        without_changes(before["responsibilities"], (10, 11)),
    )
    assert a == b
    assert replay_differences() == []


def test_invisible_characters_pasted_into_a_dated_change_are_refused_beside_their_field(
    logged_in,
):
    data = {
        **three_empty_rows(title="Omdøbning\x1b[31m", reason="Referat\u202e"),
        "changes-0-kind": "rename",
        "changes-0-unit": "mr-born",
        "changes-0-name": "Børne\x08kontoret",
        "_apply": "1",
    }
    before = Reorganisation.objects.count()
    response = logged_in.post("/admin/history/reorganisation/apply/", data)
    assert response.status_code == 200
    assert Reorganisation.objects.count() == before
    form, row = response.context["form"], response.context["changes"].forms[0]
    assert "U+001B" in form.errors["title"][0] and "U+202E" in form.errors["reason"][0]
    assert "Fjern de usynlige tegn U+0008" in row.errors["name"][0]


def test_an_impossible_date_is_shown_again_with_its_message_beside_it(logged_in):
    # Found in a user trial: the browser's date field sent 30 February as nothing, so the form
    # said "required" and lost what was typed.
    data = {
        "title": "Omdøbning",
        "date": "2011-02-30",
        "certainty": "exact",
        "reason": "Prøve",
        "changes-TOTAL_FORMS": "0",
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "50",
        "_preview": "1",
    }
    response = logged_in.post("/admin/history/reorganisation/apply/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2011-02-30 er ikke en dato, der findes i kalenderen." in html
    assert 'type="text" name="date" value="2011-02-30"' in html
    assert "Dette felt er påkrævet" not in html
