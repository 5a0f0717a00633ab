"""Reorganisations: dated events that change the structure, and the typed changes they group.

Valid time (when a change took effect) lives here, explicitly, with how certain it is.
Record time (when someone edited the registry) is django-simple-history's.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Prefetch, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from orgunits.models import Citation, TargetGroup, Unit
from orgunits.models import Kind as UnitKind
from socialforvaltning.periods import Certainty, Dating


class ReorganisationQuerySet(models.QuerySet):
    def in_force(self):
        """The reorganisations that shape the structure (not planned, not withdrawn)."""
        return self.filter(status=Reorganisation.Status.IN_FORCE)

    def miscounted(self):
        """Those whose stored `change_count` is not the number of their changes."""
        counted = Change.objects.filter(reorganisation=models.OuterRef("pk")).order_by()
        counted = counted.values("reorganisation").annotate(n=Count("pk")).values("n")
        actual = Coalesce(models.Subquery(counted), 0)
        return self.annotate(actual=actual).exclude(change_count=models.F("actual"))

    def on_record(self):
        """What staff see in the list of changes: in force, and withdrawn (struck through)."""
        return self.exclude(status=Reorganisation.Status.PLANNED)

    def chronological(self):
        return self.order_by(F("date").asc(nulls_first=True), "id")

    def trial_moments(self):
        """The moments at which the planned reorganisations were tried out. A plan is checked
        by applying it and taking it back in one write, which stamps all its history rows
        with one moment: what was written then is no edit of the published record, so the
        surfaces that show the record's history leave it out while the plan is planned."""
        planned = self.filter(status=Reorganisation.Status.PLANNED).values("pk")
        return Reorganisation.history.filter(id__in=planned).values("history_date")

    def dated_between(self, after: datetime.date, until: datetime.date):
        """Reorganisations taking effect in (after, until]."""
        return self.filter(date__gt=after, date__lte=until)

    def recorded_up_to(self) -> datetime.date | None:
        """How far the registry's knowledge reaches: REGISTRY_RECORDED_UP_TO where the
        operator says so, else the latest reorganisation in force. After that date the
        registry knows of no change, which is not the same as knowing there was none."""
        if settings.REGISTRY_RECORDED_UP_TO is not None:
            return settings.REGISTRY_RECORDED_UP_TO
        return self.in_force().aggregate(latest=models.Max("date"))["latest"]


