"""The archivists' admin for tasks, posts and responsibilities: edits need a reason, and
when and where a responsibility held is read-only once recorded."""

import pytest
from django.contrib.auth import get_user_model

from responsibilities.models import Post, Responsibility, Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("superarkivar", password="x-test-only-x")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["task", "post", "responsibility"])
def test_the_lists_and_the_search_open(admin_client, model):
    assert admin_client.get(f"/admin/responsibilities/{model}/").status_code == 200
    assert admin_client.get(f"/admin/responsibilities/{model}/", {"q": "LUS"}).status_code == 200


def test_a_task_shows_its_responsibilities_with_read_only_periods(admin_client):
    task = Task.objects.get(slug="visitation-voksne-sindslidelse")
    html = admin_client.get(f"/admin/responsibilities/task/{task.pk}/change/").content.decode()
    assert "Socialcenter København" in html or "socialcenter-koebenhavn" in html
    assert 'name="responsibilities-0-valid_from"' not in html
    assert 'name="responsibilities-0-note"' in html


def test_a_responsibility_keeps_its_period_read_only(admin_client):
    responsibility = Responsibility.objects.filter(task__slug="lus-born").first()
    url = f"/admin/responsibilities/responsibility/{responsibility.pk}/change/"
    html = admin_client.get(url).content.decode()
    assert 'name="valid_from"' not in html
    assert 'name="unit"' not in html
    assert 'name="note"' in html
    assert 'name="change_reason"' in html


def test_a_post_opens(admin_client):
    post = Post.objects.get(slug="kontorchef-du-born")
    response = admin_client.get(f"/admin/responsibilities/post/{post.pk}/change/")
    assert response.status_code == 200


def test_editing_a_note_is_kept_in_history_with_its_reason(admin_client):
    responsibility = Responsibility.objects.get(task__slug="lus-born", unit__slug="du-born")
    url = f"/admin/responsibilities/responsibility/{responsibility.pk}/change/"
    response = admin_client.post(
        url,
        {
            "post": responsibility.post_id,
            "inferred": "",
            "note": "Rettet note",
            "change_reason": "Stavefejl",
            "orgunits-citation-content_type-object_id-TOTAL_FORMS": 0,
            "orgunits-citation-content_type-object_id-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    responsibility.refresh_from_db()
    assert responsibility.note == "Rettet note"
    latest = responsibility.history.order_by("-history_id").first()
    assert (latest.history_change_reason, latest.history_user.username) == (
        "Stavefejl",
        "superarkivar",
    )
