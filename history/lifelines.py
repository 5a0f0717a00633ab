"""The units' lifelines over time, as geometry for a server-drawn SVG.

Each unit is a row; each of its placements a bar from its start to its end; merges and
splits are joins from one row to another at their date; moves are marks on the bar; the
reorganisation dates are vertical rules. Five queries whatever the number of units.

Like the chart, the drawing stays readable and its cost bounded by what it shows: the units
are drawn level by level from the top, down to the deepest level that keeps them within
LIFELINE_BUDGET rows (the top and the level below it always).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count

from orgunits.models import UnitNode

from .models import Change, Reorganisation

ROW_HEIGHT = 18
BAR_HEIGHT = 12
LABEL_WIDTH = 260
PLOT_WIDTH = 900
TOP = 46
LIFELINE_BUDGET = 300


@dataclass
class Bar:
    x: float
    width: float
    open_start: bool
    open_end: bool
    uncertain_start: bool
    uncertain_end: bool
    title: str


@dataclass
class Row:
    slug: str
    label: str
    y: float
    kind: str
    target_group: str
    bars: list[Bar] = field(default_factory=list)
    marks: list[tuple[float, str]] = field(default_factory=list)


@dataclass
class Join:
    x: float
    y1: float
    y2: float
    kind: str
    title: str


@dataclass
class Rule:
    x: float
    date: datetime.date
    label: str
    reorganisation_id: int


@dataclass
class Lifelines:
    rows: list[Row]
    joins: list[Join]
    rules: list[Rule]
    width: int
    height: int
    start: datetime.date
    end: datetime.date
    years: list[tuple[float, int]]
    levels: int  # the deepest level drawn (0: the top)
    folded: bool  # units below that level are not drawn


def _levels_within_budget(nodes, budget: int) -> tuple[int, bool]:
    """The deepest level whose units, with those above it, fit in `budget` rows (at least
    the level below the top), and whether any level is left out. A unit placed on two levels counts
    on both, so the rows drawn stay within the budget."""
    per_level = dict(
        nodes.order_by()
        .values("level")
        .annotate(n=Count("unit_id", distinct=True))
        .values_list("level", "n")
    )
    if not per_level:
        return 0, False
    deepest = max(per_level)
    level = min(1, deepest)  # like the chart: the top and the level below it, always
    rows = sum(per_level.get(n, 0) for n in range(level + 1))
    while level < deepest and rows + per_level.get(level + 1, 0) <= budget:
        level += 1
        rows += per_level.get(level, 0)
    return level, level < deepest


def _scale(start: datetime.date, end: datetime.date):
    """x(date, default): where a date falls on the plot, clamped to [start, end]; `default`
    for no date (an open start or end)."""
    span = max((end - start).days, 1)

    def x(date: datetime.date | None, default: float) -> float:
        if date is None:
            return default
        days = min(max((date - start).days, 0), span)
        return LABEL_WIDTH + PLOT_WIDTH * days / span

    return x


def lifelines(
    *,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
    budget: int = LIFELINE_BUDGET,
) -> Lifelines:
    x = _scale(start, end)
    in_window = UnitNode.objects.overlapping(start, end)
    levels, folded = _levels_within_budget(in_window, budget)
    rows = _rows(in_window, levels, x)
    joins = _joins_and_marks(rows, x)
    rules = [
        Rule(x=x(r.date, LABEL_WIDTH), date=r.date, label=r.title, reorganisation_id=r.pk)
        for r in Reorganisation.objects.in_force()
        .exclude(date=None)
        .filter(date__gt=start, date__lt=end)
    ]
    years = [
        (x(datetime.date(year, 1, 1), LABEL_WIDTH), year)
        for year in range(start.year + 1, end.year + 1)
    ]
    return Lifelines(
        rows=list(rows.values()),
        joins=joins,
        rules=rules,
        width=LABEL_WIDTH + PLOT_WIDTH + 20,
        height=TOP + ROW_HEIGHT * len(rows) + 10,
        start=start,
        end=end,
        years=years,
        levels=levels,
        folded=folded,
    )


def _rows(in_window, levels: int, x) -> dict[int, Row]:
    """A row per unit drawn (those placed down to `levels` in the window), in tree order,
    with a bar per placement."""
    drawn_units = in_window.filter(level__lte=levels).values("unit_id")
    nodes = (
        in_window.filter(unit_id__in=drawn_units)
        .with_datings()
        .select_related("unit")
        .prefetch_related("unit__names")
        .order_by("tree_id", "lft")
    )
    rows: dict[int, Row] = {}
    for node in nodes:
        unit = node.unit
        row = rows.get(unit.pk)
        if row is None:
            name = unit.current_name()
            row = rows[unit.pk] = Row(
                slug=unit.slug,
                label=(name.short_name or name.name) if name else unit.slug,
                y=TOP + ROW_HEIGHT * len(rows),
                kind=unit.kind,
                target_group=unit.target_group,
            )
        left = x(node.valid_from, LABEL_WIDTH)
        right = x(node.valid_to, LABEL_WIDTH + PLOT_WIDTH)
        closing = node.end_dating
        row.bars.append(
            Bar(
                x=left,
                width=max(right - left, 1),
                open_start=node.valid_from is None,
                open_end=node.valid_to is None,
                uncertain_start=not node.start_dating.is_exact,
                uncertain_end=closing is not None and not closing.is_exact,
                title=f"{row.label}: {node.period_display}",
            )
        )
    return rows


def _joins_and_marks(rows: dict[int, Row], x) -> list[Join]:
    """The joins of merges and splits between rows drawn; moves become marks on their row."""
    joins = []
    changes = (
        Change.objects.in_force()
        .filter(kind__in=[Change.Kind.MERGED, Change.Kind.SPLIT, Change.Kind.MOVED])
        .exclude(reorganisation__date=None)
        .select_related("reorganisation")
    )
    for change in changes:
        source = rows.get(change.unit_id)
        if source is None:
            continue
        at = x(change.reorganisation.date, LABEL_WIDTH)
        if change.kind == Change.Kind.MOVED:
            source.marks.append(
                (at, f"{change.get_kind_display()} {change.reorganisation.date_display}")
            )
            continue
        target = rows.get(change.target_id)
        if target is None:
            continue
        joins.append(
            Join(
                x=at,
                y1=source.y + BAR_HEIGHT / 2,
                y2=target.y + BAR_HEIGHT / 2,
                kind=change.kind,
                title=f"{source.label} → {target.label} ({change.get_kind_display()}, "
                f"{change.reorganisation.date_display})",
            )
        )
    return joins
