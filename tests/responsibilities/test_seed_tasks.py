"""The tasks of the seed data: loaded with their sources, their history and their transfers."""

import datetime

import pytest

from history.loaders.seed import SEED_REASON, TASKS_FIXTURE, read_fixture
from history.models import Change
from responsibilities.models import Post, Responsibility, Task
from socialforvaltning.lib.people import SYSTEM_USERNAME

pytestmark = pytest.mark.django_db

TASKS = read_fixture(TASKS_FIXTURE)


def seed(model):
    """The rows of the seed data, not of the synthetic organisation beside it."""
    synthetic = {Task: "slug", Post: "unit__slug", Responsibility: "unit__slug"}[model]
    return model.objects.exclude(**{f"{synthetic}__startswith": "syn-"})


def test_every_task_post_and_responsibility_of_the_yaml_is_loaded():
    assert seed(Task).count() == len(TASKS["tasks"])
    assert seed(Post).count() == len(TASKS["posts"])
    loaded_from_yaml = seed(Responsibility).filter(opened_by__isnull=True).count()
    assert loaded_from_yaml == sum(len(t["responsibilities"]) for t in TASKS["tasks"])


def test_every_transfer_is_a_change_of_the_reorganisation_it_names():
    transfers = Change.objects.filter(kind=Change.Kind.TASKS_TRANSFERRED).order_by("id")
    assert [(c.reorganisation.key, c.unit.slug, c.target and c.target.slug) for c in transfers] == [
        (t["reorganisation"], t["from"], t["to"]) for t in TASKS["transfers"]
    ]


def test_every_seed_task_post_and_responsibility_cites_a_source():
    for model in (Task, Post, Responsibility):
        assert not seed(model).filter(citations__isnull=True).exists(), model.__name__


def test_every_seed_row_of_the_tasks_has_history_by_the_system_user_with_the_seed_reason():
    for model in (Task, Post, Responsibility):
        rows = model.history.exclude(history_change_reason="Testdata")
        assert rows.exists()
        assert set(rows.values_list("history_user__username", "history_change_reason")) == {
            (SYSTEM_USERNAME, SEED_REASON)
        }


def test_every_unit_owning_a_task_in_the_seed_existed_then():
    for r in seed(Responsibility).select_related("unit", "task"):
        r.full_clean()


def test_a_synonym_finds_its_task():
    assert list(Task.objects.search("LedelsesUdviklingsSamtaler").values_list("slug", flat=True))
    assert set(Task.objects.search("lus").values_list("slug", flat=True)) >= {
        "lus-born",
        "lus-haps",
        "lus-udsatte",
    }


def test_the_seed_has_one_owner_per_task_on_every_day_it_changes():
    days = {r.valid_from for r in seed(Responsibility) if r.valid_from}
    days |= {d - datetime.timedelta(days=1) for d in days}
    for day in days:
        owners = Responsibility.objects.owners().valid_on(day).values_list("task_id", flat=True)
        assert len(owners) == len(set(owners)), day
