"""The items (the units on record and the deleted ones), their datestamps and their sets."""

import dataclasses
import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Exists, F, Min, OuterRef, Q, Subquery, Value
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from history.models import Change, Reorganisation
from orgunits.models import (
    Citation,
    Kind,
    TargetGroup,
    Unit,
    UnitClassification,
    UnitIdentifier,
    UnitName,
    UnitNode,
)

from .protocol import IDENTIFIER_PREFIX, PAGE_SIZE, OAIError


@dataclasses.dataclass(frozen=True)
class Item:
    pk: int
    slug: str
    deleted: bool
    kind: str
    target_group: str
    datestamp: datetime.datetime

    @property
    def identifier(self) -> str:
        return IDENTIFIER_PREFIX + self.slug


def slug_of(identifier: str) -> str | None:
    if not identifier.startswith(IDENTIFIER_PREFIX):
        return None
    return identifier.removeprefix(IDENTIFIER_PREFIX) or None


def _history_rows():
    """(unit_pk, moment) for every history row that changes what a unit's record says."""
    types = ContentType.objects.get_for_models(Unit, UnitName, UnitIdentifier)

    trials = Reorganisation.objects.trial_moments()

    def rows(history, unit):
        history = history.exclude(history_date__in=trials)  # a plan's trial is no edit
        return history.order_by().annotate(unit_pk=unit, moment=F("history_date"))

    def unit_of(model, field: str):
        # A name, identifier or placement belongs to one unit all its life.
        same = model.history.filter(id=OuterRef(field)).order_by()
        return Subquery(same.values("unit_id")[:1])

    def cited(model, unit):
        return rows(Citation.history.filter(content_type_id=types[model].pk), unit)

    parts = [
        rows(Unit.history.all(), F("id")),
        rows(UnitName.history.all(), F("unit_id")),
        rows(UnitIdentifier.history.all(), F("unit_id")),
        rows(UnitClassification.history.all(), F("unit_id")),
        rows(UnitNode.history.all(), F("unit_id")),
        rows(UnitNode.history.filter(parent_id__isnull=False), unit_of(UnitNode, "parent_id")),
        cited(Unit, F("object_id")),
        cited(UnitName, unit_of(UnitName, "object_id")),
        cited(UnitIdentifier, unit_of(UnitIdentifier, "object_id")),
        rows(Change.history.all(), F("unit_id")),
        rows(Change.history.filter(target_id__isnull=False), F("target_id")),
    ]
    columns = ("unit_pk", "moment")
    return (
        parts[0]
        .values_list(*columns)
        .union(*(p.values_list(*columns) for p in parts[1:]), all=True)
    )


ITEM_COLUMNS = ("item_pk", "item_slug", "item_deleted", "item_kind", "item_group")


def _in_set_q(set_spec: str | None, reclassified) -> Q:
    """Units of `set_spec`: by their own kind or group, or (`reclassified(q)`: whether a
    reclassification of the unit matches `q`; None where there are none) a later one."""
    if set_spec is None:
        return Q()
    family, _colon, value = set_spec.partition(":")
    if family == "kind" and not value:
        return Q()  # every unit has a kind
    field = "kind" if family == "kind" else "target_group"
    own = Q(**{field: value}) if value else ~Q(**{field: ""})
    return own if reclassified is None else own | reclassified(own)


def was_named(unit: str) -> Exists:
    """Whether the unit (`unit` names its id) ever had a name that a write kept: a plan is
    written and taken back in one moment, so a unit only a plan named was never on record."""
    taken_back = UnitName.history.filter(
        id=OuterRef("id"), history_type="-", history_date=OuterRef("history_date")
    )
    kept = UnitName.history.filter(unit_id=OuterRef(unit), history_type="+")
    return Exists(kept.exclude(Exists(taken_back)))


