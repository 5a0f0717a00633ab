"""The writer's transfers of tasks: a `TransferTasks` change, what a merged unit hands on, and
the checks that no task is left without an owner, nor held by a unit that ends.

Mixed into `history.writer.Writer`: these write with its `save`, `record` and `cite` and look
units up with its `unit`; `StructuralChanges` (history/writer_structure.py) calls on them when
a unit merges or ends.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from orgunits.models import Unit
from responsibilities.models import Post, Responsibility, Task
from socialforvaltning.lib.dates import format_date

from .changes import TransferTasks
from .models import Change, Reorganisation


def _held_later(unit: Unit, tasks: list[str], date: datetime.date) -> str:
    """Where a later reorganisation hands any of `tasks` to `unit`: which, and when (often
    one dated "at some point" within a range, and placed at its end). Read off the recorded
    changes: a replay has taken back what they wrote."""
    later = (
        Change.objects.filter(
            kind=Change.Kind.TASKS_TRANSFERRED,
            target=unit,
            reorganisation__status=Reorganisation.Status.IN_FORCE,
            reorganisation__date__gt=date,
        )
        .select_related("reorganisation")
        .order_by("reorganisation__date", "reorganisation_id")
    )
    handing = next((c for c in later if set(c.tasks) & set(tasks)), None)
    if handing is None:
        return ""
    reorganisation = handing.reorganisation
    return _(
        "It gets them by “%(title)s” (%(dated)s): date that reorganisation earlier first, or "
        "this one later."
    ) % {"title": reorganisation.title, "dated": reorganisation.date_display}


class TaskTransfers:
    """The writer's transfers of tasks (see the module)."""

    def hand_on_tasks(self, unit: Unit, into: Unit, change: Change):
        """Pass what `unit` holds on the date to `into`, in the same role (its posts stay
        with it: a post heads one unit). Where `into` already holds the task in that role,
        the merged unit's part simply ends."""
        held = list(
            Responsibility.objects.valid_on(self.date)
            .filter(unit=unit)
            .select_related("task")
            .order_by("task__name", "role", "id")
        )
        if not held:
            return
        kept = set(
            Responsibility.objects.valid_on(self.date)
            .filter(unit=into, task__in=[r.task_id for r in held])
            .values_list("task_id", "role")
        )
        for old in held:
            if old.valid_from == self.date:
                raise ValidationError(
                    _(
                        "“%(unit)s”'s responsibility for “%(task)s” begins on %(date)s, the "
                        "day it is merged."
                    )
                    % {"unit": unit.slug, "task": old.task.slug, "date": format_date(self.date)}
                )
            old.valid_to, old.closed_by = self.date, change
            self.save(old)
            if (old.task_id, old.role) in kept:
                continue
            # The sources name the merge, not where each task went: the registry's reading.
            self.hand_on(
                old,
                into,
                change,
                role=old.role,
                post=None,
                inferred=True,
                note=change.note
                or _("Handed on with the merge into “%(into)s”.") % {"into": into.slug},
            )

    def hand_on(self, old: Responsibility, unit: Unit, change: Change, **fields):
        """`old`'s task held by `unit` from the date, as certain as the reorganisation."""
        return self.save(
            Responsibility(
                task=old.task,
                unit=unit,
                valid_from=self.date,
                certainty=self.reorganisation.certainty,
                not_before=self.reorganisation.not_before,
                not_after=self.reorganisation.not_after,
                opened_by=change,
                **fields,
            )
        )

    def transfer_tasks(self, spec: TransferTasks):
        from_unit = self.unit(spec.from_unit)
        to_unit = self.unit(spec.to_unit) if spec.to_unit else None
        if to_unit is not None and to_unit.pk == from_unit.pk:
            raise ValidationError(_("A unit cannot transfer tasks to itself."))
        if not spec.tasks:
            raise ValidationError(_("Name the tasks to transfer."))
        if spec.role is not None and spec.role not in Responsibility.Role.values:
            raise ValidationError(_("Unknown role “%(role)s”.") % {"role": spec.role})
        post = self.post(spec.post) if isinstance(spec.post, str) else spec.post
        tasks = {t.slug: t for t in Task.objects.filter(slug__in=spec.tasks)}
        unknown = [slug for slug in spec.tasks if slug not in tasks]
        if unknown:
            raise ValidationError(
                _("Unknown tasks: %(tasks)s.") % {"tasks": ", ".join(sorted(unknown))}
            )
        held = list(
            Responsibility.objects.valid_on(self.date)
            .filter(unit=from_unit, task__in=tasks.values())
            .select_related("task", "post")
            .order_by("task__name", "role", "id")
        )
        not_held = [slug for slug in spec.tasks if all(r.task.slug != slug for r in held)]
        if not_held:
            message = _("“%(unit)s” holds no responsibility for %(tasks)s on %(date)s.") % {
                "unit": from_unit.slug,
                "tasks": ", ".join(not_held),
                "date": format_date(self.date),
            }
            later = _held_later(from_unit, not_held, self.date)
            raise ValidationError(f"{message} {later}".strip())
        change = self.record(
            Change.Kind.TASKS_TRANSFERRED,
            from_unit,
            spec,
            target=to_unit,
            tasks=list(spec.tasks),
            role=spec.role or "",
            post=post if isinstance(post, Post) else None,
            keeps_post=spec.post is ...,
            inferred=spec.inferred,
        )
        for old in held:
            if old.valid_from == self.date or old.valid_to is not None:
                raise ValidationError(
                    _(
                        "“%(unit)s”'s responsibility for “%(task)s” has other recorded changes "
                        "on or after %(date)s; enter the reorganisations in date order."
                    )
                    % {
                        "unit": from_unit.slug,
                        "task": old.task.slug,
                        "date": format_date(self.date),
                    }
                )
            old.valid_to, old.closed_by = self.date, change
            self.save(old)
            if to_unit is None:
                if old.is_owner:  # ended on purpose: fine, unless others still hold the task
                    self.ownership_handed_on[old.task_id] = old.task
                continue
            new = self.hand_on(
                old,
                to_unit,
                change,
                role=spec.role or old.role,
                post=old.post if spec.post is ... else post,
                inferred=spec.inferred,
                note=spec.note,
            )
            if not new.inherited:  # else it keeps its predecessor's citations
                self.cite(new, spec.cite)
            if old.is_owner and not new.is_owner:
                self.ownership_handed_on[old.task_id] = old.task

    def post(self, slug: str) -> Post:
        try:
            return Post.objects.get(slug=slug)
        except Post.DoesNotExist:
            raise ValidationError(_("Unknown post “%(slug)s”.") % {"slug": slug}) from None

    def check_handed_on_ownership(self):
        """A task whose owner handed it on as something else must still have an owner."""
        if not self.ownership_handed_on:
            return
        owned = set(
            Responsibility.objects.owners()
            .valid_on(self.date)
            .filter(task__in=self.ownership_handed_on.values())
            .values_list("task_id", flat=True)
        )
        # A task nobody holds any more was ended on purpose; one still held needs an owner.
        held = set(
            Responsibility.objects.valid_on(self.date)
            .filter(task__in=self.ownership_handed_on.values())
            .values_list("task_id", flat=True)
        )
        ownerless = [
            t for pk, t in self.ownership_handed_on.items() if pk in held and pk not in owned
        ]
        if ownerless:
            raise ValidationError(
                _(
                    "After this reorganisation no unit would own %(tasks)s on %(date)s: give "
                    "each task an owner in the same reorganisation, or end it explicitly."
                )
                % {
                    "tasks": ", ".join(f"“{t.name}” ({t.slug})" for t in ownerless),
                    "date": format_date(self.date),
                }
            )

    def refuse_orphaned_tasks(self, unit: Unit):
        """Nothing the unit is responsible for may be left behind when it ends: the same
        reorganisation must transfer or explicitly end each of its responsibilities."""
        left = list(
            Responsibility.objects.filter(unit=unit)
            .overlapping(self.date, None)
            .select_related("task")
            .order_by("task__name")
        )
        if left:
            tasks = dict.fromkeys(f"“{r.task.name}” ({r.task.slug})" for r in left)
            raise ValidationError(
                _(
                    "“%(unit)s” cannot end on %(date)s while it is still responsible for "
                    "%(tasks)s: transfer each task to another unit, or end it explicitly, in "
                    "the same reorganisation."
                )
                % {"unit": unit.slug, "date": format_date(self.date), "tasks": ", ".join(tasks)}
            )
