"""Reading who held which task on a date, in a fixed number of queries whatever the size.

The lookup page, its JSON, the unit pages' comparison of two dates and `orphaned_tasks` read
through these functions. Unit paths come from `UnitNode.objects.tree_on(date)` (one read of
the structure on the date), never from a query per unit.
"""

import datetime
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When, Window
from django.utils.translation import gettext as _

from orgunits.models import Citation, Unit, UnitName, UnitNode
from socialforvaltning.lib.dates import format_date
from socialforvaltning.periods import format_period, valid_on_q

from .models import Responsibility, Task

ROLE_ORDER = [role.value for role in Responsibility.Role]


@dataclass
class Holder:
    """A unit's part in a task on the date, with where the unit sat then and the passages
    that say so."""

    responsibility: Responsibility
    unit_name: str
    unit_path: list[str]
    uncertain: bool
    sources: list[Citation] = field(default_factory=list)
    unit_name_inferred: bool = False  # no source writes the unit's name so

    @property
    def unit(self) -> Unit:
        return self.responsibility.unit


@dataclass
class Answer:
    task: Task
    owner: Holder | None = None
    others: list[Holder] = field(default_factory=list)
    holders_found: list[Responsibility] = field(default_factory=list)

    @property
    def holders(self) -> list[Holder]:
        return ([self.owner] if self.owner else []) + self.others


def unit_paths_on(
    date: datetime.date, unit_ids: Collection[int]
) -> dict[int, tuple[str, list[str], bool]]:
    """For the units `unit_ids` existing on `date`: (its name then, the names from the top
    down to it, whether that name is the registry's reading).

    Three queries (the units' placements with their ancestors, these in tree order, and
    their names on the date), whatever the number of units in the registry, read as rows:
    a path needs no more of a placement than its parent and unit. The ancestors of a
    placement valid on the date are valid then too: a child's period lies within its
    parent's.
    """
    placed = UnitNode.objects.valid_on(date).filter(unit_id__in=list(unit_ids))
    lineage = [node_id for node_id, _ in placed.lineage()]
    nodes = list(
        UnitNode.objects.valid_on(date)
        .filter(pk__in=lineage)
        .order_by("tree_id", "lft")
        .values_list("pk", "parent_id", "unit_id", "unit__slug")
    )
    named = (
        UnitName.objects.authorised()
        .valid_on(date)
        .filter(unit_id__in={unit_id for _, _, unit_id, _ in nodes})
        .values_list("unit_id", "name", "name_inferred")
    )
    name_of = {}
    for unit_id, name, inferred in named:  # the first, as `Unit.name_on` takes it
        name_of.setdefault(unit_id, (name, inferred))
    unit_of = {pk: unit_id for pk, _, unit_id, _ in nodes}
    paths: dict[int, tuple[str, list[str], bool]] = {}
    for _pk, parent_id, unit_id, slug in nodes:  # tree order: a parent before its children
        name, inferred = name_of.get(unit_id, (slug, False))
        above = paths[unit_of[parent_id]][1] if parent_id in unit_of else []
        paths[unit_id] = (name, [*above, name], inferred)
    return paths


@dataclass
class Lookup:
    answers: list[Answer]  # the tasks someone held on the date (at most `limit` of them)
    unheld: list[Task]  # matching tasks no one held then (at most `limit` less the answers)
    matched: int  # all matching tasks, or with `more` those examined
    more: bool = False  # more tasks match than were examined: they are a part, in order


