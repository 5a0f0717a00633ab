"""Valid time: the one place that knows what a dated fact's period is, how certain its ends
are, how to ask the database for what was valid on a date, and how to say all of it.

A period is half-open, [valid_from, valid_to): `valid_to` is the first day the fact no longer
held, so the last day it held is the day before. Either end may be open (None). An end is as
certain as the source that dates it (`Dating`): exact, approximate ("about the end of
2008"), somewhere within a range ("at some point" between two dates, "by 1 June 2010 at the
latest"), or unknown. What a surface says on a date inside an uncertain range is the rule of
`Dating.uncertain_on`: the fact may or may not have held yet, so every surface marks it.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from socialforvaltning.lib.dates import format_date

# How far around an approximate date ("about the end of 2008") a fact counts as uncertain.
APPROXIMATE_WINDOW_DAYS = 92


class Certainty(models.TextChoices):
    EXACT = "exact", _("exact")
    APPROXIMATE = "approximate", _("approximate")
    RANGE = "range", _("somewhere within a range")
    UNKNOWN = "unknown", _("unknown")


@dataclass(frozen=True)
class Dating:
    """When something took effect, as certain as the sources say: `date` is the day the
    registry uses (for a range, the day it chose within it; None: before the records), the
    bounds are those of a range."""

    date: datetime.date | None
    certainty: str = Certainty.EXACT
    not_before: datetime.date | None = None
    not_after: datetime.date | None = None

    @property
    def is_exact(self) -> bool:
        return self.certainty == Certainty.EXACT

    @property
    def sort_key(self) -> tuple:
        return (self.date is not None, self.date or datetime.date.min)

    def uncertain_on(self, day: datetime.date) -> bool:
        """Whether it is unknown if this had taken effect by `day`. Within a range
        [not_before, not_after] that is not_before <= day < not_after (by not_after it
        certainly had); an approximate date is uncertain only around itself."""
        if self.certainty == Certainty.UNKNOWN:
            return True
        if self.certainty == Certainty.RANGE:
            low = self.not_before or datetime.date.min
            high = self.not_after or datetime.date.max
            return low <= day < high
        if self.certainty == Certainty.APPROXIMATE and self.date is not None:
            return abs((day - self.date).days) <= APPROXIMATE_WINDOW_DAYS
        return False

    def display(self) -> str:
        """The date as a person should read it, never more precise than what is known."""
        if self.certainty == Certainty.UNKNOWN:
            return gettext("unknown date (before the registry's records)")
        if self.certainty == Certainty.APPROXIMATE:
            return gettext("about %(date)s") % {"date": format_date(self.date)}
        if self.certainty == Certainty.RANGE:
            if self.not_before and self.not_after:
                return gettext("some time between %(start)s and %(end)s") % {
                    "start": format_date(self.not_before),
                    "end": format_date(self.not_after),
                }
            if self.not_after:
                return gettext("%(date)s at the latest") % {"date": format_date(self.not_after)}
            return gettext("%(date)s at the earliest") % {"date": format_date(self.not_before)}
        if self.date is None:
            return gettext("unknown date (before the registry's records)")
        return format_date(self.date)

    def __str__(self) -> str:
        return self.display()

    def shifted(self, days: int) -> "Dating":
        """The same dating `days` later (earlier if negative), as certain as before: the last
        day of a period is the day before the change that ended it, with a range a day
        earlier too."""
        step = datetime.timedelta(days=days)

        def move(day):
            return day + step if day is not None else None

        return Dating(move(self.date), self.certainty, move(self.not_before), move(self.not_after))

    def as_json(self) -> dict:
        """The dating for machines: the day the registry uses, how certain it is, a range's
        bounds, and the words a person reads."""
        return {
            "date": self.date.isoformat() if self.date else None,
            "certainty": self.certainty,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "display": self.display(),
        }

    def validation_errors(self, field: str, missing: str) -> dict:
        """What is wrong with this dating as entered, by form field (`field` holds the date;
        `missing` says what to give when the date is left out though it is known)."""
        errors = {}
        if self.certainty == Certainty.UNKNOWN:
            if self.date is not None:
                errors[field] = gettext("A date of unknown certainty is left empty.")
        elif self.date is None and not (
            self.certainty == Certainty.RANGE and self.not_before is None
        ):
            # An empty date means "since before the registry's records"; that is only
            # compatible with not knowing it, or knowing only its latest bound.
            errors[field] = missing
        if self.certainty == Certainty.RANGE:
            if self.not_before is None and self.not_after is None:
                errors["not_before"] = gettext("A range needs at least one of its bounds.")
            elif self.date is not None and (
                (self.not_before and self.date < self.not_before)
                or (self.not_after and self.date > self.not_after)
            ):
                errors[field] = gettext("The date must lie within its range.")
        elif self.not_before or self.not_after:
            errors["certainty"] = gettext("Bounds are given only for a date within a range.")
        if self.not_before and self.not_after and self.not_before > self.not_after:
            errors["not_after"] = gettext("“Not before” must not lie after “not after”.")
        return errors


def describe_end(end: Dating) -> str:
    """The end of a period in words. An exact end is said as the last day the fact held ("to
    28 February 2011 inclusive"), never as the first day it no longer did, which reads as
    one more day; an uncertain end as the change that ended it ("until about …")."""
    if end.is_exact and end.date is not None:
        return gettext("to %(last)s inclusive") % {"last": format_date(last_day(end.date))}
    return gettext("until %(end)s") % {"end": end.display()}


def describe_start(start: Dating | None) -> str:
    if start is None or (start.date is None and start.certainty != Certainty.RANGE):
        return gettext("unknown start")
    return start.display()


def describe_period(start: Dating | None, end: Dating | None) -> str:
    """A period in words, each end as certain as it is known (see `describe_end`)."""
    if end is None:
        return gettext("from %(start)s") % {"start": describe_start(start)}
    return gettext("from %(start)s %(end)s") % {
        "start": describe_start(start),
        "end": describe_end(end),
    }


def format_period(valid_from, valid_to) -> str:
    """A period of exact dates in words (for messages about rows, where the certainty of
    their ends is beside the point)."""
    return describe_period(Dating(valid_from), Dating(valid_to) if valid_to is not None else None)


def last_day(valid_to: datetime.date | None) -> datetime.date | None:
    """The last day a half-open period held (None: it has not ended)."""
    return valid_to - datetime.timedelta(days=1) if valid_to is not None else None


# Queries ------------------------------------------------------------------------------------


def valid_on_q(date: datetime.date, prefix: str = "") -> Q:
    """The condition that a row's half-open period [valid_from, valid_to) contains `date`
    (`prefix` leads to the row: "classifications__", say)."""
    return (
        Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": date})
    ) & (Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": date}))


def overlapping_q(start: datetime.date | None, end: datetime.date | None) -> Q:
    """The condition that a row's period shares at least one day with [start, end)."""
    condition = Q()
    if end is not None:
        condition &= Q(valid_from__isnull=True) | Q(valid_from__lt=end)
    if start is not None:
        condition &= Q(valid_to__isnull=True) | Q(valid_to__gt=start)
    return condition


class PeriodQuerySet(models.QuerySet):
    def valid_on(self, date: datetime.date):
        """Rows whose half-open period [valid_from, valid_to) contains `date`."""
        return self.filter(valid_on_q(date))

    def overlapping(self, start: datetime.date | None, end: datetime.date | None):
        """Rows whose period shares at least one day with [start, end)."""
        return self.filter(overlapping_q(start, end))

    def with_datings(self):
        """With what dates each end (see `Period.start_dating`), in the same query."""
        return self.select_related("opened_by__reorganisation", "closed_by__reorganisation")


def period_constraint(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(valid_from__isnull=True)
        | Q(valid_to__isnull=True)
        | Q(valid_from__lt=F("valid_to")),
        name=name,
        violation_error_message=_("The start date must lie before the end date."),
    )


# Arithmetic on (valid_from, valid_to) pairs ------------------------------------------------


def is_valid_on(valid_from, valid_to, date: datetime.date) -> bool:
    return (valid_from is None or valid_from <= date) and (valid_to is None or date < valid_to)


def periods_overlap(a_from, a_to, b_from, b_to) -> bool:
    return (a_to is None or b_from is None or b_from < a_to) and (
        b_to is None or a_from is None or a_from < b_to
    )


def period_within(inner_from, inner_to, outer_from, outer_to) -> bool:
    starts_inside = outer_from is None or (inner_from is not None and inner_from >= outer_from)
    ends_inside = outer_to is None or (inner_to is not None and inner_to <= outer_to)
    return starts_inside and ends_inside


def first_day_uncovered(periods, cover) -> datetime.date | None:
    """The first day of `periods` that no period of `cover` contains, or None when `cover`
    contains them all. Both are (valid_from, valid_to) pairs, half-open, either end open; an
    open start left uncovered comes back as `datetime.date.min`."""
    first, last = datetime.date.min, datetime.date.max
    covering = sorted((start or first, end or last) for start, end in cover)
    for start, end in sorted((start or first, end or last) for start, end in periods):
        day = start
        for cover_start, cover_end in covering:
            if cover_start > day or day >= end:
                break
            day = max(day, cover_end)
        if day < end:
            return day
    return None


def format_day(day: datetime.date) -> str:
    """A day from `first_day_uncovered`, its open start in words."""
    return gettext("the start") if day == datetime.date.min else format_date(day)


# The abstract model -------------------------------------------------------------------------


def start_dating(valid_from: datetime.date | None, change: Dating | None) -> Dating:
    """How certain a period's start is: as its opening change's reorganisation, else (none
    opened it) the exact date."""
    return change if change is not None else Dating(valid_from)


def end_dating(valid_to: datetime.date | None, change: Dating | None) -> Dating | None:
    """How certain a period's end is (None while it is open), as `start_dating`."""
    if valid_to is None:
        return None
    return change if change is not None else Dating(valid_to)


def _dating_of_change(change) -> Dating | None:
    return change.reorganisation.dating if change is not None else None


def certainty_text(start: Dating, end: Dating | None, date: datetime.date | None) -> str:
    """How certain a period with these ends is, in words, for a cell of an export: its
    uncertain ends, and whether `date` falls where it is unknown if the period held."""
    parts = []
    if not start.is_exact:
        parts.append(gettext("start: %(date)s") % {"date": start.display()})
    if end is not None and not end.is_exact:  # "until …", not a last day
        parts.append(gettext("end: %(date)s") % {"date": describe_end(end)})
    if date is not None and (
        start.uncertain_on(date) or (end is not None and end.uncertain_on(date))
    ):
        parts.insert(0, gettext("uncertain on this date"))
    return "; ".join(parts) or gettext("exact")


class Dated:
    """What follows from a period's two datings (`start_dating`, `end_dating`) and its days
    (`valid_from`, `valid_to`): whether it held on a date and how certain that is, and the
    words for it. Mixed into `Period` and into anything else shown as one period."""

    def is_valid_on(self, date: datetime.date) -> bool:
        return is_valid_on(self.valid_from, self.valid_to, date)

    @property
    def last_day(self) -> datetime.date | None:
        return last_day(self.valid_to)

    @property
    def is_exact(self) -> bool:
        end = self.end_dating
        return self.start_dating.is_exact and (end is None or end.is_exact)

    def uncertain_on(self, date: datetime.date) -> bool:
        """Whether `date` falls where it is unknown if the period had begun, or had ended."""
        end = self.end_dating
        return self.start_dating.uncertain_on(date) or (end is not None and end.uncertain_on(date))

    @property
    def period_display(self) -> str:
        return describe_period(self.start_dating, self.end_dating)

    @property
    def start_display(self) -> str:
        return describe_start(self.start_dating)

    @property
    def end_display(self) -> str:
        """The end in words ("to 28 February 2011 inclusive"); empty while it is open."""
        end = self.end_dating
        return describe_end(end) if end is not None else ""

    def certainty_text(self, date: datetime.date | None = None) -> str:
        return certainty_text(self.start_dating, self.end_dating, date)


class Period(Dated, models.Model):
    """A half-open period of validity [valid_from, valid_to); either end may be open.

    Each end is as certain as what dates it: the reorganisation whose change opened or
    closed the row (`opened_by`, `closed_by`), else the exact date. Reading
    `start_dating`/`end_dating` follows those relations: a list shows them with
    `select_related("opened_by__reorganisation", "closed_by__reorganisation")`."""

    valid_from = models.DateField(_("valid from"), null=True, blank=True, db_index=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True, db_index=True)
    # Named by label: the changes are history's, whose models build on the apps'.
    opened_by = models.ForeignKey(
        "history.Change",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opened_%(class)s_set",
        verbose_name=_("opened by"),
    )
    closed_by = models.ForeignKey(
        "history.Change",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closed_%(class)s_set",
        verbose_name=_("closed by"),
    )

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.valid_from and self.valid_to and self.valid_from >= self.valid_to:
            raise ValidationError({"valid_to": _("The start date must lie before the end date.")})

    @property
    def start_dating(self) -> Dating:
        changed = _dating_of_change(self.opened_by) if self.opened_by_id is not None else None
        return start_dating(self.valid_from, changed)

    @property
    def end_dating(self) -> Dating | None:
        """None while the period is open."""
        if self.valid_to is None:
            return None
        changed = _dating_of_change(self.closed_by) if self.closed_by_id is not None else None
        return end_dating(self.valid_to, changed)
