"""What the change feed (`/api/v1/changes`) reads: the history rows of every recorded model
after a position and up to a moment, in one order (moment, record, history id), less what is
not yet published, each with the unit, task and reorganisation it is about."""

from django.db import connection
from django.db.models import BigIntegerField, CharField, F, Q, Value
from django.db.models.functions import Cast

from orgunits.models import Unit
from socialforvaltning.version import recorded_models

from .models import Reorganisation

# What each entry holds, in the order of the union's columns.
COLUMNS = (
    "history_date",
    "record",
    "history_id",
    "id",
    "history_type",
    "history_user_id",
    "history_change_reason",
    "about_unit",
    "about_task",
    "about_reorganisation",
)


def entries_after(cursor: tuple, *, until, limit: int) -> list[dict]:
    """At most `limit` history rows after `cursor` (moment, record, history id) and stamped
    by `until`, in the feed's order, as dicts of COLUMNS (one query)."""
    parts = [
        _entries_of(label, model.history.model, cursor, until)
        for label, model in recorded_models().items()
    ]
    if connection.features.supports_slicing_ordering_in_compound:
        # Each record's next rows first (its history_date index), so that a page reads
        # what it shows, not every later row of every record (PostgreSQL).
        parts = [p.order_by("history_date", "history_id")[:limit] for p in parts]
    union = parts[0].union(*parts[1:], all=True)
    return list(union.order_by("history_date", "record", "history_id")[:limit])


def _entries_of(label: str, history, cursor: tuple, until):
    """The rows of one record's history table that belong on the page, as COLUMNS."""
    return (
        history.objects.filter(_after(label, cursor), history_date__lte=until)
        .exclude(_unpublished(label, history))
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


def _unpublished(label: str, history) -> Q:
    """The history rows the feed keeps back, as the pages do: those of a planned
    reorganisation, its changes and sources, everything its trial wrote and took back, and a
    unit only a plan creates."""
    planned = Reorganisation.objects.filter(status=Reorganisation.Status.PLANNED).values("pk")
    trials = Reorganisation.objects.trial_moments()
    hidden_units = Unit.objects.exclude(pk__in=Unit.objects.on_record().values("pk")).values("pk")
    fields = {f.name for f in history._meta.fields}
    if label == "history.reorganisation":
        return Q(id__in=planned)
    q = Q(history_date__in=trials)  # what a plan's trial wrote and took back
    if label == "orgunits.unit":
        return q | Q(id__in=hidden_units)
    if "reorganisation" in fields:  # a change
        q |= Q(reorganisation_id__in=planned)
    if "unit" in fields:
        q |= Q(unit_id__in=hidden_units)
    if label == "orgunits.citation":
        q |= Q(content_type__model="reorganisation", object_id__in=planned)
    return q


def _about(label: str, history) -> dict:
    """What a client that keeps a copy re-reads for a row: the unit (by slug), the task (by
    slug) and the reorganisation (by id) the record belongs to, where it belongs to one."""
    fields = {f.name for f in history._meta.fields}

    def of(own: str, field: str, column: str, empty):
        if label == own:
            return F(column)
        return F(f"{field}__{column}") if field in fields else empty

    return {
        # Typed nulls: PostgreSQL types a union's columns by its first part.
        "about_unit": of("orgunits.unit", "unit", "slug", Cast(None, CharField())),
        "about_task": of("responsibilities.task", "task", "slug", Cast(None, CharField())),
        "about_reorganisation": of(
            "history.reorganisation", "reorganisation", "id", Cast(None, BigIntegerField())
        ),
    }


def written_after(moment) -> bool:
    """Whether any history row was stamped after `moment` (one query)."""
    parts = [
        model.history.model.objects.filter(history_date__gt=moment).values("history_id")
        for model in recorded_models().values()
    ]
    return parts[0].union(*parts[1:], all=True).exists()
