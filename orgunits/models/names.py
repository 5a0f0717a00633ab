"""What a unit is called and what kind of unit it is over time (dated rows, written by
reorganisations), and how outside systems know it."""

import datetime

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, FilteredRelation, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from socialforvaltning.periods import (
    Period,
    PeriodQuerySet,
    first_day_uncovered,
    format_day,
    period_constraint,
    valid_on_q,
)

from .choices import Kind, TargetGroup
from .sources import Citation

# How a name is written: alike on a name and on the change that gave it (which a replay or a
# revision writes the name from).
NAMING = ("name", "short_name", "name_inferred", "short_name_inferred")


def classified_on(queryset, date: datetime.date, path: str = ""):
    """`queryset` with `kind_on` and `target_group_on`: what its units (`path` leads to the
    unit) were on `date` — the reclassification in force then, else what the unit was from
    its beginning. A join, not a query per row."""
    rows = f"{path}classifications"
    valid = valid_on_q(date, prefix=f"{rows}__")
    return queryset.annotate(classified=FilteredRelation(rows, condition=valid)).annotate(
        kind_on=Coalesce("classified__kind", f"{path}kind"),
        target_group_on=Coalesce("classified__target_group", f"{path}target_group"),
        reclassified_on=F("classified__kind"),  # None: its own record's kind and group
    )


class UnitNameQuerySet(PeriodQuerySet):
    def authorised(self):
        return self.filter(kind=UnitName.Kind.AUTHORISED)


class UnitName(Period):
    """A name of a unit during a period. A unit has exactly one authorised name at every
    date it exists (while it has a placement); its other names are variants."""

    class Kind(models.TextChoices):
        AUTHORISED = "authorised", _("authorised name")
        PARALLEL = "parallel", _("parallel name")
        OTHER = "other", _("other name")
        # The form another authority (the city archive) authorises under its own convention.
        ARCHIVE = "archive", _("the archive's authorised form")

    unit = models.ForeignKey(
        "Unit", on_delete=models.PROTECT, related_name="names", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind of name"), max_length=10, choices=Kind, default=Kind.AUTHORISED)
    language = models.CharField(_("language"), max_length=8, default="da")
    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    # No source writes the name (or short name) so: the registry formed it.
    name_inferred = models.BooleanField(_("name is the registry's reading"), default=False)
    short_name_inferred = models.BooleanField(
        _("short name is the registry's reading"), default=False
    )

    citations = GenericRelation(Citation)
    history = HistoricalRecords()

    objects = UnitNameQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "kind", F("valid_from").asc(nulls_first=True)]
        constraints = [period_constraint("unitname_period_valid")]
        # The unit list walks the authorised names in order and stops at its page's end.
        indexes = [
            models.Index(
                fields=["name"], condition=Q(kind="authorised"), name="unitname_authorised_name"
            )
        ]
        verbose_name = _("unit name")
        verbose_name_plural = _("unit names")

    def __str__(self) -> str:
        return self.name

    # Set by the reorganisation writer on the name it gives a unit it has just created: no
    # other name of that unit exists yet, so there is nothing to ask the database about.
    of_a_new_unit = False

    @property
    def short_name_is_a_reading(self) -> bool:
        return self.is_short_name_a_reading(self.short_name_inferred, self.short_name)

    @staticmethod
    def is_short_name_a_reading(inferred: bool, short_name: str) -> bool:
        """A short name the registry inferred is its reading; an empty one says nothing."""
        return inferred and bool(short_name)

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._correct_its_change_too()

    def _correct_its_change_too(self):
        """A correction of how an authorised name is written (in the admin, by a revert) is a
        correction of the change that gave the name as well, with the same who and why: a
        revision or replay of that change writes the name again from it. The writer's own
        names agree with their changes, so it writes nothing more."""
        change = self.opened_by if self.opened_by_id else None
        if change is None or self.kind != self.Kind.AUTHORISED or not change.name:
            return
        naming = {field: getattr(self, field) for field in NAMING}
        if all(getattr(change, field) == value for field, value in naming.items()):
            return
        for field, value in naming.items():
            setattr(change, field, value)
        # Who and why as the name's own history row has them: set on the name, or (no
        # `_history_user`) the request's user, which simple-history reads for both.
        for said in ("_history_user", "_change_reason"):
            if hasattr(self, said):
                setattr(change, said, getattr(self, said))
        change.save(update_fields=list(naming))

    def clean(self):
        """A unit has exactly one authorised name at every date it exists: authorised names
        never overlap, and none stops being authorised where no other takes its place."""
        super().clean()
        if self.short_name_inferred and not self.short_name:
            raise ValidationError(
                {"short_name_inferred": _("Only a short name can be the registry's reading.")}
            )
        if not self.unit_id or self.of_a_new_unit:
            return
        others = UnitName.objects.authorised().filter(unit_id=self.unit_id).exclude(pk=self.pk)
        if self.kind != self.Kind.AUTHORISED:
            self._refuse_leaving_the_unit_unnamed(others)
            return
        clash = others.overlapping(self.valid_from, self.valid_to).first()
        if clash:
            raise ValidationError(
                _("The unit already has the authorised name “%(name)s” in the period %(period)s.")
                % {"name": clash.name, "period": clash.period_display}
            )

    def _refuse_leaving_the_unit_unnamed(self, others):
        # Only an authorised name made another kind can leave days without one: the writer
        # of structure never changes a name's kind, an archivist correcting names can.
        if self.pk is None or not UnitName.objects.authorised().filter(pk=self.pk).exists():
            return
        cover = list(others.values_list("valid_from", "valid_to"))
        # Days outside this name's own period are no concern of this edit.
        if self.valid_from is not None:
            cover.append((None, self.valid_from))
        if self.valid_to is not None:
            cover.append((self.valid_to, None))
        placements = self.unit.nodes.all()
        day = first_day_uncovered(placements.values_list("valid_from", "valid_to"), cover)
        if day is not None:
            raise ValidationError(
                _(
                    "“%(name)s” must stay an authorised name: without it the unit has no "
                    "authorised name on %(date)s, and a unit has one at every date it exists. "
                    "Correct how the name is written instead, or give the unit a new name by "
                    "a dated change."
                )
                % {"name": self.name, "date": format_day(day)}
            )