def answers_on(
    tasks: QuerySet[Task],
    date: datetime.date,
    *,
    ranks: Sequence[Q] = (),
    limit: int | None = None,
    offset: int = 0,
    examined: int | None = None,
) -> Lookup:
    """Who held each of `tasks` on `date`: the tasks someone held first, each group with
    the tasks matching the first of `ranks` first, then those matching the second, and so
    on, then by name. With a `limit`, only that many tasks are read whole (`_in_order`),
    at most ten queries whatever the number (one more for the content type of the
    citations the first time). Ordering the tasks a search finds
    asks of each whether it was held: with `examined`, a search finding more than that
    many orders only `examined` of them, those held on the date first (`more`), so that its
    work is bounded however many match."""
    if ranks and examined is not None:
        task_list, matched = _first_found_in_order(tasks, date, ranks, examined, offset, limit)
        more, matched = matched > examined, min(matched, examined)
    else:
        task_list, matched = _in_order(tasks, date, ranks, offset, limit)
        more = False
    if not task_list:
        return Lookup([], [], matched, more)
    # The ids themselves, not a subquery: PostgreSQL cannot estimate how many tasks a search
    # matches, and a wrong guess joins every responsibility once per task.
    responsibilities = list(
        Responsibility.objects.valid_on(date)
        .filter(task__in=[t.pk for t in task_list])
        .select_related("unit", "post", "opened_by__reorganisation", "closed_by__reorganisation")
        .order_by()
    )
    answers = {task.pk: Answer(task) for task in task_list}
    for r in sorted(responsibilities, key=lambda r: (ROLE_ORDER.index(r.role), r.pk)):
        answers[r.task_id].holders_found.append(r)
    held = [answers[t.pk] for t in task_list if answers[t.pk].holders_found]
    unheld = [t for t in task_list if not answers[t.pk].holders_found]
    if held:
        sources = _sources([r.pk for answer in held for r in answer.holders_found])
        paths = unit_paths_on(date, {r.unit_id for answer in held for r in answer.holders_found})
        for answer in held:
            for r in answer.holders_found:
                name, path, inferred = paths.get(r.unit_id, (r.unit.slug, [r.unit.slug], False))
                holder = Holder(
                    r, name, path, r.uncertain_on(date), sources.get(r.pk, []), inferred
                )
                if r.is_owner:
                    answer.owner = holder
                else:
                    answer.others.append(holder)
    return Lookup(held, unheld, matched, more)


def _in_order(tasks, date, ranks, offset: int, limit: int | None) -> tuple[list[Task], int]:
    """`tasks` in the lookup's order from `offset` (at most `limit`, or all), and how many
    there are in all. Ranked, they are ordered and counted in one pass over their ids (the
    words' matches, through the trigram index on PostgreSQL), then the page's tasks read;
    unranked (every task, or a category), by name with the held ones first, which the
    database walks in order (`_held_first`) rather than asking of every task whether it
    was held."""
    held_on_date = _held_on(date)
    if limit is not None and not ranks:
        return _held_first(tasks, held_on_date, offset, limit)
    ordered = tasks.annotate(held_on_date=held_on_date)
    order = [F("held_on_date").desc()]
    if ranks:
        ordered = ordered.annotate(rank=_rank(ranks))
        order.append(F("rank").asc())
    ordered = ordered.order_by(*order, "name", "pk")
    if limit is None:
        task_list = list(ordered)
        return task_list, len(task_list)
    counted = ordered.annotate(matched=Window(Count("pk"))).values_list("pk", "matched")
    page = list(counted[offset : offset + limit])
    if not page:  # past the end, or none found
        return [], tasks.count() if offset else 0
    by_id = Task.objects.in_bulk([pk for pk, _ in page])
    return [by_id[pk] for pk, _ in page], page[0][1]


def _held_on(date):
    return Exists(Responsibility.objects.valid_on(date).filter(task=OuterRef("pk")))


def _rank(ranks: Sequence[Q]) -> Case:
    """The index of the first of `ranks` a task matches (their number if none)."""
    return Case(*(When(q, then=Value(i)) for i, q in enumerate(ranks)), default=len(ranks))


def _first_found_in_order(tasks, date, ranks, examined: int, offset: int, limit: int | None):
    """Up to `examined` + 1 of `tasks`, the earliest entered, in the lookup's order from
    `offset` (at most `limit`), and how many they are: those held on the date are looked for
    first, so that a search finding more than can be ordered still shows every
    held task when there are at most `examined` (the tasks not held, often thousands of
    ended ones, are looked for only to fill the rest). Two or three queries, each reading
    at most `examined` + 1 tasks once, as found: not ordering every match."""
    found = tasks.annotate(rank=_rank(ranks))
    held_on = _held_on(date)
    ordered = _in_rank_order(found.filter(held_on), examined + 1)
    if len(ordered) <= examined:
        ordered += _in_rank_order(found.exclude(held_on), examined + 1 - len(ordered))
    end = min(examined, offset + limit) if limit is not None else examined
    shown = ordered[offset:end]
    by_id = Task.objects.in_bulk(shown)
    return [by_id[pk] for pk in shown], len(ordered)


