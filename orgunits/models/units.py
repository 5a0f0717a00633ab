"""The unit: the stable identity of an organisational unit, and its queries."""

import datetime

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import (
    Case,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from socialforvaltning.periods import describe_period, valid_on_q

from .choices import Kind, Reading, TargetGroup, classification_labels
from .names import UnitClassification, UnitName, classified_on
from .nodes import UnitNode
from .sources import Citation


def readings_of(
    *, name_inferred: bool, short_name_is_a_reading: bool, kind_is_a_reading: bool
) -> list[Reading]:
    """Which of a unit's name, short name and kind shown on a date are the registry's own
    reading (`Unit.readings`; the exports read the same flags as rows)."""
    flags = (
        (name_inferred, Reading.NAME),
        (short_name_is_a_reading, Reading.SHORT_NAME),
        (kind_is_a_reading, Reading.KIND),
    )
    return [reading for flag, reading in flags if flag]


class UnitQuerySet(models.QuerySet):
    def on_record(self):
        """The units staff see: all but the ones a planned reorganisation creates, which exist
        only as its plan until it is put in force."""
        # One NOT EXISTS, which the database answers as an anti-join, not two EXISTS asked of
        # every unit in turn.
        return self.exclude(Exists(self._created_by_plans_alone()))

    def off_record(self):
        """The units `on_record` leaves out."""
        return self.filter(Exists(self._created_by_plans_alone()))

    def off_record_ids(self) -> list[int]:
        """The ids of the units `on_record` leaves out, found from the plans' creations (few)
        rather than by asking it of every unit."""
        change = self.model._meta.get_field("changes").related_model
        created = change.objects.filter(
            kind="created", reorganisation__status="planned", unit__isnull=False
        ).exclude(Exists(UnitNode.objects.filter(unit=OuterRef("unit"))))
        return sorted(set(created.values_list("unit_id", flat=True)))

    def _created_by_plans_alone(self):
        """The planned creation of the outer unit, where it has no placement yet."""
        change = self.model._meta.get_field("changes").related_model
        return change.objects.filter(
            unit=OuterRef("pk"), kind="created", reorganisation__status="planned"
        ).exclude(Exists(UnitNode.objects.filter(unit=OuterRef("unit"))))

    def with_a_record(self):
        """The units whose authority record can be written (EAC-CPF, OAI-PMH): on record and
        named. A unit whose creating reorganisation was withdrawn stays on record without the
        name it gave, and is no authority record any more."""
        return self.on_record().filter(Exists(UnitName.objects.filter(unit=OuterRef("pk"))))

    def existing_on(self, date: datetime.date):
        """Units placed in the structure on `date`. A semi-join rather than a join with
        DISTINCT, so that the database can walk an index in the page's order and stop at the
        page's end."""
        return self.filter(Exists(UnitNode.objects.filter(unit=OuterRef("pk")).valid_on(date)))

    def with_record(self):
        """With what a unit's page and its API answer show of its record over time, in a
        fixed number of queries: names and placements (with the datings of their ends and the
        parent units), identifiers, sources and reclassifications."""
        placements = (
            UnitNode.objects.with_datings()
            .select_related("parent__unit")
            .order_by(F("valid_from").asc(nulls_first=True))
        )
        return self.prefetch_related(
            Prefetch("names", queryset=UnitName.objects.with_datings()),
            "identifiers",
            "citations__document",
            Prefetch("nodes", queryset=placements),
            Prefetch(
                "classifications",
                queryset=UnitClassification.objects.select_related("opened_by__reorganisation"),
            ),
        )

    def classified_on(self, date: datetime.date | None):
        """Each unit with `kind_on` and `target_group_on`: what it was on `date`, or (None)
        what it is now or was when it ended."""
        if date is not None:
            return classified_on(self, date)
        latest = UnitClassification.objects.filter(unit=OuterRef("pk")).order_by("-valid_from")
        return self.annotate(
            kind_on=Coalesce(Subquery(latest.values("kind")[:1]), F("kind")),
            target_group_on=Coalesce(
                Subquery(latest.values("target_group")[:1]), F("target_group")
            ),
            reclassified_on=Subquery(latest.values("kind")[:1]),
        )

    def called_on(self, date: datetime.date, text: str):
        """Units existing on `date` that one of their names valid on that date (of any kind:
        authorised, other forms, the archive's) contains `text` in, as name or short name."""
        names = UnitName.objects.valid_on(date).filter(
            Q(name__icontains=text) | Q(short_name__icontains=text)
        )
        return self.existing_on(date).filter(pk__in=names.values("unit"))

    def placed_on(self, date: datetime.date):
        """With `node_on_date` (the unit's placement on `date`, with its parent's unit) and
        `names_on_date`, for lists that lead into the chart of that date."""
        return self.prefetch_related(
            Prefetch(
                "nodes",
                UnitNode.objects.valid_on(date).select_related("parent__unit"),
                to_attr="node_on_date",
            ),
            Prefetch("names", UnitName.objects.authorised().valid_on(date), "names_on_date"),
        )

    def by_name(self, date: datetime.date | None):
        """Ordered by the authorised name on `date` (None, or a date the unit did not exist:
        its latest), then by slug. One subquery, no query per row."""
        names = UnitName.objects.authorised().filter(unit=OuterRef("pk"))
        if date is not None:
            on_date = Case(When(valid_on_q(date), then=Value(0)), default=Value(1))
            names = names.annotate(on_date=on_date).order_by("on_date", "-valid_from")
        else:
            names = names.order_by(F("valid_from").desc(nulls_last=True))
        return self.annotate(sort_name=Subquery(names.values("name")[:1])).order_by(
            "sort_name", "slug"
        )

    def by_name_on(self, date: datetime.date):
        """Units existing on `date` (`existing_on`) by their authorised name on it, then by
        slug: a join to that name rather than a subquery per unit, so that the database can
        walk the names in order (`unitname_authorised_name`) and stop at the page's end. A
        unit has an authorised name on every date it exists (the writer refuses otherwise and
        `structure_problems` says so), which is what `by_name` orders these by as well."""
        on_date = Q(names__kind=UnitName.Kind.AUTHORISED) & valid_on_q(date, prefix="names__")
        return (
            self.annotate(name_on_date=FilteredRelation("names", condition=on_date))
            .filter(name_on_date__isnull=False)
            .order_by("name_on_date__name", "slug")
        )

    def with_names_on(self, date: datetime.date):
        return self.prefetch_related(
            Prefetch(
                "names",
                queryset=UnitName.objects.authorised().valid_on(date),
                to_attr="names_on_date",
            )
        )


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    REVISED = "revised", _("revised")
    FINAL = "final", _("final")


class DetailLevel(models.TextChoices):
    MINIMAL = "minimal", _("minimal")
    PARTIAL = "partial", _("partial")
    FULL = "full", _("full")


class Unit(models.Model):
    """The stable identity of an organisational unit, whatever its names and placements.

    Its descriptive fields follow the areas of ISAAR(CPF) the registry keeps: description
    (history, functions, mandates, internal structure) and control (status, level of detail,
    maintenance notes, language of the record)."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    # What the unit was from its beginning. A later change of kind or target group is a
    # dated change (a reclassification, `UnitClassification`), as a new name is.
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=Kind,
        help_text=_("What it was from its beginning; a later change is a dated change."),
    )
    kind_inferred = models.BooleanField(
        _("kind is the registry's reading"),
        default=False,
        help_text=_("No source says what kind of unit it was; the registry infers it."),
    )
    target_group = models.CharField(
        _("target group"), max_length=10, choices=TargetGroup, blank=True
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=100, help_text=_("Order among siblings on the chart.")
    )
    description = models.TextField(_("history"), blank=True)
    functions = models.TextField(_("functions"), blank=True)
    mandates = models.TextField(_("mandates / legal basis"), blank=True)
    internal_structure = models.TextField(_("internal structure"), blank=True)
    archival_type = models.CharField(_("archival type"), max_length=100, blank=True)
    record_status = models.CharField(
        _("record status"), max_length=10, choices=RecordStatus, default=RecordStatus.DRAFT
    )
    detail_level = models.CharField(
        _("level of detail"), max_length=10, choices=DetailLevel, default=DetailLevel.PARTIAL
    )
    maintenance_notes = models.TextField(_("maintenance notes"), blank=True)
    record_language = models.CharField(
        _("language of the record"),
        max_length=3,
        default="dan",
        help_text=_("ISO 639-2 code, e.g. dan."),
    )

    citations = GenericRelation(Citation)
    history = HistoricalRecords()

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        name = self.current_name()
        return name.name if name else self.slug

    def get_absolute_url(self) -> str:
        return reverse("orgunits:detail", args=[self.slug])

    def current_name(self) -> "UnitName | None":
        """The latest authorised name (the name it has today, or had when it ended)."""
        names = [n for n in self.names.all() if n.kind == UnitName.Kind.AUTHORISED]
        return max(names, key=lambda n: n.valid_from or datetime.date.min, default=None)

    def name_on(self, date: datetime.date | None) -> "UnitName | None":
        """The authorised name on `date` (None: the earliest). Uses prefetched names when a
        page loaded them (`names_on_date`, or all `names`), so lists cost no query per row."""
        prefetched = getattr(self, "names_on_date", None)
        if prefetched is not None:
            return prefetched[0] if prefetched else None
        if "names" in getattr(self, "_prefetched_objects_cache", {}):
            names = [n for n in self.names.all() if n.kind == UnitName.Kind.AUTHORISED]
            if date is None:
                return min(names, key=lambda n: n.valid_from or datetime.date.min, default=None)
            return next((n for n in names if n.is_valid_on(date)), None)
        if date is None:
            return self.names.authorised().order_by(F("valid_from").asc(nulls_first=True)).first()
        return self.names.authorised().valid_on(date).first()

    def readings(self, name: "UnitName | None", own_kind: bool = True) -> list[Reading]:
        """Which of `name` (the unit's name on a date) and its kind are the registry's own
        reading. The kind counts where the kind shown is its record's own (`own_kind`), not
        a reclassification's, which is a dated change with its own sources."""
        return readings_of(
            name_inferred=name is not None and name.name_inferred,
            short_name_is_a_reading=name is not None and name.short_name_is_a_reading,
            kind_is_a_reading=self.kind_inferred and own_kind,
        )

    @property
    def kind_is_a_reading(self) -> bool:
        """`readings` for a unit read with `classified_on`: whether the kind shown on the
        date is its record's own and the registry's reading."""
        return self.kind_inferred and getattr(self, "reclassified_on", None) is None

    def name_at(self, date: datetime.date | None) -> str:
        """The name on `date`, or else the last name it had (for units that had ended)."""
        name = self.name_on(date) or self.current_name()
        return name.name if name else self.slug

    def successor_on(self, date: datetime.date) -> "Unit | None":
        """The unit that carried this one on, as of `date`, after it ended: follows the
        mergers and splits in force (a split's first part) until a unit that exists on
        `date`; None if there is none (it was dissolved, or `date` is before it began)."""
        from history.models import Change  # history builds on this module

        unit, seen = self, set()
        while unit.pk not in seen:
            seen.add(unit.pk)
            change = (
                Change.objects.in_force()
                .filter(unit=unit, kind__in=[Change.Kind.MERGED, Change.Kind.SPLIT])
                .filter(reorganisation__date__lte=date, target__isnull=False)
                .select_related("target")
                .order_by("reorganisation__date", "id")
                .first()
            )
            if change is None:
                return None
            unit = change.target
            if unit.nodes.valid_on(date).exists():
                return unit
        return None

    def classification_on(self, date: datetime.date | None) -> tuple[str, str]:
        """(kind, target group) on `date` (None: from its beginning), in one query; a list of
        units reads them with the units instead (`UnitQuerySet.classified_on`)."""
        if date is not None:
            row = self.classifications.valid_on(date).first()
            if row is not None:
                return row.kind, row.target_group
        return self.kind, self.target_group

    @property
    def classification_display(self) -> tuple[str, str]:
        """The labels of `kind_on` and `target_group_on` (see `UnitQuerySet.classified_on`)."""
        return classification_labels(self.kind_on, self.target_group_on)

    def node_on(self, date: datetime.date) -> "UnitNode | None":
        return self.nodes.valid_on(date).first()

    def existence_display(self, nodes=None) -> str:
        """When it existed, each end as certain as the reorganisation that dates it (reads
        its placements, `nodes` or those prefetched, with their datings: `with_datings()`)."""
        nodes = self.nodes.all() if nodes is None else nodes
        nodes = sorted(nodes, key=lambda n: n.valid_from or datetime.date.min)
        if not nodes:
            return ""
        return describe_period(nodes[0].start_dating, nodes[-1].end_dating)

    @property
    def valid_from(self):
        nodes = list(self.nodes.all())
        if not nodes or any(n.valid_from is None for n in nodes):
            return None
        return min(n.valid_from for n in nodes)

    @property
    def valid_to(self):
        nodes = list(self.nodes.all())
        if not nodes or any(n.valid_to is None for n in nodes):
            return None
        return max(n.valid_to for n in nodes)
