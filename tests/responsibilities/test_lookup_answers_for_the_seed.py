"""The lookup answers, for every task in tasks.yaml, with the owner the YAML implies on the
days before and after each transfer of tasks."""

import datetime

import pytest

from history.loaders.seed import TASKS_FIXTURE, read_fixture

pytestmark = pytest.mark.django_db

ORGANISATION = read_fixture()
TASKS = read_fixture(TASKS_FIXTURE)
POST_TITLES = {post["slug"]: post["title"] for post in TASKS["posts"]}

# The day before and the day of each transfer: 1 June 2010, 1 December 2010, 1 March 2011.
DATES = [
    datetime.date(2010, 5, 31),
    datetime.date(2010, 6, 1),
    datetime.date(2010, 11, 30),
    datetime.date(2010, 12, 1),
    datetime.date(2011, 2, 28),
    datetime.date(2011, 3, 1),
]


def periods_implied_by_the_yaml() -> list[dict]:
    """Every responsibility the YAML describes, with the transfers applied in the order of the
    reorganisations and, within one, in the order written. Independent of the loader."""
    keys = [r["key"] for r in ORGANISATION["reorganisations"]]
    date_of = {r["key"]: r.get("date") for r in ORGANISATION["reorganisations"]}
    periods = [
        {
            "task": task["slug"],
            "unit": r["unit"],
            "role": r["role"],
            "post": r.get("post"),
            "start": r.get("from"),
            "end": None,
        }
        for task in TASKS["tasks"]
        for r in task["responsibilities"]
    ]
    for transfer in sorted(TASKS["transfers"], key=lambda t: keys.index(t["reorganisation"])):
        date = date_of[transfer["reorganisation"]]
        for slug in transfer["tasks"]:
            handed_on = [
                p
                for p in periods
                if p["task"] == slug
                and p["unit"] == transfer["from"]
                and p["end"] is None
                and (p["start"] is None or p["start"] <= date)
            ]
            assert handed_on, f"{transfer['reorganisation']}: {transfer['from']} lacks {slug}"
            for p in handed_on:
                p["end"] = date
                if transfer["to"]:
                    periods.append(
                        {
                            "task": slug,
                            "unit": transfer["to"],
                            "role": transfer.get("role") or p["role"],
                            "post": transfer.get("post", p["post"]),
                            "start": date,
                            "end": None,
                        }
                    )
    return periods


PERIODS = periods_implied_by_the_yaml()


def expected_owner(task_slug: str, date: datetime.date) -> dict | None:
    owners = [
        p
        for p in PERIODS
        if p["task"] == task_slug
        and p["role"] == "owner"
        and (p["start"] is None or p["start"] <= date)
        and (p["end"] is None or date < p["end"])
    ]
    assert len(owners) <= 1, f"the YAML gives {task_slug} two owners on {date}"
    return owners[0] if owners else None


@pytest.mark.parametrize("task", TASKS["tasks"], ids=[t["slug"] for t in TASKS["tasks"]])
def test_the_lookup_names_the_owner_the_yaml_implies_around_each_transfer(lookup, task):
    for date in DATES:
        expected = expected_owner(task["slug"], date)
        found = [
            row
            for row in lookup(q=task["name"], date=date.isoformat())
            if row["task_slug"] == task["slug"] and row["role"] == "owner"
        ]
        if expected is None:
            assert found == [], f"{task['slug']} should have no owner on {date}"
            continue
        assert len(found) == 1, f"{task['slug']} should have one owner on {date}"
        owner = found[0]
        assert owner["unit_slug"] == expected["unit"], date
        assert owner["post"] == POST_TITLES.get(expected["post"]), date
        start = expected["start"].isoformat() if expected["start"] else None
        assert owner["valid_from"] == start, date
        assert owner["unit_path"][-1] == owner["unit"]
        assert owner["source"], f"{task['slug']}: the owner on {date} cites no source"


def test_the_transfers_in_the_yaml_move_owners_on_each_transfer_date():
    """Guard for the test above: the six dates do see owners change."""
    changed = {
        date: sum(
            (expected_owner(t["slug"], date - datetime.timedelta(days=1)) or {}).get("unit")
            != (expected_owner(t["slug"], date) or {}).get("unit")
            for t in TASKS["tasks"]
        )
        for date in DATES[1::2]
    }
    assert changed == {
        datetime.date(2010, 6, 1): 3,
        datetime.date(2010, 12, 1): 7,
        datetime.date(2011, 3, 1): 17,
    }
