"""The read API answers what the pages show, for programs: the structure on a date with
paths and certainty, one unit, reorganisations, tasks and their owners, and a feed of
every write to the record."""

import datetime
import time

import pytest
from django.utils import timezone

from history.models import Reorganisation
from orgunits.models import UnitName

pytestmark = pytest.mark.django_db


def get(client, path, **params):
    response = client.get(f"/api/v1/{path}", params)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def a_second_ago() -> str:
    """A moment for `since=` just before what the test writes."""
    return timezone.localtime(timezone.now() - datetime.timedelta(seconds=1)).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )


def plan_a_secret_rename(archivist, *, reason: str):
    """A planned reorganisation that renames MR Voksne, with a confidential reason."""
    from history.changes import Rename
    from history.services import apply_reorganisation

    return apply_reorganisation(
        title="Fortroligt",
        date=datetime.date(2012, 1, 1),
        changes=[Rename(unit="mr-voksne", name="Hemmeligt navn")],
        user=archivist,
        reason=reason,
        status=Reorganisation.Status.PLANNED,
    )


def every_page(client, path, **params):
    """Every result, following `next` to the end."""
    answer = get(client, path, **params)
    results = list(answer["results"])
    while answer["next"]:
        answer = client.get(answer["next"]).json()
        results += answer["results"]
    return results


def test_the_structure_on_the_day_of_the_merger_has_mr_voksne_under_mal_og_rammer(client):
    units = {u["slug"]: u for u in every_page(client, "structure", date="2011-03-01")}
    voksne = units["mr-voksne"]
    assert voksne["name"] == "Mål- og Rammekontoret for Voksne"
    assert voksne["parent"] == "center-for-maal-og-rammer"
    assert voksne["path"] == [
        "socialforvaltningen",
        "direktion",
        "center-for-maal-og-rammer",
        "mr-voksne",
    ]
    assert voksne["placed_from"]["date"] == "2011-03-01"
    assert voksne["placed_from"]["certainty"] == "exact"
    assert "mr-handicap-og-psykiatri" not in units  # merged away the same day
    assert "mr-handicap-og-psykiatri" in {
        u["slug"] for u in every_page(client, "structure", date="2011-02-28")
    }


def test_pages_of_the_structure_are_in_tree_order_and_together_hold_each_unit_once(client):
    whole = get(client, "structure", date="2011-03-01", page_size=500)["results"]
    paged = every_page(client, "structure", date="2011-03-01", page_size=4)
    assert [u["slug"] for u in paged] == [u["slug"] for u in whole]
    assert len({u["slug"] for u in paged}) == len(paged)
    seen = set()
    for unit in paged:  # a parent always comes before its units
        assert unit["parent"] is None or unit["parent"] in seen
        seen.add(unit["slug"])


def test_an_uncertain_start_keeps_its_vagueness_and_an_inferred_name_is_flagged(client):
    units = {u["slug"]: u for u in every_page(client, "structure", date="2009-01-01")}
    direktoer = units["direktoer-1"]
    assert direktoer["placed_from"]["certainty"] == "range"
    assert direktoer["placed_from"]["date"] is None
    assert direktoer["placed_from"]["not_after"] == "2008-05-31"
    assert "short_name" in direktoer["inferred"]


def test_a_unit_says_what_it_was_on_the_date_and_where_it_came_from(client):
    unit = get(client, "units/mr-voksne", date="2011-03-01")
    assert unit["on_date"]["parent"]["slug"] == "center-for-maal-og-rammer"
    assert [p["slug"] for p in unit["on_date"]["path"]] == [
        "socialforvaltningen",
        "direktion",
        "center-for-maal-og-rammer",
    ]
    assert {p["unit"]["slug"] for p in unit["predecessors"]} == {
        "mr-handicap-og-psykiatri",
        "mr-udsatte",
    }
    assert unit["names"][0]["name"] == "Mål- og Rammekontoret for Voksne"
    assert unit["tasks"], "MR Voksne took over the merged offices' tasks"
    assert unit["sources"]


def test_a_unit_before_it_existed_has_its_record_but_nothing_on_the_date(client):
    unit = get(client, "units/mr-voksne", date="2010-01-01")
    assert unit["on_date"] is None
    assert unit["placements"]