def _in_rank_order(found, n: int) -> list[int]:
    """The ids of the first `n` of `found` (annotated with `rank`), the earliest entered
    (by id: the same `n` at every request, where a table scan may start anywhere), by rank,
    then name: the found rows ordered as they are, not joined back to the tasks."""
    try:
        sql, params = found.order_by("id").values("id", "rank", "name")[:n].query.sql_with_params()
    except EmptyResultSet:  # a search of no words (punctuation, an emoji) finds nothing
        return []
    with connection.cursor() as cursor:
        # Django's own SQL, wrapped: an ORM query cannot order the rows of a limited one.
        cursor.execute(f"SELECT id FROM ({sql}) found ORDER BY rank, name, id", params)  # noqa: S608
        return [pk for (pk,) in cursor.fetchall()]


def _held_first(tasks, held_on_date, offset: int, limit: int) -> tuple[list[Task], int]:
    """`tasks` from `offset` (at most `limit`), those held on the date first, each part by
    name (the `task_name` index), and how many tasks there are in all (counted only when
    the page does not end before the tasks do)."""
    held = tasks.filter(held_on_date).order_by("name", "pk")
    task_list = list(held[offset : offset + limit])
    if len(task_list) < limit:  # past the tasks held: on with those not held
        held_count = offset + len(task_list) if task_list or not offset else held.count()
        start = max(0, offset - held_count)
        unheld = tasks.exclude(held_on_date).order_by("name", "pk")
        task_list += list(unheld[start : start + limit - len(task_list)])
    if len(task_list) == limit or not task_list:
        return task_list, tasks.count()
    return task_list, offset + len(task_list)


def _sources(responsibility_ids: list[int]) -> dict[int, list[Citation]]:
    """The passages of the responsibilities, in one query (a GenericRelation prefetch would
    build a queryset per row)."""
    sources: dict[int, list[Citation]] = {}
    for citation in (
        Citation.objects.filter(
            content_type=ContentType.objects.get_for_model(Responsibility),
            object_id__in=responsibility_ids,
        )
        .select_related("document")
        .order_by("id")
    ):
        sources.setdefault(citation.object_id, []).append(citation)
    return sources


class OwnerChange(NamedTuple):
    task: Task
    before: Unit | None
    after: Unit | None


def owner_changes(d1: datetime.date, d2: datetime.date) -> list[OwnerChange]:
    """Tasks whose owner on `d1` differs from their owner on `d2`: (task, owner on d1 or None,
    owner on d2 or None), by task name. Two queries; each unit's `name_on()` answers with its
    name on the date it stands for, without a further query.

    The database picks the tasks whose owner changed (a task has at most one owner a day), so
    only their rows become model instances, not every owner of every task."""
    on_d1, on_d2 = valid_on_q(d1), valid_on_q(d2)
    owners = Responsibility.objects.owners().filter(on_d1 | on_d2)
    changed = (
        owners.order_by()
        .values("task_id")
        .annotate(
            units=Count("unit_id", distinct=True),
            on_d1=Count("pk", filter=on_d1),
            on_d2=Count("pk", filter=on_d2),
        )
        .exclude(units=1, on_d1__gt=0, on_d2__gt=0)  # the same unit on both dates
        .values("task_id")
    )
    rows = owners.filter(task_id__in=changed).select_related("task", "unit")
    before: dict[int, Unit] = {}
    after: dict[int, Unit] = {}
    tasks: dict[int, Task] = {}
    for r in rows.prefetch_related("unit__names"):
        tasks[r.task_id] = r.task
        # A row valid on both dates is no change; otherwise it stands for one date only, so
        # its unit can carry the name valid on that date.
        for date, owner_of in ((d1, before), (d2, after)):
            if r.is_valid_on(date):
                r.unit.names_on_date = [
                    n
                    for n in r.unit.names.all()
                    if n.kind == UnitName.Kind.AUTHORISED and n.is_valid_on(date)
                ]
                owner_of[r.task_id] = r.unit
    changes = [
        OwnerChange(task, before.get(pk), after.get(pk))
        for pk, task in tasks.items()
        if getattr(before.get(pk), "pk", None) != getattr(after.get(pk), "pk", None)
    ]
    return sorted(changes, key=lambda c: (c.task.name, c.task.pk))


def orphaned_on(date: datetime.date) -> list[Task]:
    """Tasks with no owner on `date` that were not ended on purpose: someone still shares them,
    or their last owner stopped without handing them on. One query."""
    owners = Responsibility.objects.owners()
    rows = (
        Responsibility.objects.valid_on(date) | owners.filter(valid_to__lte=date)
    ).select_related("task", "closed_by")
    owned, held, last_owner, tasks = set(), set(), {}, {}
    for r in rows:
        tasks[r.task_id] = r.task
        if r.is_valid_on(date):
            held.add(r.task_id)
            if r.is_owner:
                owned.add(r.task_id)
        elif r.is_owner:
            latest = last_owner.get(r.task_id)
            if latest is None or latest.valid_to < r.valid_to:
                last_owner[r.task_id] = r
    orphaned = held - owned
    orphaned |= {pk for pk, r in last_owner.items() if pk not in owned and not r.ended_explicitly}
    return sorted((tasks[pk] for pk in orphaned), key=lambda t: t.name)


