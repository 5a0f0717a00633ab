"""Who may read the API, what a client that already has an answer gets, and how it says
what was wrong: never a 500, always application/problem+json with a message."""

import pytest
from django.contrib.auth.models import Permission

from socialforvaltning.models import IntegrationToken
from tests.streamed import json_of

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def problem(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


@pytest.mark.parametrize(
    "path",
    [
        "structure?date=2011-02-30",
        "structure?date=yesterday",
        "structure?date=2011-03-01&recorded=3000-01-01T00:00",
        "structure?recorded=soon",
        "structure?page=0",
        "structure?page=abc",
        "structure?page_size=100000",
        "structure?page=999",
        "units/no-such-unit",
        "units/mr-voksne?date=%00",
        "reorganisations/999999",
        "reorganisations?status=maybe",
        "tasks?q=" + "x" * 500,
        "tasks?category=nonsense",
        "tasks/no-such-task",
        "changes?since=2011-13-01",
        "changes?after=not-a-cursor",
        "changes?after=" + "W10",
        "nothing-here",
    ],
)
def test_bad_input_is_a_problem_that_says_what_was_wrong_never_a_500(client, path):
    response = client.get(f"/api/v1/{path}")
    assert response.status_code in (400, 404), response.content[:300]
    problem(response, response.status_code)


def test_a_client_with_the_current_answer_gets_304_until_the_record_changes(client, archivist):
    from orgunits.models import UnitName

    first = client.get("/api/v1/structure", {"date": "2011-03-01"})
    etag = first["ETag"]
    again = client.get("/api/v1/structure", {"date": "2011-03-01"}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    name = UnitName.objects.get(unit__slug="mr-voksne", kind="authorised")
    name.short_name, name._change_reason = "MR V.", "Stavning"
    name.save()
    changed = client.get("/api/v1/structure", {"date": "2011-03-01"}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


@pytest.fixture
def private(settings):
    settings.REGISTRY_PUBLIC = False


def make_token(archivist, **fields) -> tuple[IntegrationToken, str]:
    token = IntegrationToken(integration="Intranettets organisationsdiagram", **fields)
    secret = token.issue()
    token.created_by, token._history_user, token._change_reason = archivist, archivist, "Test"
    token.save()
    return token, secret


def test_a_private_registry_asks_for_a_token_and_reads_with_one(client, private, archivist):
    refused = client.get("/api/v1/structure")
    problem(refused, 401)
    assert refused["WWW-Authenticate"].startswith("Bearer")
    _, secret = make_token(archivist)
    allowed = client.get("/api/v1/structure", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert allowed.status_code == 200
    problem(client.get("/api/v1/structure", HTTP_AUTHORIZATION="Bearer sfr_forged"), 401)


def test_a_private_registrys_api_description_and_docs_are_for_readers_too(
    client, private, archivist
):
    for address in ("/api/v1/openapi.json", "/api/v1/docs"):
        problem(client.get(address), 401)
    _, secret = make_token(archivist)
    described = client.get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert described.status_code == 200 and "paths" in described.json()
    client.force_login(archivist)  # the docs page in a logged-in browser
    assert client.get("/api/v1/docs").status_code == 200


def test_a_revoked_token_reads_nothing_more(client, private, archivist):
    token, secret = make_token(archivist)
    token.revoke()
    token._change_reason = "Integrationen er nedlagt"
    token.save()
    problem(client.get("/api/v1/structure", HTTP_AUTHORIZATION=f"Bearer {secret}"), 401)
    assert token.history.count() == 2  # created, revoked: both kept with who and why


def test_a_token_past_its_requests_per_minute_is_told_when_to_come_back(client, private, archivist):
    _, secret = make_token(archivist, requests_per_minute=3)
    answers = [
        client.get("/api/v1/reorganisations", HTTP_AUTHORIZATION=f"Bearer {secret}")
        for _ in range(4)
    ]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    problem(answers[3], 429)
    assert 1 <= int(answers[3]["Retry-After"]) <= 60


def test_a_private_registrys_304_needs_the_token_too(client, private, archivist):
    _, secret = make_token(archivist)
    etag = client.get("/api/v1/structure", HTTP_AUTHORIZATION=f"Bearer {secret}")["ETag"]
    problem(client.get("/api/v1/structure", HTTP_IF_NONE_MATCH=etag), 401)


def test_the_token_is_shown_once_when_an_archivist_creates_it_and_only_its_digest_is_kept(
    client, archivist
):
    archivist.is_staff = True
    archivist.save()
    archivist.user_permissions.add(
        *Permission.objects.filter(codename__endswith="integrationtoken")
    )
    client.force_login(archivist)
    response = client.post(
        "/admin/socialforvaltning/integrationtoken/add/",
        {
            "integration": "Sagssystemet",
            "requests_per_minute": "60",
            "change_reason": "Sagssystemet skal slå opgaver op",
        },
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    secret = next(w for m in shown for w in m.split() if w.startswith("sfr_"))
    token = IntegrationToken.objects.get(integration="Sagssystemet")
    assert secret not in (token.key_digest, token.key_start)
    assert IntegrationToken.objects.holding(secret) == token
    assert token.history.get().history_change_reason == "Sagssystemet skal slå opgaver op"


def test_the_openapi_document_and_its_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/structure", "/api/v1/units/{slug}", "/api/v1/changes"} <= set(schema["paths"])
    errors = schema["paths"]["/api/v1/structure"]["get"]["responses"]["400"]["content"]
    assert list(errors) == [PROBLEM]
    docs = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in docs and "//cdn" not in docs and "https://" not in docs


def test_head_is_answered_like_get_without_a_body_and_writing_methods_are_refused(client):
    head = client.head("/api/v1/structure", {"date": "2011-03-01"})
    get = client.get("/api/v1/structure", {"date": "2011-03-01"})
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == get["ETag"]
    for method in (client.post, client.put, client.delete):
        refused = method("/api/v1/units/mr-voksne")
        problem(refused, 405)
        assert "GET" in refused["Allow"]


def test_a_private_registrys_oai_harvester_needs_a_token_too(client, private, archivist):
    refused = client.get("/oai", {"verb": "Identify"})
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    _, secret = make_token(archivist)
    allowed = client.get("/oai", {"verb": "Identify"}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert allowed.status_code == 200 and b"<Identify>" in allowed.content


def test_the_oai_repository_names_the_address_the_operator_gives(client, settings):
    settings.REGISTRY_OAI_ADMIN_EMAIL = "arkiv@example.org"
    identify = client.get("/oai", {"verb": "Identify"}).content.decode()
    assert "<adminEmail>arkiv@example.org</adminEmail>" in identify


def test_a_proxys_basic_authorization_on_a_public_registry_is_not_taken_for_a_bad_token(client):
    answer = client.get("/api/v1/structure", HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==")
    assert answer.status_code == 200
    wrong = client.get("/api/v1/structure", HTTP_AUTHORIZATION="Bearer sfr_mistyped")
    assert "ikke gyldig" in problem(wrong, 401)["detail"]  # says the token is wrong


@pytest.mark.parametrize("path", ["openapi.json", "docs", "structure", "changes"])
def test_no_address_of_the_api_takes_a_write(client, path):
    for method in (client.post, client.put, client.delete, client.patch):
        refused = method(f"/api/v1/{path}")
        problem(refused, 405)


def test_more_parameters_than_django_reads_and_a_null_in_a_key_are_problems_not_500s(client):
    too_many = client.get("/api/v1/structure?" + "&".join(f"a{i}=1" for i in range(1500)))
    problem(too_many, 400)
    problem(client.get("/api/v1/units/x%00y"), 404)
    problem(client.get("/api/v1/tasks/x%00"), 404)


def test_a_cursor_the_feed_did_not_give_is_refused_even_when_it_looks_right(client):
    import base64
    import json

    forged = base64.urlsafe_b64encode(
        json.dumps(["0001-01-01T00:00:00+14:00", "orgunits.unit", 1]).encode()
    ).decode()
    problem(client.get("/api/v1/changes", {"after": forged}), 400)


def test_the_feeds_documented_recipe_gets_a_304_while_nothing_is_written(client):
    answer = client.get("/api/v1/changes", {"page_size": 500})
    while json_of(answer)["next"]:
        answer = client.get(json_of(answer)["next"])
    cursor, etag = json_of(answer)["cursor"], answer["ETag"]
    later = client.get("/api/v1/changes", {"after": cursor}, HTTP_IF_NONE_MATCH=etag)
    assert later.status_code == 304
    current = client.get("/api/v1/structure")["ETag"]
    weak = client.get("/api/v1/structure", HTTP_IF_NONE_MATCH=f"W/{current}")
    assert weak.status_code == 304


def administrator(archivist):
    archivist.is_staff = archivist.is_superuser = True
    archivist.save()
    return archivist


def test_a_token_is_revoked_on_its_page_with_a_reason_and_no_revert_gives_it_back(
    client, archivist
):
    token, secret = make_token(archivist)
    client.force_login(administrator(archivist))
    page = f"/admin/socialforvaltning/integrationtoken/{token.pk}/change/"
    form = {"integration": token.integration, "requests_per_minute": "120"}
    saved = client.post(page, {**form, "revoke": "on", "change_reason": "Intranettet er lukket"})
    assert saved.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.history.latest("history_id").history_change_reason == "Intranettet er lukket"
    before = token.history.earliest("history_id")
    revert = f"/admin/socialforvaltning/integrationtoken/{token.pk}/history/{before.history_id}/"
    refused = client.post(revert, {**form, "change_reason": "Fortrudt"}, follow=True)
    assert "forbliver tilbagekaldt" in refused.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    problem(client.get("/api/v1/structure", HTTP_AUTHORIZATION=f"Bearer {secret}"), 401)


def test_a_token_reads_the_exports_and_linked_data_of_a_private_registry_but_writes_nothing(
    client, private, archivist
):
    _, secret = make_token(archivist)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    unit = client.get("/units/mr-voksne/", HTTP_ACCEPT="application/ld+json", **bearer)
    assert unit.status_code == 200 and unit["Content-Type"].startswith("application/ld+json")
    assert client.get("/export/units.csv", **bearer).status_code == 200
    assert client.get("/chart.svg", **bearer).status_code == 200
    assert client.get("/export/units.csv").status_code == 302  # no token: to the login
    problem(client.get("/export/units.csv", HTTP_AUTHORIZATION="Bearer sfr_wrong"), 401)
    assert client.post("/admin/login/", **bearer).status_code in (200, 302, 403)
    assert client.post("/units/", **bearer).status_code in (403, 405)


def test_a_write_still_settling_leaves_the_feed_without_an_etag_so_the_next_poll_gets_it(
    client, archivist
):
    import time

    from history import api
    from orgunits.models import UnitName

    answer = client.get("/api/v1/changes", {"page_size": 500})
    while answer.json()["next"]:
        answer = client.get(answer.json()["next"])
    cursor, etag = answer.json()["cursor"], answer["ETag"]
    name = UnitName.objects.get(unit__slug="mr-voksne", kind="authorised")
    name.short_name, name._change_reason = "MR V.", "Stavning"
    name.save()
    settling = client.get("/api/v1/changes", {"after": cursor}, HTTP_IF_NONE_MATCH=etag)
    assert settling.status_code == 200 and settling.json()["results"] == []
    assert "ETag" not in settling and settling["Cache-Control"] == "no-store"
    time.sleep(api.SETTLE.total_seconds())
    settled = client.get("/api/v1/changes", {"after": cursor}, HTTP_IF_NONE_MATCH=etag)
    assert settled.status_code == 200
    assert "orgunits.unitname" in {e["record"] for e in settled.json()["results"]}


def test_the_etag_of_a_first_page_does_not_stand_for_the_pages_after_it(client):
    first = client.get("/api/v1/changes", {"page_size": 100})
    cursor = first.json()["cursor"]
    resumed = client.get("/api/v1/changes", {"after": cursor}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert resumed.status_code == 200 and resumed.json()["results"]


def test_a_token_on_a_private_registry_opens_no_page_meant_for_people(client, private, archivist):
    _, secret = make_token(archivist)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    for page in ("/", "/units/", "/units/mr-voksne/", "/changes/"):
        assert client.get(page, **bearer).status_code == 403, page
    assert client.get("/units/mr-voksne/eac-cpf.xml", **bearer).status_code == 200


@pytest.mark.parametrize("given", [{"date": "2011-03-01"}, {"recorded": "xxxx"}, {"page": "2"}])
def test_the_change_feed_refuses_the_pages_parameters_rather_than_ignore_them(client, given):
    refused = problem(client.get("/api/v1/changes", given), 400)
    assert f"{next(iter(given))}=" in refused["detail"] and "since=" in refused["detail"]


@pytest.mark.parametrize(
    "address", ["/api/v1/structure", "/api/v1/units/mr-voksne", "/api/v1/reorganisations"]
)
def test_a_parameter_an_operation_does_not_read_is_refused_with_what_it_reads(client, address):
    refused = problem(client.get(address, {"dato": "2011-03-01"}), 400)
    assert "dato=" in refused["detail"] and "date=" in refused["detail"]
