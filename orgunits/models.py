"""Units of the administration and where they sat over time.

A `Unit` is the stable identity of an organisational unit (slug, kind, description,
identifiers). Where it sat is a chain of `UnitNode`s: each node is the unit during one
placement, its parent fixed for the node's whole period `[valid_from, valid_to)`. Because
every child node's period lies inside its parent node's period, the nodes valid on a date
form a well-formed tree, read in one query in MPTT order (`UnitNode.objects.tree_on(date)`).

Structure is written only by `history.services.apply_reorganisation`.
"""

import dataclasses
import datetime
import functools
from collections import defaultdict

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import (
    Case,
    Exists,
    F,
    FilteredRelation,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey
from mptt.querysets import TreeQuerySet
from simple_history.models import HistoricalRecords

from socialforvaltning.periods import (
    Dated,
    Period,
    PeriodQuerySet,
    describe_period,
    first_day_uncovered,
    format_day,
    period_constraint,
    period_within,
    valid_on_q,
)

# Fields MPTT maintains by bulk updates. They must stay out of history: simple-history
# copies fields at save time, and MPTT fills them in only while inserting (see the README).
MPTT_FIELDS = ["lft", "rght", "tree_id", "level"]


class Kind(models.TextChoices):
    FORVALTNING = "forvaltning", _("Administration")
    DIREKTION = "direktion", _("Executive board")
    POST = "post", _("Executive post")
    SEKRETARIAT = "sekretariat", _("Secretariat")
    CENTER = "center", _("Centre")
    KONTOR = "kontor", _("Office")
    TVAERGAAENDE_ENHED = "tvaergaaende_enhed", _("Cross-cutting unit")
    ENHED = "enhed", _("Sub-unit")
    MYNDIGHEDSCENTER = "myndighedscenter", _("Authority centre")


class TargetGroup(models.TextChoices):
    BORN = "born", _("Children and families")
    HAPS = "haps", _("Mentally ill and disabled people")
    UDSATTE = "udsatte", _("Socially vulnerable groups, addiction and housing")


class Reading(models.TextChoices):
    """What the registry shows of a unit that is its own reading, not a source's statement."""

    NAME = "name", _("name")
    SHORT_NAME = "short_name", _("short name")
    KIND = "kind", _("kind")


# "No target group" where a filter or a form offers it as a choice; stored as "".
NO_TARGET_GROUP = "none"
TARGET_GROUP_CHOICES_AND_NONE = [*TargetGroup.choices, (NO_TARGET_GROUP, _("No target group"))]


def stored_target_group(choice: str) -> str:
    return "" if choice == NO_TARGET_GROUP else choice


def classification_labels(kind: str, target_group: str) -> tuple[str, str]:
    """What a person reads for a kind and a target group ("" for none), in the language of
    the request. Remembered per language: an export asks it once a row."""
    return _classification_labels(get_language(), kind, target_group or "")


@functools.lru_cache(maxsize=512)
def _classification_labels(language, kind: str, target_group: str) -> tuple[str, str]:
    kinds, groups = dict(Kind.choices), dict(TargetGroup.choices)
    return str(kinds.get(kind, kind)), str(groups.get(target_group, target_group))


class SourceDocument(models.Model):
    """A document the registry's facts come from."""

    key = models.SlugField(_("key"), unique=True)
    filename = models.CharField(_("file name"), max_length=200)
    title = models.CharField(_("title"), max_length=300)

    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        verbose_name = _("source document")
        verbose_name_plural = _("source documents")

    def __str__(self) -> str:
        return self.title


class Citation(models.Model):
    """A passage of a source document that supports (or disputes) one fact."""

    class Role(models.TextChoices):
        SUPPORTS = "supports", _("supports")
        DISPUTES = "disputes", _("disputes")

    document = models.ForeignKey(
        SourceDocument,
        on_delete=models.PROTECT,
        related_name="citations",
        verbose_name=_("document"),
    )
    heading = models.CharField(_("heading"), max_length=300)
    excerpt = models.TextField(_("passage"))
    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.SUPPORTS)
    note = models.TextField(_("note"), blank=True)

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("kind of record")
    )
    object_id = models.PositiveBigIntegerField(_("record number"))
    content_object = GenericForeignKey("content_type", "object_id")

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")

    def __str__(self) -> str:
        return f"{self.document.filename}, «{self.heading}»"

    def clean(self):
        # A passage cited for a record that does not exist could never be found or removed.
        model = self.content_type.model_class() if self.content_type_id else None
        if model is None or self.object_id is None:
            return
        if not model._default_manager.filter(pk=self.object_id).exists():
            raise ValidationError(
                {
                    "object_id": _("There is no %(kind)s number %(number)s.")
                    % {"kind": model._meta.verbose_name, "number": self.object_id}
                }
            )

    @property
    def disputes(self) -> bool:
        return self.role == self.Role.DISPUTES


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