class OrphanedPeriod(NamedTuple):
    task: Task
    valid_from: datetime.date | None
    valid_to: datetime.date | None  # None: still without an owner


def _is_orphaned(rows: list[Responsibility], date: datetime.date) -> bool:
    """`orphaned_on` for one task's responsibilities."""
    held = [r for r in rows if r.is_valid_on(date)]
    if any(r.is_owner for r in held):
        return False
    if held:
        return True
    ended = [r for r in rows if r.is_owner and r.valid_to is not None and r.valid_to <= date]
    return bool(ended) and not max(ended, key=lambda r: r.valid_to).ended_explicitly


def orphaned_periods() -> list[OrphanedPeriod]:
    """Every period in which a task has no owner though it should have one (as `orphaned_on`
    decides it on a date), on any date at all. A task's state can change only where one of
    its own responsibilities begins or ends, so each task is judged once between each two
    of its own dates: one query, and no work per reorganisation date."""
    by_task: dict[int, list[Responsibility]] = {}
    for r in Responsibility.objects.select_related("task", "closed_by").order_by("pk"):
        by_task.setdefault(r.task_id, []).append(r)
    found = []
    for rows in by_task.values():
        dates = sorted({d for r in rows for d in (r.valid_from, r.valid_to) if d is not None})
        if not dates:
            dates = [datetime.date.today()]
        # Periods [None, d0), [d0, d1), … [dn, None), each judged on a day inside it.
        starts = [None, *dates]
        days = [dates[0] - datetime.timedelta(days=1), *dates]
        task, opened, opened_on = rows[0].task, False, None
        for begins, day in zip(starts, days, strict=True):
            orphaned = _is_orphaned(rows, day)
            if orphaned and not opened:
                opened, opened_on = True, begins
            elif opened and not orphaned:
                found.append(OrphanedPeriod(task, opened_on, begins))
                opened = False
        if opened:
            found.append(OrphanedPeriod(task, opened_on, None))
    return sorted(found, key=lambda p: (p.task.name, p.task.pk, p.valid_from or datetime.date.min))


def holder_as_json(answer: Answer, holder: Holder) -> dict:
    """A holder of a task on the date as JSON (the lookup's `format=json`, the API)."""
    r = holder.responsibility
    return {
        "task": answer.task.name,
        "task_slug": answer.task.slug,
        "category": answer.task.category,
        "unit": holder.unit_name,
        "unit_slug": r.unit.slug,
        "unit_path": holder.unit_path,
        "unit_name_inferred": holder.unit_name_inferred,
        "role": r.role,
        "post": r.post.title if r.post else None,
        "post_inferred": r.post.inferred if r.post else None,
        "valid_from": r.valid_from.isoformat() if r.valid_from else None,
        "valid_to": r.valid_to.isoformat() if r.valid_to else None,
        "certainty": r.certainty,
        "not_before": r.not_before.isoformat() if r.not_before else None,
        "not_after": r.not_after.isoformat() if r.not_after else None,
        "since": r.since_display,
        "until": r.until_display or None,
        "last_day": r.last_day.isoformat() if r.last_day else None,
        "start": r.start_dating.as_json(),
        "end": r.end_dating.as_json() if r.end_dating else None,
        "uncertain": holder.uncertain,
        "inferred": r.inferred,
        "note": r.note,
        "source": [
            {
                "document": c.document.title,
                "file": c.document.filename,
                "heading": c.heading,
                "excerpt": c.excerpt,
                "role": c.role,
            }
            for c in holder.sources
        ],
    }


def orphaned_tasks_problems() -> list[str]:
    """No task without an owner on any date, unless it was ended on purpose."""
    problems = []
    for period in orphaned_periods():
        if period.valid_to is None and period.valid_from is not None:
            message = _("The task “%(task)s” has had no owner since %(start)s.")
        else:
            message = _("The task “%(task)s” has no owner in %(period)s.")
        problems.append(
            message
            % {
                "task": period.task.name,
                "start": format_date(period.valid_from),
                "period": format_period(period.valid_from, period.valid_to),
            }
        )
    return problems
