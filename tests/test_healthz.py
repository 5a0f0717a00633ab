import pytest


@pytest.mark.django_db
def test_healthz_answers_200_with_the_state_of_each_part(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_healthz_answers_head_as_load_balancers_ask(client):
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""