def test_the_reorganisations_come_in_order_of_date_with_their_changes(client):
    reorganisations = every_page(client, "reorganisations", page_size=3)
    dated = [r["date"]["date"] for r in reorganisations if r["date"]["date"]]
    assert dated == sorted(dated)
    merger = next(r for r in reorganisations if r["date"]["date"] == "2011-03-01")
    detail = get(client, f"reorganisations/{merger['id']}")
    assert detail["status"] == "in_force"
    merged = [c for c in detail["changes"] if c["kind"] == "merged"]
    assert {c["target"] for c in merged} == {"mr-voksne"}
    until_2010 = get(client, "reorganisations", date="2010-01-01")["results"]
    assert all((r["date"]["date"] or "") <= "2010-01-01" for r in until_2010)


def test_a_task_lookup_names_the_owner_on_the_date_and_a_tasks_history_names_each(client):
    found = get(client, "tasks", q="visitationen", date="2011-03-01")["results"]
    assert found and any(t["holders"] for t in found)
    slug = found[0]["slug"]
    history = get(client, f"tasks/{slug}", date="2011-03-01")
    assert history["responsibilities"]
    assert any(r["held_on_date"] for r in history["responsibilities"])


def test_the_feed_from_a_moment_lists_a_later_edit_with_who_and_why(client, archivist, monkeypatch):
    monkeypatch.setattr("history.api.SETTLE", datetime.timedelta(0))
    before = timezone.now()
    name = UnitName.objects.get(unit__slug="mr-voksne", kind="authorised")
    name.short_name = "MR V."
    name._history_user, name._change_reason = archivist, "Stavning rettet"
    name.save()
    since = timezone.localtime(before - datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    entries = every_page(client, "changes", since=since)
    mine = [e for e in entries if e["record"] == "orgunits.unitname" and e["id"] == name.pk]
    assert mine and mine[-1]["operation"] == "changed"
    assert mine[-1]["reason"] == "Stavning rettet"
    assert mine[-1]["by"] == "en arkivar"  # never the login


def test_following_the_feed_with_its_cursor_gives_each_entry_once_and_then_nothing(client):
    first = get(client, "changes", page_size=500)
    seen = [(e["record"], e["id"], e["recorded_at"], e["operation"]) for e in first["results"]]
    answer = first
    while answer["next"]:
        answer = client.get(answer["next"]).json()
        seen += [
            (e["record"], e["id"], e["recorded_at"], e["operation"]) for e in answer["results"]
        ]
    assert len(seen) > 1000  # the seed and the synthetic organisation
    later = get(client, "changes", after=answer["cursor"])
    assert later["results"] == []
    assert later["cursor"] == answer["cursor"]  # keep asking with it


def test_a_reorganisation_as_recorded_before_its_withdrawal_is_in_force(client, archivist):
    from history.services import withdraw_reorganisation

    merger = Reorganisation.objects.get(key="r2011-03-01")
    moment = timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S")
    withdraw_reorganisation(merger, user=archivist, reason="Forkert indtastet")
    assert get(client, f"reorganisations/{merger.pk}")["status"] == "withdrawn"
    then = get(client, f"reorganisations/{merger.pk}", recorded=moment)
    assert then["status"] == "in_force"
    units = {u["slug"] for u in every_page(client, "structure", date="2011-03-01")}
    assert "mr-voksne" not in units
    recorded = every_page(client, "structure", date="2011-03-01", recorded=moment)
    assert "mr-voksne" in {u["slug"] for u in recorded}


def test_an_edit_is_listed_once_it_has_settled_so_that_a_slower_write_is_not_skipped(
    client, archivist
):
    from history import api

    answer = get(client, "changes", since="2000-01-01", page_size=500)
    while answer["next"]:
        answer = client.get(answer["next"]).json()
    name = UnitName.objects.get(unit__slug="mr-voksne", kind="authorised")
    name.short_name, name._change_reason = "MR V.", "Stavning"
    name.save()
    fresh = get(client, "changes", after=answer["cursor"])
    assert fresh["results"] == []  # a write that stamped its rows earlier may still commit
    time.sleep(api.SETTLE.total_seconds())
    settled = get(client, "changes", after=answer["cursor"])
    assert ("orgunits.unitname", name.pk) in [(e["record"], e["id"]) for e in settled["results"]]


def test_a_planned_reorganisation_and_its_reasons_stay_out_of_the_feed_until_decided(
    client, archivist, monkeypatch
):
    monkeypatch.setattr("history.api.SETTLE", datetime.timedelta(0))
    since = a_second_ago()
    plan_a_secret_rename(archivist, reason="Fortroligt udkast")
    entries = every_page(client, "changes", since=since)
    assert not [e for e in entries if e["record"] in ("history.reorganisation", "history.change")]
    assert "Fortroligt udkast" not in {e["reason"] for e in entries}


def test_a_task_as_recorded_before_the_registry_knew_it_is_not_found_and_the_lookup_says_why(
    client,
):
    history = client.get("/api/v1/tasks/visitation-handicap", {"recorded": "2000-01-01T00:00"})
    assert history.status_code == 404
    lookup = client.get("/api/v1/tasks", {"q": "visitation", "recorded": "2026-01-01T00:00"})
    assert lookup.status_code == 400 and "/tasks/" in lookup.json()["detail"]


def test_the_feed_names_the_unit_a_changed_name_belongs_to(client, archivist, monkeypatch):
    monkeypatch.setattr("history.api.SETTLE", datetime.timedelta(0))
    since = a_second_ago()
    name = UnitName.objects.get(unit__slug="mr-voksne", kind="authorised")
    name.short_name, name._change_reason = "MR V.", "Stavning"
    name.save()
    entry = next(
        e for e in every_page(client, "changes", since=since) if e["record"] == "orgunits.unitname"
    )
    assert entry["unit"] == "mr-voksne"


def test_a_unit_whose_creation_was_withdrawn_says_it_has_no_authority_record(client, archivist):
    from history.services import withdraw_reorganisation

    assert get(client, "units/mr-voksne")["has_authority_record"] is True
    withdraw_reorganisation(
        Reorganisation.objects.get(key="r2011-03-01"), user=archivist, reason="Fejl"
    )
    assert get(client, "units/mr-voksne")["has_authority_record"] is False


def test_a_plan_is_not_in_force_as_recorded_at_any_moment_after_it_was_made(client, archivist):
    plan = plan_a_secret_rename(archivist, reason="Fortroligt")
    moment = timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S")
    listed = every_page(client, "reorganisations", recorded=moment)
    assert plan.pk not in {r["id"] for r in listed}
    assert client.get(f"/api/v1/reorganisations/{plan.pk}", {"recorded": moment}).status_code == 404
    history = get(client, "tasks/visitation-handicap", recorded=moment)
    assert history["responsibilities"]


def test_a_plans_trial_leaves_no_trace_on_the_units_page_its_records_or_the_feed(
    client, archivist, monkeypatch
):
    monkeypatch.setattr("history.api.SETTLE", datetime.timedelta(0))
    since = a_second_ago()
    plan_a_secret_rename(archivist, reason="FORTROLIGT 40 stillinger")
    for address in (
        "/units/mr-voksne/",
        "/units/mr-voksne/eac-cpf.xml",
        "/units/mr-voksne/eac-cpf-2.xml",
        "/oai?verb=GetRecord&metadataPrefix=eac-cpf"
        "&identifier=oai:socialforvaltning.kk.dk:unit/mr-voksne",
    ):
        assert "FORTROLIGT" not in client.get(address).content.decode(), address
    assert every_page(client, "changes", since=since) == []


def test_a_unit_only_a_plan_creates_is_not_found_until_the_plan_is_decided(client, archivist):
    """As its page is not: the plan, its names and its reasons stay confidential."""
    from history.changes import Create
    from history.services import apply_reorganisation

    apply_reorganisation(
        title="Fortroligt",
        date=datetime.date(2012, 1, 1),
        changes=[
            Create(slug="hemmelig-enhed", name="Hemmelig enhed", kind="kontor", parent="direktion")
        ],
        user=archivist,
        reason="Fortroligt udkast",
        status=Reorganisation.Status.PLANNED,
    )
    assert client.get("/units/hemmelig-enhed/").status_code == 404
    answer = client.get("/api/v1/units/hemmelig-enhed")
    assert answer.status_code == 404
    assert "Hemmelig enhed" not in answer.content.decode()
    # The change feed finds it from the plans' side: the same unit as every page leaves out.
    from orgunits.models import Unit

    hidden = Unit.objects.off_record().values_list("pk", flat=True)
    assert (
        Unit.objects.off_record_ids()
        == sorted(hidden)
        == [Unit.objects.get(slug="hemmelig-enhed").pk]
    )