def _items(set_spec: str | None, slug: str | None):
    """Every item, with `ITEM_COLUMNS`: the units on record, and the deleted ones."""

    def reclassified(q: Q) -> Exists:
        return Exists(UnitClassification.objects.filter(q, unit=OuterRef("pk")))

    units = Unit.objects.filter(_in_set_q(set_spec, reclassified))
    history = Unit.history.filter(_in_set_q(set_spec, None))
    if slug is not None:
        units, history = units.filter(slug=slug), history.filter(slug=slug)
    disseminated = Unit.objects.with_a_record()
    # Deleted: every other unit that had a name before, whether its row is still there or
    # only its history (the last version of each slug no unit has any more).
    last_of_slug = Unit.history.filter(slug=OuterRef("slug")).order_by(
        "-history_date", "-history_id"
    )
    gone = (
        history.filter(history_id=Subquery(last_of_slug.values("history_id")[:1]))
        .exclude(id__in=Unit.objects.values("pk"))
        .exclude(slug__in=Unit.objects.values("slug"))
    )
    live = units.filter(pk__in=disseminated.values("pk"))
    left = units.exclude(pk__in=disseminated.values("pk")).filter(was_named("pk"))
    gone = gone.filter(was_named("id"))

    def columns(queryset, pk: str, deleted: bool):
        return (
            queryset.order_by()
            .annotate(
                item_pk=F(pk),
                item_slug=F("slug"),
                item_deleted=Value(deleted),
                item_kind=F("kind"),
                item_group=F("target_group"),
            )
            .values_list(*ITEM_COLUMNS)
        )

    return columns(live, "pk", False).union(
        columns(left, "pk", True), columns(gone, "id", True), all=True
    )


def items(
    *,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    set_spec: str | None = None,
    slug: str | None = None,
    after: tuple[datetime.datetime, int] | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Item], int]:
    """The items in (datestamp, id) order with a datestamp in [since, until) and after
    `after`, at most `limit`; and how many there are from `after` on, in one query."""
    items_sql, items_params = _items(set_spec, slug).query.sql_with_params()
    rows_sql, rows_params = _history_rows().query.sql_with_params()
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    unit_history = quote(Unit.history.model._meta.db_table)
    conditions, params = [], [*items_params, *rows_params]
    if since is not None:
        conditions.append("datestamp >= %s")
        params.append(adapt(since))
    if until is not None:
        conditions.append("datestamp < %s")
        params.append(adapt(until))
    if after is not None:
        conditions.append("(datestamp > %s OR (datestamp = %s AND item_pk > %s))")
        params += [adapt(after[0]), adapt(after[0]), after[1]]
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    # A unit without any history row (none is written outside simple-history) is dated by
    # the first one, which keeps earliestDatestamp a lower bound.
    sql = f"""
        SELECT {", ".join(ITEM_COLUMNS)}, datestamp, COUNT(*) OVER ()
        FROM (
            SELECT listed.*, COALESCE(
                stamps.stamp, (SELECT MIN(history_date) FROM {unit_history})
            ) AS datestamp
            FROM ({items_sql}) listed
            LEFT JOIN (
                SELECT unit_pk, MAX(moment) AS stamp FROM ({rows_sql}) history_rows
                GROUP BY unit_pk
            ) stamps ON stamps.unit_pk = listed.item_pk
        ) dated
        {where}
        ORDER BY datestamp, item_pk
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        rows = cursor.fetchall()
    found = [
        Item(pk, slug, bool(deleted), kind, group, _utc(stamp))
        for pk, slug, deleted, kind, group, stamp, _count in rows
    ]
    return found, rows[0][-1] if rows else 0


def _utc(value) -> datetime.datetime:
    """A moment read by raw SQL: an aware datetime (PostgreSQL) or text in UTC (SQLite)."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if timezone.is_naive(value):
        return value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


def item(identifier: str) -> Item:
    slug = slug_of(identifier)
    found = items(slug=slug, limit=1)[0] if slug else []
    if not found:
        raise OAIError("idDoesNotExist", "No record has that identifier here.")
    return found[0]


def earliest_datestamp() -> datetime.datetime:
    first = Unit.history.aggregate(first=Min("history_date"))["first"]
    return first or timezone.now()


def datestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Sets --------------------------------------------------------------------------------------


def sets() -> list[tuple[str, str]]:
    """(setSpec, setName in Danish) of every set."""
    with translation.override("da"):
        kind, group = _("Kind"), _("Target group")
        return [
            ("kind", kind),
            *((f"kind:{value}", f"{kind}: {label}") for value, label in Kind.choices),
            ("targetgroup", group),
            *(
                (f"targetgroup:{value}", f"{group}: {label}")
                for value, label in TargetGroup.choices
            ),
        ]


def set_specs(page: list[Item]) -> dict[int, list[str]]:
    """The sets each item of a page is in (its own kind and group, and those of its
    reclassifications), in one query."""
    found = {i.pk: {("kind", i.kind), ("targetgroup", i.target_group)} for i in page}
    reclassified = UnitClassification.objects.filter(unit_id__in=list(found))
    for pk, kind, group in reclassified.values_list("unit_id", "kind", "target_group"):
        found[pk] |= {("kind", kind), ("targetgroup", group)}
    return {
        pk: sorted(f"{family}:{value}" for family, value in pairs if value)
        for pk, pairs in found.items()
    }