class Reorganisation(models.Model):
    """A dated event that changes the structure, with the changes it groups.

    The reorganisations in force are the one source of structural truth: placements, names
    given by changes and responsibilities handed on by them are their projection, written
    only by `history.services` (`apply_reorganisation`, and the corrections that replay the
    projection from a date)."""

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("in force")
        PLANNED = "planned", _("planned")
        WITHDRAWN = "withdrawn", _("withdrawn")

    key = models.SlugField(_("key"), max_length=100, unique=True)
    date = models.DateField(
        _("effective date"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("The date the structure changes. Empty: before the registry's records."),
    )
    certainty = models.CharField(
        _("certainty of the date"), max_length=12, choices=Certainty, default=Certainty.EXACT
    )
    not_before = models.DateField(_("not before"), null=True, blank=True)
    not_after = models.DateField(_("not after"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.IN_FORCE, db_index=True
    )
    # Who withdrew it, when and why: shown beside it, struck through, in the list of changes.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdrawal_reason = models.TextField(_("reason for the withdrawal"), blank=True)

    citations = GenericRelation(Citation)
    # How many changes it has: stored, because a list of reorganisations would otherwise
    # count every change of each (the generator founds 100,000 units in one). Written only
    # by `count_changes`, after the changes; derived, so not a fact of its history.
    change_count = models.PositiveIntegerField(_("changes"), default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["change_count"])

    objects = ReorganisationQuerySet.as_manager()

    class Meta:
        ordering = [F("date").asc(nulls_first=True), "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date__isnull=False)
                | models.Q(certainty="unknown")
                | models.Q(certainty="range", not_before__isnull=True),
                name="reorganisation_dated_unless_before_records",
                violation_error_message=_(
                    "Only a reorganisation from before the registry's records may lack a date."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(not_before__isnull=True)
                | models.Q(not_after__isnull=True)
                | models.Q(not_before__lte=F("not_after")),
                name="reorganisation_range_ordered",
                violation_error_message=_("“Not before” must not lie after “not after”."),
            ),
        ]
        verbose_name = _("reorganisation")
        verbose_name_plural = _("reorganisations")
        permissions = [("apply_reorganisation", _("Can apply a dated reorganisation"))]

    def __str__(self) -> str:
        return f"{self.date_display}: {self.title}"

    def save(self, *args, **kwargs):
        # A copy read before a revision and saved after it (the admin's form, say) must not
        # write back the number of changes it read: only `count_changes` writes it.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "change_count"
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("history:detail", args=[self.pk])

    @property
    def in_force(self) -> bool:
        return self.status == self.Status.IN_FORCE

    @property
    def withdrawn(self) -> bool:
        return self.status == self.Status.WITHDRAWN

    @property
    def planned(self) -> bool:
        return self.status == self.Status.PLANNED

    def count_changes(self) -> None:
        """Store how many changes it has, once they are written (`history.services`)."""
        self.change_count = self.changes.count()
        Reorganisation.objects.filter(pk=self.pk).update(change_count=self.change_count)

    def clean(self):
        super().clean()
        errors = self.dating.validation_errors(
            "date", missing=_("Give the date the change took effect.")
        )
        if errors:
            raise ValidationError(errors)

    @property
    def dating(self) -> Dating:
        return Dating(self.date, self.certainty, self.not_before, self.not_after)

    @property
    def day_before(self) -> datetime.date | None:
        return self.date - datetime.timedelta(days=1) if self.date else None

    @property
    def is_exact(self) -> bool:
        return self.dating.is_exact

    @property
    def date_display(self) -> str:
        """The date as a person should read it, never more precise than what is known."""
        return self.dating.display()

    def record_of_corrections(self) -> list[dict]:
        """Each time the record of this reorganisation changed after it was entered: when, by
        whom, why and what (withdrawn, put in force, re-dated, its changes revised), oldest
        first, read off its history (one query)."""
        versions = list(self.history.select_related("history_user").order_by("history_id"))
        # Saved more than once as it was entered (a plan is checked in force, then planned):
        # one moment, the entry itself.
        entered = versions[0].history_date if versions else None
        entries = []
        for previous, version in zip(versions, versions[1:], strict=False):
            if version.history_date == entered:
                continue
            was, now = previous.instance, version.instance
            if was.status != now.status:
                what = {
                    Reorganisation.Status.WITHDRAWN: _("Withdrawn"),
                    Reorganisation.Status.IN_FORCE: _("Put in force"),
                    Reorganisation.Status.PLANNED: _("Planned"),
                }[now.status]
            elif was.date_display != now.date_display:
                what = _("Re-dated from %(old)s to %(new)s") % {
                    "old": was.date_display,
                    "new": now.date_display,
                }
            elif (was.title, was.description) != (now.title, now.description):
                what = _("Its title or description edited")
            else:
                what = _("Its changes revised")
            entries.append(
                {
                    "when": version.history_date,
                    "who": version.history_user,
                    "why": version.history_change_reason or "",
                    "what": what,
                }
            )
        return entries

    def uncertain_on(self, date: datetime.date) -> bool:
        """Whether it is unknown if the change had taken effect by `date`."""
        return self.dating.uncertain_on(date)


class ChangeQuerySet(models.QuerySet):
    def in_force(self):
        """The changes of reorganisations in force: those that shape the structure."""
        return self.filter(reorganisation__status=Reorganisation.Status.IN_FORCE)

    def lineage_of(self, unit):
        """The mergers and splits that join `unit` to its predecessors and successors, by
        date, with both units (and their names) and the reorganisation."""
        return (
            self.filter(
                models.Q(unit=unit) | models.Q(target=unit),
                kind__in=[Change.Kind.MERGED, Change.Kind.SPLIT],
            )
            .select_related("reorganisation", "unit", "target")
            .prefetch_related("unit__names", "target__names")
            .order_by(F("reorganisation__date").asc(nulls_first=True), "id")
        )

    def involving(self, unit):
        """The changes in force that name `unit` (as the unit changed, the target, or the
        previous parent), in date order: a unit's own record of its reorganisations."""
        return (
            self.in_force()
            .filter(models.Q(unit=unit) | models.Q(target=unit) | models.Q(previous_parent=unit))
            .order_by(models.F("reorganisation__date").asc(nulls_first=True), "id")
        )


class Change(models.Model):
    """One typed change within a reorganisation.

    `unit` is the unit the change is about; `target` depends on the kind: the new parent
    (created, moved), the resulting unit (merged, split) or the receiving unit (tasks
    transferred).
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        DISSOLVED = "dissolved", _("dissolved")
        RENAMED = "renamed", _("renamed")
        RECLASSIFIED = "reclassified", _("reclassified")
        MOVED = "moved", _("moved / re-anchored")
        MERGED = "merged", _("merged")
        SPLIT = "split", _("split")
        TASKS_TRANSFERRED = "tasks_transferred", _("tasks transferred")

    reorganisation = models.ForeignKey(
        Reorganisation,
        on_delete=models.PROTECT,
        related_name="changes",
        verbose_name=_("reorganisation"),
    )
    kind = models.CharField(_("kind of change"), max_length=20, choices=Kind)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="changes", verbose_name=_("unit")
    )
    target = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incoming_changes",
        verbose_name=_("to"),
    )
    previous_parent = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from"),
    )
    name = models.CharField(_("name"), max_length=300, blank=True)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    name_inferred = models.BooleanField(_("name is the registry's reading"), default=False)
    short_name_inferred = models.BooleanField(
        _("short name is the registry's reading"), default=False
    )
    # A reclassification's new kind and target group; blank: the same as before. The target
    # group is None when kept, for "" says it has none from the date.
    unit_kind = models.CharField(_("new kind"), max_length=20, choices=UnitKind, blank=True)
    target_group = models.CharField(  # noqa: DJ001
        _("new target group"), max_length=10, choices=TargetGroup, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    # What a replay needs beyond the units: the change is the event, and its row says all
    # that applying it again takes.
    tasks = models.JSONField(
        _("tasks"), default=list, blank=True, help_text=_("The tasks a transfer hands on.")
    )
    role = models.CharField(
        _("role"), max_length=20, blank=True, help_text=_("A transfer's new role, if it changes.")
    )
    post = models.ForeignKey(
        "responsibilities.Post",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("post"),
    )
    keeps_post = models.BooleanField(
        _("keeps the post"), default=True, help_text=_("A transfer keeps each task's post.")
    )
    inferred = models.BooleanField(_("inferred"), default=False)
    ends = models.BooleanField(
        _("ends the unit"), default=True, help_text=_("A split ends the unit it splits.")
    )
    hands_on_tasks = models.BooleanField(
        _("hands on the tasks"),
        default=True,
        help_text=_("A merge hands the merged unit's remaining tasks to the resulting unit."),
    )

    citations = GenericRelation(Citation)
    history = HistoricalRecords()

    objects = ChangeQuerySet.as_manager()

    class Meta:
        ordering = ["reorganisation", "id"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.unit.slug}"

    @property
    def unit_name(self) -> str:
        """The unit's name when the change took effect (prefetch `unit__names` for lists)."""
        return self.unit.name_at(self.reorganisation.date)

    @property
    def target_name(self) -> str:
        return self.target.name_at(self.reorganisation.date) if self.target_id else ""


class Disputes:
    """Where the sources disagree about a reorganisation: the passages that dispute it, cited
    on it or on one of its changes. Read for the whole registry in two queries (disputing
    passages are few), so that a chart or an export marks every fact resting on one."""

    def __init__(self):
        disputing = Citation.objects.filter(role=Citation.Role.DISPUTES)
        on_changes = disputing.filter(
            content_type__model="change", content_type__app_label="history"
        )
        on_reorganisations = disputing.filter(
            content_type__model="reorganisation", content_type__app_label="history"
        )
        # Two parts, each found through its own index: one condition with OR between them
        # reads every change of the registry.
        columns = ("pk", "reorganisation_id", "kind", "unit_id", "ends")
        rows = (
            Change.objects.filter(reorganisation_id__in=on_reorganisations.values("object_id"))
            .order_by()
            .values_list(*columns)
            .union(
                Change.objects.filter(pk__in=on_changes.values("object_id"))
                .order_by()
                .values_list(*columns)
            )
        )
        self.reorganisation_of = {}
        self.created, self.ended = set(), set()  # units whose start or end is disputed
        for pk, reorganisation_id, kind, unit_id, ends in rows:
            self.reorganisation_of[pk] = reorganisation_id
            if kind == Change.Kind.CREATED:
                self.created.add(unit_id)
            elif kind in (Change.Kind.MERGED, Change.Kind.DISSOLVED) or (
                kind == Change.Kind.SPLIT and ends
            ):
                self.ended.add(unit_id)
        self.units = self.created | self.ended
        self.reorganisations = set(self.reorganisation_of.values())
        self._citations = None

    def of_change(self, change_id: int | None) -> bool:
        """Whether the sources disagree about the reorganisation `change_id` belongs to."""
        return change_id in self.reorganisation_of

    def of_node(self, node) -> bool:
        """Whether the sources disagree about when the node's unit began or ended, or about
        the change that placed it there."""
        return node.unit_id in self.units or self.of_change(node.opened_by_id)

    def citations(self, reorganisation_id: int) -> list:
        """Both sides about one disputed reorganisation (read on first use): the passages
        cited on it, those it follows first, and those disputing it or one of its changes."""
        if self._citations is None:
            self._citations = {}
            on_changes = models.Q(
                content_type__model="change",
                object_id__in=self.reorganisation_of,
                role=Citation.Role.DISPUTES,
            )
            rows = (
                Citation.objects.filter(
                    models.Q(
                        content_type__model="reorganisation",
                        object_id__in=self.reorganisations,
                    )
                    | on_changes
                )
                .filter(content_type__app_label="history")
                .select_related("document", "content_type")
                .order_by("-role", "id")  # "supports" before "disputes"
            )
            for citation in rows:
                of = (
                    citation.object_id
                    if citation.content_type.model == "reorganisation"
                    else self.reorganisation_of[citation.object_id]
                )
                self._citations.setdefault(of, []).append(citation)
        return self._citations.get(reorganisation_id, [])


class Mark(models.TextChoices):
    """What a date's reorganisations did to a unit drawn on the chart of that date."""

    CREATED = "created", _("new")
    MOVED = "moved", _("moved")
    RENAMED = "renamed", _("renamed")
    RECLASSIFIED = "reclassified", _("reclassified")
    MERGED = "merged", _("formed by a merger")
    SPLIT = "split", _("formed by a split")
    TASKS = "tasks", _("took over tasks")


# A change's kind gives a mark to the unit it is about, or to its target (the unit formed or
# receiving). Ending changes mark nothing drawn: the unit is gone from that date's chart.
MARKS = {
    Change.Kind.CREATED: ("unit", Mark.CREATED),
    Change.Kind.MOVED: ("unit", Mark.MOVED),
    Change.Kind.RENAMED: ("unit", Mark.RENAMED),
    Change.Kind.RECLASSIFIED: ("unit", Mark.RECLASSIFIED),
    Change.Kind.MERGED: ("target", Mark.MERGED),
    Change.Kind.SPLIT: ("target", Mark.SPLIT),
    Change.Kind.TASKS_TRANSFERRED: ("target", Mark.TASKS),
}


class ChangesOn:
    """The reorganisations in force on one date and what they did to the units a chart of
    that date draws. Reads nothing on other dates, and on a reorganisation date a fixed
    number of queries with rows bounded by the units drawn and LISTED changes each."""

    LISTED = 25  # changes listed per reorganisation above the chart; the rest on its page

    def __init__(self, date: datetime.date, reorganisations, unit_ids):
        self.date = date
        self.reorganisations = [r for r in reorganisations if r.date == date]
        self.marks = defaultdict(set)
        if not self.reorganisations:
            return
        ids = [r.pk for r in self.reorganisations]
        names = ("unit__names", "target__names", "previous_parent__names")
        listed = Change.objects.select_related("unit", "target", "previous_parent")
        prefetch_related_objects(
            self.reorganisations,
            Prefetch("changes", listed.prefetch_related(*names)[: self.LISTED], "listed"),
        )
        for reorganisation in self.reorganisations:
            reorganisation.unlisted = reorganisation.change_count - self.LISTED
        unit_ids = list(unit_ids)
        touching = Change.objects.filter(reorganisation__in=ids).filter(
            models.Q(unit_id__in=unit_ids) | models.Q(target_id__in=unit_ids)
        )
        for kind, unit_id, target_id in touching.values_list("kind", "unit_id", "target_id"):
            if kind in MARKS:
                side, mark = MARKS[kind]
                marked = unit_id if side == "unit" else target_id
                if marked is not None:
                    self.marks[marked].add(mark)

    def __bool__(self) -> bool:
        return bool(self.reorganisations)

    def of_node(self, node) -> list[Mark]:
        """The marks of the node's unit, in a fixed order. A unit placed anew on the date
        that no change names (carried along by its parent's merger) is marked as moved."""
        marks = set(self.marks.get(node.unit_id, ()))
        if self and node.valid_from == self.date and Mark.CREATED not in marks:
            marks.add(Mark.MOVED)
        return [mark for mark in Mark if mark in marks]
