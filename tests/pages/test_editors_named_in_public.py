"""The public pages and exports name an editor by the name their account gives, else as "an
archivist": never by their login, which anyone could then use to lock the account out."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from history.changes import Rename
from history.services import apply_reorganisation, withdraw_reorganisation

pytestmark = pytest.mark.django_db

LOGIN = "kbh-arkivar-7"


def edit_by(user):
    reorganisation = apply_reorganisation(
        title="MR Børn omdøbes",
        date=datetime.date(2009, 6, 1),
        user=user,
        reason="Rettelse",
        changes=[Rename(unit="mr-born", name="Børnekontoret")],
    )
    withdraw_reorganisation(reorganisation, user=user, reason="Indtastet ved en fejl")
    return reorganisation


@pytest.mark.parametrize(
    ("first_name", "shown"), [("", "en arkivar"), ("Stadsarkivet", "Stadsarkivet")]
)
def test_pages_and_exports_name_the_editor_never_by_login(client, first_name, shown):
    user = get_user_model().objects.create_user(LOGIN, password="x", first_name=first_name)
    reorganisation = edit_by(user)
    pages = [
        client.get("/units/mr-born/"),
        client.get(f"/changes/{reorganisation.pk}/"),
        client.get("/units/mr-born/eac-cpf.xml"),
        client.get("/units/mr-born/eac-cpf-2.xml"),
    ]
    for page in pages:
        assert page.status_code == 200, page.request["PATH_INFO"]
        text = page.content.decode()
        assert LOGIN not in text, page.request["PATH_INFO"]
    assert shown in pages[0].content.decode()
    assert shown in pages[2].content.decode()
