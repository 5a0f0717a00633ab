"""What a registry answers, as plain data to compare between two databases: run in a
subprocess against either (`manage.py shell -c`), by the backup and restore tests.

`edit()` gives a freshly bootstrapped registry a correction and a reorganisation by a named
archivist, so that its history has users and reasons beyond the seed's; `answers()` reads the
tree unit by unit with names on several dates, the owner of every task on them, every history
row of every registry model with who and why, and what `check_registry` finds."""

import datetime
import json

EDITED_ON = datetime.date(2012, 1, 1)
DATES = [
    datetime.date(2008, 6, 1),
    datetime.date(2010, 6, 1),
    datetime.date(2011, 3, 1),
    EDITED_ON,
    datetime.date.today(),
]
ARCHIVIST = "arkivar-backup"


def edit():
    from django.contrib.auth import get_user_model

    from history.changes import Move, Rename, TransferTasks
    from history.services import apply_reorganisation
    from orgunits.models import Unit, UnitName

    archivist = get_user_model().objects.create_user(ARCHIVIST, first_name="Arkivar")
    name = UnitName.objects.authorised().filter(unit__slug="trykkeriet").latest("valid_from")
    name.name = f"{name.name} (rettet)"
    name._history_user, name._change_reason = archivist, "Stavefejl i navnet"
    name.full_clean()
    name.save()
    unit = Unit.objects.get(slug="uddannelsescentret")
    unit.description = "Rettet beskrivelse."
    unit._history_user, unit._change_reason = archivist, "Beskrivelsen præciseret"
    unit.full_clean()
    unit.save()
    apply_reorganisation(
        title="Uddannelsescentret flytter",
        date=EDITED_ON,
        changes=[
            Move(unit="uddannelsescentret", to="center-for-tvaergaaende-funktioner"),
            Rename(unit="trykkeriet", name="Trykkeri og Post", short_name="TP"),
            TransferTasks(
                from_unit="uddannelsescentret",
                to_unit="personale-og-organisationskontoret",
                tasks=["interne-kursusaktiviteter"],
                post=None,
            ),
        ],
        reason="Testomorganisering før backup",
        user=archivist,
    )


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def answers() -> dict:
    from django.contrib.contenttypes.models import ContentType

    from history.backup import registry_models
    from orgunits.integrity import registry_problems
    from orgunits.structure import Structure
    from responsibilities.lookup import orphaned_tasks_problems
    from responsibilities.models import Responsibility

    # Content types are made by `migrate`, in an order a restore need not repeat: rows refer
    # to them by name, and so do the answers.
    content_types = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}
    result = {"tree": {}, "owners": {}, "history": {}}
    for date in DATES:
        structure = Structure(date)
        result["tree"][date.isoformat()] = [
            [
                node.unit.slug,
                structure.parent_unit(node).slug if node.parent_id else None,
                node.level,
                structure.name(node),
                structure.short_name(node),
                _plain(node.valid_from),
                _plain(node.valid_to),
            ]
            for node in structure.nodes
        ]
        result["owners"][date.isoformat()] = sorted(
            Responsibility.objects.owners()
            .valid_on(date)
            .values_list("task__slug", "unit__slug", "post__slug")
        )
    for model in registry_models():
        if not model.__name__.startswith("Historical"):
            continue
        rows = model.objects.order_by("history_id").values()
        users = dict(model.objects.values_list("history_id", "history_user__username"))
        result["history"][model.__name__] = [
            {
                **{k: _plain(v) for k, v in row.items() if k != "history_user_id"},
                "history_user": users[row["history_id"]],
                **(
                    {"content_type_id": content_types[row["content_type_id"]]}
                    if "content_type_id" in row
                    else {}
                ),
            }
            for row in rows
        ]
    result["problems"] = registry_problems() + orphaned_tasks_problems()
    return result


def print_answers():
    print(json.dumps(answers(), sort_keys=True))
