"""What the change feed (`/api/v1/changes`) reads: the history rows of every recorded model
after a position and up to a moment, in one order (moment, record, history id), less what is
not yet published, each with the unit, task and reorganisation it is about."""

import itertools
from dataclasses import dataclass

from django.db import connection
from django.db.models import BigIntegerField, CharField, F, Q, Value
from django.db.models.functions import Cast

from orgunits.models import Unit
from responsibilities.models import Task
from socialforvaltning.version import recorded_models

from .models import Reorganisation

# What each entry holds, in the order of the union's columns: the unit and the task it is
# about by slug where the row is the unit's or the task's own, else by id (read after).
COLUMNS = (
    "history_date",
    "record",
    "history_id",
    "id",
    "history_type",
    "history_user_id",
    "history_change_reason",
    "about_unit",
    "about_unit_id",
    "about_task",
    "about_task_id",
    "about_reorganisation",
)


def entries_after(cursor: tuple, *, until, limit: int) -> list[dict]:
    """At most `limit` history rows after `cursor` (moment, record, history id) and stamped
    by `until`, in the feed's order, as dicts of COLUMNS less the ids, each naming the unit
    and the task it is about by slug (three queries; on SQLite, one a record instead of the
    first)."""
    unpublished = Unpublished.now()
    parts = [
        _entries_of(label, model.history.model, cursor, until, unpublished)
        for label, model in recorded_models().items()
    ]
    # Each record's next rows first (its history_date index), so that a page reads what it
    # shows, not every later row of every record.
    parts = [p.order_by("history_date", "history_id")[:limit] for p in parts]
    if connection.features.supports_slicing_ordering_in_compound:
        union = parts[0].union(*parts[1:], all=True)
        rows = list(union.order_by("history_date", "record", "history_id")[:limit])
    else:
        # SQLite cannot order and limit a union's parts: each is read on its own and the
        # pages merged here (a union sorted every later row: 100 ms at 10,000 units).
        in_order = sorted(
            itertools.chain.from_iterable(parts),
            key=lambda row: (row["history_date"], row["record"], row["history_id"]),
        )
        rows = in_order[:limit]
    return _with_slugs(rows)


def _with_slugs(rows: list[dict]) -> list[dict]:
    """The rows with the slugs of the units and tasks they are about, read for the page's
    rows alone: joined inside the union, they were read for every row the database passed
    on its way to the page (and PostgreSQL, misjudging how many, scanned every unit for
    each)."""
    slugs = {}
    for about, model in (("about_unit", Unit), ("about_task", Task)):
        ids = {row[f"{about}_id"] for row in rows} - {None}
        slugs[about] = dict(model.objects.filter(pk__in=ids).values_list("pk", "slug"))
    for row in rows:
        for about in ("about_unit", "about_task"):
            of = row.pop(f"{about}_id")
            if of is not None:
                row[about] = slugs[about].get(of)
    return rows


def _entries_of(label: str, history, cursor: tuple, until, unpublished: "Unpublished"):
    """The rows of one record's history table that belong on the page, as COLUMNS."""
    return (
        history.objects.filter(_after(label, cursor), history_date__lte=until)
        .exclude(unpublished.of(label, history))
        .annotate(record=Value(label, output_field=CharField()), **_about(label, history))
        .values(*COLUMNS)
        .order_by()
    )


def _after(label: str, cursor: tuple) -> Q:
    """The rows of the record `label` that come after `cursor` in the feed's order (moment,
    record, history id)."""
    moment, cursor_label, history_id = cursor
    if label > cursor_label:
        return Q(history_date__gte=moment)
    if label < cursor_label:
        return Q(history_date__gt=moment)
    return Q(history_date__gt=moment) | Q(history_date=moment, history_id__gt=history_id)


@dataclass(frozen=True)
class Unpublished:
    """The history rows the feed keeps back, as the pages do: those of a planned
    reorganisation, its changes and sources, everything its trial wrote and took back, and a
    unit only a plan creates. Read once a page, as lists (few, or none): as subqueries, each
    record's part of the page asked them again, and the units only a plan creates were
    looked for among every unit."""

    planned: list[int]
    trials: list
    units: list[int]

    @classmethod
    def now(cls) -> "Unpublished":
        planned = Reorganisation.objects.filter(status=Reorganisation.Status.PLANNED)
        return cls(
            planned=list(planned.values_list("pk", flat=True)),
            trials=list(
                Reorganisation.objects.trial_moments().values_list("history_date", flat=True)
            ),
            units=Unit.objects.off_record_ids(),
        )

    def of(self, label: str, history) -> Q:
        """The rows of the record `label` (its history model `history`) kept back."""
        fields = {f.name for f in history._meta.fields}
        if label == "history.reorganisation":
            return Q(id__in=self.planned)
        q = Q(history_date__in=self.trials)  # what a plan's trial wrote and took back
        if label == "orgunits.unit":
            return q | Q(id__in=self.units)
        if "reorganisation" in fields:  # a change
            q |= Q(reorganisation_id__in=self.planned)
        if "unit" in fields:
            q |= Q(unit_id__in=self.units)
        if label == "orgunits.citation":
            q |= Q(content_type__model="reorganisation", object_id__in=self.planned)
        return q


def _about(label: str, history) -> dict:
    """What a client that keeps a copy re-reads for a row: the unit (by slug), the task (by
    slug) and the reorganisation (by id) the record belongs to, where it belongs to one. A
    unit's or a task's own rows give the slug of their version; the others the id of the
    unit or task, whose slug `_with_slugs` reads."""
    fields = {f.name for f in history._meta.fields}
    # Typed nulls: PostgreSQL types a union's columns by its first part.
    slug, pk = Cast(None, CharField()), Cast(None, BigIntegerField())

    def of(own: str, field: str):
        if label == own:
            return {"": F("slug"), "_id": pk}
        return {"": slug, "_id": F(f"{field}_id") if field in fields else pk}

    return {
        **{f"about_unit{key}": value for key, value in of("orgunits.unit", "unit").items()},
        **{f"about_task{key}": value for key, value in of("responsibilities.task", "task").items()},
        "about_reorganisation": (
            F("id")
            if label == "history.reorganisation"
            else F("reorganisation_id")
            if "reorganisation" in fields
            else pk
        ),
    }


def written_after(moment) -> bool:
    """Whether any history row was stamped after `moment` (one query)."""
    parts = [
        model.history.model.objects.filter(history_date__gt=moment).values("history_id")
        for model in recorded_models().values()
    ]
    return parts[0].union(*parts[1:], all=True).exists()
