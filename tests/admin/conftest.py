import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


def staff_in(group: str, username: str):
    user = get_user_model().objects.create_user(username, password="x-test-only-x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def reader(db):
    """A member of staff who may read the admin (group Læser)."""
    return staff_in("Læser", "laeser")


@pytest.fixture
def staff_archivist(db):
    """An archivist who keeps the records (group Arkivar)."""
    return staff_in("Arkivar", "arkivar-i-admin")


@pytest.fixture
def superuser(db):
    """A superuser, who may open every page of the admin (the users and the login log too)."""
    return get_user_model().objects.create_superuser("superarkivar", password="x-test-only-x")