class UnitClassification(Period):
    """What kind of unit it was, and for which target group, from a reclassification on (an
    office that became a centre, say). Only reclassifications write these rows: before the
    first one the unit is what its record says it was from its beginning (`Unit.kind`). Like
    placements, they are the projection of the reorganisations in force."""

    unit = models.ForeignKey(
        "Unit", on_delete=models.PROTECT, related_name="classifications", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    target_group = models.CharField(
        _("target group"), max_length=10, choices=TargetGroup, blank=True
    )
    # Every reclassification is a dated change: its period always opens with one.
    opened_by = models.ForeignKey(
        "history.Change",
        on_delete=models.PROTECT,
        related_name="opened_%(class)s_set",
        verbose_name=_("opened by"),
    )

    history = HistoricalRecords()

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["unit", F("valid_from").asc(nulls_first=True)]
        constraints = [period_constraint("unitclassification_period_valid")]
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")

    def __str__(self) -> str:
        return f"{self.unit.slug}: {self.get_kind_display()} [{self.period_display}]"

    def clean(self):
        super().clean()
        if not self.unit_id:
            return
        clash = (
            UnitClassification.objects.filter(unit_id=self.unit_id)
            .exclude(pk=self.pk)
            .overlapping(self.valid_from, self.valid_to)
            .first()
        )
        if clash:
            raise ValidationError(
                _("The unit is already reclassified in the period %(period)s.")
                % {"period": clash.period_display}
            )


class UnitIdentifier(models.Model):
    """An identifier of a unit in an outside system (the archive's Starbas, ASTA7, …)."""

    class Scheme(models.TextChoices):
        STARBAS = "starbas", _("Starbas ID")
        ASTA7 = "asta7", _("ASTA7 ID")

    unit = models.ForeignKey(
        "Unit", on_delete=models.PROTECT, related_name="identifiers", verbose_name=_("unit")
    )
    scheme = models.SlugField(_("scheme"), max_length=30)
    value = models.CharField(_("value"), max_length=200)

    citations = GenericRelation(Citation)
    history = HistoricalRecords()

    class Meta:
        ordering = ["scheme", "value"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "value"], name="unitidentifier_unique_value"),
        ]
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")

    def __str__(self) -> str:
        return f"{self.scheme_label} {self.value}"

    @property
    def scheme_label(self) -> str:
        return self.label_of(self.scheme)

    @classmethod
    def label_of(cls, scheme: str) -> str:
        """What a person reads for a scheme (a scheme no longer offered: as stored)."""
        try:
            return str(cls.Scheme(scheme).label)
        except ValueError:
            return scheme

    def validate_unique(self, exclude=None):
        clash = (
            UnitIdentifier.objects.filter(scheme=self.scheme, value=self.value)
            .exclude(pk=self.pk)
            .select_related("unit")
            .first()
        )
        if clash:
            raise ValidationError(
                {
                    "value": _("%(scheme)s %(value)s already identifies the unit “%(unit)s”.")
                    % {"scheme": self.scheme_label, "value": self.value, "unit": clash.unit.slug}
                }
            )
        super().validate_unique(exclude=exclude)


# Last, as the module of placements builds on `UnitName`, and a name's check reads them.
