"""A dry run of a reorganisation: apply it, read the structure before and after, roll back.

The admin shows this preview before an archivist confirms a dated change; it uses the very
function that will write the change, so what the preview shows is what will be written.
"""

import datetime
from dataclasses import dataclass

from orgunits.structure import Structure
from socialforvaltning.lib.transactions import rolled_back

from . import projection
from .services import apply_reorganisation, correction_scope


@dataclass
class Preview:
    day_before: datetime.date
    date: datetime.date
    before: list  # (node, name, touched)
    after: list


def affected_branch(structure: Structure, unit_ids: set[int]):
    """The nodes a reorganisation touched, with their ancestors and children, in tree
    order: enough to see what it changed without the whole chart."""
    keep = set()
    for node in structure.nodes:
        if node.unit_id in unit_ids:
            keep.update(n.pk for n in structure.path(node))
            keep.update(c.pk for c in structure.children[node.pk])
    return [
        (
            n,
            structure.name(n),
            n.unit_id in unit_ids,
            # What a touched unit is on the date: a reclassification shows here.
            " · ".join(label for label in structure.labels(n) if label),
        )
        for n in structure.nodes
        if n.pk in keep
    ]


def branch_on(date: datetime.date, unit_ids: set[int]):
    """The affected branch on `date`, read alone (not the whole structure)."""
    return affected_branch(Structure.around(date, unit_ids), unit_ids)


def touched_units(reorganisation) -> set[int]:
    touched = set()
    for change in reorganisation.changes.all():
        touched.update(
            i for i in (change.unit_id, change.target_id, change.previous_parent_id) if i
        )
    return touched


def preview_reorganisation(**kwargs) -> Preview:
    """Apply the reorganisation in a transaction that is always rolled back; return the
    affected branch on the day before and on the effective date. Raises ValidationError
    exactly as `apply_reorganisation` would."""
    date = kwargs["date"]
    day_before = date - datetime.timedelta(days=1)
    with rolled_back():
        touched = touched_units(apply_reorganisation(**kwargs))
        return Preview(
            day_before=day_before,
            date=date,
            before=branch_on(day_before, touched),
            after=branch_on(date, touched),
        )


@dataclass
class CorrectionPreview:
    dates: list  # (date, before, after): the affected branch on each date, now and corrected
    replayed: list  # the later reorganisations in force that the correction replays


def preview_correction(correct, reorganisation, **kwargs) -> CorrectionPreview:
    """Run a correction (`withdraw_reorganisation`, `redate_reorganisation`, `put_in_force`,
    `revise_reorganisation`) in a transaction that is always rolled back; return the affected
    branch on the day before and on each date the correction touches, as recorded now and as
    corrected. Raises ValidationError exactly as the correction would."""
    touched = touched_units(reorganisation)
    dates = sorted({d for d in (reorganisation.date, kwargs.get("date")) if d})
    days = [day for d in dates for day in (d - datetime.timedelta(days=1), d)]
    before = {day: branch_on(day, touched) for day in days}
    with rolled_back():
        corrected = correct(reorganisation, **kwargs)
        since = projection.earliest_date(reorganisation.date, corrected.date)
        replayed = projection.in_force_from(
            since, correction_scope(corrected, since, dates=[reorganisation.date])
        )
        return CorrectionPreview(
            dates=[(day, before[day], branch_on(day, touched)) for day in days],
            replayed=list(replayed.exclude(pk=reorganisation.pk)),
        )