class UnitQuerySet(models.QuerySet):
    def on_record(self):
        """The units staff see: all but the ones a planned reorganisation creates, which exist
        only as its plan until it is put in force."""
        change = self.model._meta.get_field("changes").related_model
        planned_creation = change.objects.filter(
            unit=OuterRef("pk"), kind="created", reorganisation__status="planned"
        )
        placed = UnitNode.objects.filter(unit=OuterRef("pk"))
        return self.exclude(Exists(planned_creation) & ~Exists(placed))

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
        readings = []
        if name is not None and name.name_inferred:
            readings.append(Reading.NAME)
        if name is not None and name.short_name_is_a_reading:
            readings.append(Reading.SHORT_NAME)
        if self.kind_inferred and own_kind:
            readings.append(Reading.KIND)
        return readings

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


# How a name is written: alike on a name and on the change that gave it (which a replay or a
# revision writes the name from).
NAMING = ("name", "short_name", "name_inferred", "short_name_inferred")


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
        Unit, on_delete=models.PROTECT, related_name="names", verbose_name=_("unit")
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
    opened_by = models.ForeignKey(
        "history.Change",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opened_names",
        verbose_name=_("opened by"),
    )
    closed_by = models.ForeignKey(
        "history.Change",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closed_names",
        verbose_name=_("closed by"),
    )

    citations = GenericRelation(Citation)
    history = HistoricalRecords()

    objects = UnitNameQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "kind", F("valid_from").asc(nulls_first=True)]
        constraints = [period_constraint("unitname_period_valid")]
        verbose_name = _("unit name")
        verbose_name_plural = _("unit names")

    def __str__(self) -> str:
        return self.name

    # Set by the reorganisation writer on the name it gives a unit it has just created: no
    # other name of that unit exists yet, so there is nothing to ask the database about.
    of_a_new_unit = False

    @property
    def short_name_is_a_reading(self) -> bool:
        return self.short_name_inferred and bool(self.short_name)

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
        placements = UnitNode.objects.filter(unit_id=self.unit_id)
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
        Unit, on_delete=models.PROTECT, related_name="classifications", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    target_group = models.CharField(
        _("target group"), max_length=10, choices=TargetGroup, blank=True
    )
    opened_by = models.ForeignKey(
        "history.Change",
        on_delete=models.PROTECT,
        related_name="opened_classifications",
        verbose_name=_("opened by"),
    )
    closed_by = models.ForeignKey(
        "history.Change",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closed_classifications",
        verbose_name=_("closed by"),
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
        Unit, on_delete=models.PROTECT, related_name="identifiers", verbose_name=_("unit")
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
        try:
            return str(self.Scheme(self.scheme).label)
        except ValueError:
            return self.scheme

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


class UnitNodeQuerySet(TreeQuerySet, PeriodQuerySet):
    def lineage(self) -> list[tuple[int, int]]:
        """(id, unit id) of these nodes and of all their ancestors, following the parent
        links in one recursive query (never stale, unlike the MPTT numbers of an instance
        read before a tree write, and without a condition per node)."""
        sql, params = self.order_by().values("id").query.sql_with_params()
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH RECURSIVE up (id, unit_id, parent_id) AS (
                    SELECT id, unit_id, parent_id FROM {table} WHERE id IN ({sql})
                    UNION
                    SELECT n.id, n.unit_id, n.parent_id FROM {table} n
                    JOIN up ON n.id = up.parent_id
                )
                SELECT id, unit_id FROM up
                """,
                params,
            )
            return cursor.fetchall()

    def tree_on(self, date: datetime.date):
        """The structure valid on `date`, in tree order, with what a page needs to show it
        (each unit's kind and target group on the date as `kind_on`, `target_group_on`)."""
        return (
            classified_on(self.valid_on(date), date, path="unit__")
            .with_datings()
            .select_related("unit")
            .prefetch_related(
                Prefetch(
                    "unit__names",
                    queryset=UnitName.objects.authorised().valid_on(date),
                    to_attr="names_on_date",
                )
            )
            .order_by("tree_id", "lft")
        )

    def with_unit_existence(self):
        """Each node with its unit's dates of existence, from the database rather than from
        every placement of every unit: `unit_exists_from` and `unit_exists_until` are the
        earliest start and latest end of the unit's placements, None where a placement's
        start or end is open (unknown, or not yet ended) — `Unit.valid_from` and
        `Unit.valid_to` in SQL, for exports of every unit."""
        placements = UnitNode.objects.filter(unit=OuterRef("unit")).order_by().values("unit")
        return self.annotate(
            unit_exists_from=Case(
                When(Exists(placements.filter(valid_from__isnull=True)), then=None),
                default=Subquery(placements.annotate(first=Min("valid_from")).values("first")),
            ),
            unit_exists_until=Case(
                When(Exists(placements.filter(valid_to__isnull=True)), then=None),
                default=Subquery(placements.annotate(last=Max("valid_to")).values("last")),
            ),
        )


@dataclasses.dataclass(frozen=True)
class Placement(Dated):
    """A unit's unbroken time under one parent unit: one node, or several in a row where the
    tree replaced the unit's node because its parent's node was replaced (the parent moved and
    took the unit with it), which is no move of the unit. Surfaces show placements, not nodes.
    """

    nodes: tuple

    @property
    def first(self) -> "UnitNode":
        return self.nodes[0]

    @property
    def last(self) -> "UnitNode":
        return self.nodes[-1]

    parent = property(lambda self: self.first.parent)
    parent_id = property(lambda self: self.first.parent_id)
    valid_from = property(lambda self: self.first.valid_from)
    valid_to = property(lambda self: self.last.valid_to)
    opened_by_id = property(lambda self: self.first.opened_by_id)
    opened_by = property(lambda self: self.first.opened_by)
    closed_by_id = property(lambda self: self.last.closed_by_id)
    closed_by = property(lambda self: self.last.closed_by)
    start_dating = property(lambda self: self.first.start_dating)
    end_dating = property(lambda self: self.last.end_dating)


def _parent_unit_id(node):
    if hasattr(node, "parent_unit_id"):
        return node.parent_unit_id
    return node.parent.unit_id if node.parent_id else None


def placements_of(nodes) -> list[Placement]:
    """`nodes` (of one unit or many, with their parents' units or a `parent_unit_id`) as
    placements, in order of unit and start."""
    runs = []
    for node in sorted(nodes, key=lambda n: (n.unit_id, n.valid_from or datetime.date.min)):
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and last.unit_id == node.unit_id
            and last.valid_to is not None
            and last.valid_to == node.valid_from
            and _parent_unit_id(last) == _parent_unit_id(node)
        ):
            runs[-1].append(node)
        else:
            runs.append([node])
    return [Placement(tuple(run)) for run in runs]


def placements_of_units(unit_ids) -> dict:
    """The placement each node of the units `unit_ids` (ids, or a query of them) belongs to,
    by node id: where a page or an export says since when, and until when, a unit sat where
    it sits (one query)."""
    every = (
        UnitNode.objects.filter(unit_id__in=unit_ids)
        .with_datings()
        .annotate(parent_unit_id=F("parent__unit_id"))
    )
    return {node.pk: placement for placement in placements_of(every) for node in placement.nodes}


def placements_on(date: datetime.date) -> dict:
    """The placement each node valid on `date` belongs to, by node id (one query)."""
    return placements_of_units(UnitNode.objects.valid_on(date).values("unit_id"))


class UnitNodeManager(TreeManager.from_queryset(UnitNodeQuerySet)):
    def numbers_from_parents(self) -> tuple[dict, dict]:
        """What every node's (tree_id, lft, rght, level) should be, computed from the parent
        links as `rebuild()` numbers them (trees and siblings in `order_insertion_by` order:
        position, then unit), and what is stored, by pk. Unlike `rebuild()`, siblings equal
        in both (a unit placed twice under one node) go in the order they were written, not
        in whatever order the database returns them: the writer's numbering
        (`history.numbering.renumber_tree`) and the integrity check both use this."""
        rows = self.values_list(
            "pk", "parent_id", "position", "unit_id", "tree_id", "lft", "rght", "level"
        )
        children = defaultdict(list)
        stored = {}
        for pk, parent_id, position, unit_id, *stored_numbers in rows:
            children[parent_id].append((position, unit_id, pk))
            stored[pk] = tuple(stored_numbers)
        for siblings in children.values():
            siblings.sort()
        numbers = {}

        def number(pk, left, level, tree_id):
            right = left + 1
            for position_unit_pk in children.get(pk, ()):
                right = number(position_unit_pk[-1], right, level + 1, tree_id)
            numbers[pk] = (tree_id, left, right, level)
            return right + 1

        for tree_id, position_unit_pk in enumerate(children[None], start=1):
            number(position_unit_pk[-1], 1, 0, tree_id)
        return numbers, stored


class UnitNode(MPTTModel, Period):
    """A unit during one placement: its parent is fixed for the node's whole period."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="nodes", verbose_name=_("unit")
    )
    parent = TreeForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    opened_by = models.ForeignKey(
        "history.Change",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opened_nodes",
        verbose_name=_("opened by"),
    )
    closed_by = models.ForeignKey(
        "history.Change",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closed_nodes",
        verbose_name=_("closed by"),
    )

    history = HistoricalRecords(excluded_fields=MPTT_FIELDS)

    objects = UnitNodeManager()

    class MPTTMeta:
        # unit_id breaks ties so that insertion and a rebuild agree on sibling order.
        order_insertion_by = ["position", "unit_id"]

    class Meta:
        constraints = [period_constraint("unitnode_period_valid")]
        # The chart reads the structure on a date level by level, down to what it draws.
        indexes = [models.Index(fields=["level"], name="unitnode_level")]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")

    def __str__(self) -> str:
        return f"{self.unit.slug} [{self.period_display}]"

    # Set by the reorganisation writer on the placements it gives a unit it has just created
    # (consecutive, under its parent's successive placements): the unit has no other
    # placement to overlap, and no subtree that its parent could lie in.
    of_a_new_unit = False

    def neighbourhood_on(self, date: datetime.date) -> tuple[list, list]:
        """(the placements above this one, from the top; those right below it), as valid on
        `date`, read with `tree_on` in one tree read (a placement's parents are placements
        valid over its whole period)."""
        above = Q(tree_id=self.tree_id, lft__lt=self.lft, rght__gt=self.rght)
        nodes = list(UnitNode.objects.tree_on(date).filter(above | Q(parent=self)))
        return (
            [n for n in nodes if n.level < self.level],
            [n for n in nodes if n.parent_id == self.pk],
        )

    def clean(self):
        super().clean()
        if not self.unit_id:
            return
        clash = (
            None
            if self.of_a_new_unit
            else UnitNode.objects.filter(unit_id=self.unit_id)
            .exclude(pk=self.pk)
            .overlapping(self.valid_from, self.valid_to)
            .first()
        )
        if clash:
            raise ValidationError(
                _(
                    "“%(unit)s” already has a placement in the period %(period)s; "
                    "a unit has one placement at any date."
                )
                % {"unit": self.unit.slug, "period": clash.period_display}
            )
        if self.parent_id is None:
            return
        parent = self.parent
        if not period_within(self.valid_from, self.valid_to, parent.valid_from, parent.valid_to):
            raise ValidationError(
                _(
                    "“%(unit)s” (%(period)s) would outlive its parent “%(parent)s” "
                    "(%(parent_period)s): a child's period must lie within its parent's."
                )
                % {
                    "unit": self.unit.slug,
                    "period": self.period_display,
                    "parent": parent.unit.slug,
                    "parent_period": parent.period_display,
                }
            )
        if not self.of_a_new_unit and self.unit_id in parent.lineage_unit_ids():
            raise ValidationError(
                _(
                    "“%(unit)s” cannot be placed under “%(parent)s”, which lies inside "
                    "its own subtree."
                )
                % {"unit": self.unit.slug, "parent": parent.unit.slug}
            )

    def lineage_unit_ids(self) -> set[int]:
        """The units of this node and of all its ancestors, by following parent pointers
        (never stale, unlike the MPTT numbers of an instance loaded before a tree write), in
        one recursive query however deep the node is."""
        if self.parent_id is None:
            return {self.unit_id}
        above = UnitNode.objects.filter(pk=self.parent_id).lineage()
        return {self.unit_id, *(unit_id for _, unit_id in above)}


class ArchiveJob(models.Model):
    """Long EAC-CPF work that the background worker does outside any request (see
    `orgunits/exports/eaccpf/jobs.py`): an import of an uploaded file, or the zip of every record,
    built once per data version. The worker writes its progress here; the pages
    that show a job read nothing else. Not registry data: it keeps no history, and changing
    it does not change the data version."""

    class Kind(models.TextChoices):
        IMPORT = "import", _("EAC-CPF import")
        ZIP = "zip", _("EAC-CPF zip")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=100, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    name = models.CharField(_("file"), max_length=255, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    language = models.CharField(max_length=10, blank=True)  # of its messages: the asker's
    upload = models.FileField(upload_to="jobs/uploads/", blank=True)
    result = models.FileField(upload_to="jobs/zips/", blank=True)
    summary = models.TextField(blank=True)
    units = models.JSONField(default=list, blank=True)  # the slugs an import made
    notes = models.JSONField(default=list, blank=True)  # what the archivist should check
    errors = models.JSONField(default=list, blank=True)
    data_version = models.CharField(max_length=64, blank=True)
    base_url = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # A failed zip is built again on request, but not more often than this.
    RETRY_AFTER = datetime.timedelta(minutes=1)
    # The worker writes its progress at most this often (seconds), and at each new stage.
    REPORT_EVERY = 0.5

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["data_version"], condition=Q(kind="zip"), name="one_zip_per_data_version"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 0

    @property
    def waiting_long(self) -> bool:
        from django.utils import timezone

        waited = timezone.now() - self.created_at
        return self.status == self.Status.QUEUED and waited > self.RETRY_AFTER

    def may_retry(self) -> bool:
        from django.utils import timezone

        return (
            self.status == self.Status.FAILED
            and timezone.now() - self.finished_at > self.RETRY_AFTER
        )

    def restart(self):
        self.status, self.stage, self.done, self.total, self.errors = "queued", "", 0, 0, []
        self.started_at = self.finished_at = None
        self.save()

    def _write(self, **fields):
        for name, value in fields.items():
            setattr(self, name, value)
        type(self).objects.filter(pk=self.pk).update(**fields)

    def begin(self, stage: str):
        from django.utils import timezone

        self._write(status=self.Status.RUNNING, stage=stage, started_at=timezone.now())

    def report(self, done: int, total: int, *, stage: str | None = None):
        import time

        now = time.monotonic()
        if (
            stage is None
            and done < total
            and now - getattr(self, "_reported", 0) < self.REPORT_EVERY
        ):
            return
        self._reported = now
        self._write(done=done, total=total, **({"stage": stage} if stage else {}))

    def succeed(self, *, summary: str, **more):
        from django.utils import timezone

        fields = {
            "status": self.Status.DONE,
            "summary": summary,
            "finished_at": timezone.now(),
            **more,
        }
        if self.result:
            fields["result"] = self.result.name
        self._write(done=self.total, **fields)

    def fail(self, errors: list[str]):
        from django.utils import timezone

        self._write(status=self.Status.FAILED, errors=list(errors), finished_at=timezone.now())
