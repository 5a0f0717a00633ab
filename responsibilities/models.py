"""Tasks, the posts that hold them, and which unit was responsible for a task when.

A `Responsibility` ties a task to a unit for a half-open period [valid_from, valid_to), with
the certainty of its start like a reorganisation's. A task has one owner at a time; other
units may share it as partners or contributors, or carry it as the office a cross-cutting
unit is anchored with. Responsibilities move between units only through
`history.services.apply_reorganisation` (the `TransferTasks` change), which also refuses to
end a unit that still holds tasks.
"""

import datetime
from collections import defaultdict

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from history.models import Change
from orgunits.models import Citation, Unit, UnitNode
from orgunits.recorded import latest_versions
from socialforvaltning.periods import (
    Certainty,
    Dating,
    Period,
    PeriodQuerySet,
    describe_end,
    period_constraint,
)

from .search import close_names, normalise, word_filter, words


class Category(models.TextChoices):
    OEKONOMI = "oekonomi", _("Finance")
    STRATEGI = "strategi", _("Strategy")
    HR = "hr", _("HR")
    IT = "it", _("IT")
    JURA = "jura", _("Law")
    TILSYN = "tilsyn", _("Oversight")
    DRIFT = "drift", _("Operations")
    KOMMUNIKATION = "kommunikation", _("Communication")
    SAMARBEJDE = "samarbejde", _("Cooperation")
    UDVIKLING = "udvikling", _("Development")


class TaskQuerySet(models.QuerySet):
    def search(self, query: str):
        """Tasks whose name, synonyms or description contain every word of `query` (or its
        Danish stem)."""
        return self.filter(word_filter("search_text", query))

    def close_to(self, query: str) -> list[str]:
        """The names of tasks close to `query` in name or synonym, for "did you mean"."""
        if not words(query):  # punctuation, an emoji: nothing to be close to
            return []
        entries = self.values_list("name", "synonyms")
        return close_names(query, ((name, synonyms.splitlines()) for name, synonyms in entries))


class Task(models.Model):
    """A named duty of the administration, whoever held it."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=300)
    category = models.CharField(_("category"), max_length=20, choices=Category)
    synonyms = models.TextField(
        _("synonyms"),
        blank=True,
        help_text=_("Other words people use for the task, one per line (e.g. LUS)."),
    )
    description = models.TextField(_("description"), blank=True)
    # Lower-cased, punctuation-free name, synonyms and description: what the lookup searches;
    # and the name and synonyms alone: the matches the lookup shows first.
    search_text = models.TextField(editable=False, default="")
    name_text = models.TextField(editable=False, default="")

    citations = GenericRelation(Citation)
    history = HistoricalRecords(excluded_fields=["search_text", "name_text"])

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        # The lookup walks every task, or a category's, by name and stops at its page's end.
        indexes = [models.Index(fields=["name", "id"], name="task_name")]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.update_search_text()
        super().save(*args, **kwargs)

    @property
    def synonym_list(self) -> list[str]:
        return [s.strip() for s in self.synonyms.splitlines() if s.strip()]

    def update_search_text(self) -> None:
        self.search_text = normalise(" ".join([self.name, *self.synonym_list, self.description]))
        self.name_text = normalise(" ".join([self.name, *self.synonym_list]))

    def was_recorded_by(self, moment) -> bool:
        """Whether the registry had recorded the task by `moment` (record time)."""
        return latest_versions(Task, moment).filter(id=self.pk).exists()

    def holdings(self, recorded=None) -> list["Responsibility"]:
        """Who held the task over time, by start, role and unit: as the registry says now, or
        as it had recorded them at the moment `recorded` (the versions then, as instances)."""
        if recorded is None:
            held = list(
                Responsibility.objects.filter(task=self)
                .select_related(
                    "unit", "post", "opened_by__reorganisation", "closed_by__reorganisation"
                )
                .prefetch_related("unit__names")
            )
        else:
            versions = latest_versions(Responsibility, recorded).filter(task_id=self.pk)
            held = [version.instance for version in versions]  # a handful per task
        held.sort(key=lambda r: (r.valid_from or datetime.date.min, r.role, r.unit.slug))
        return held


class Post(models.Model):
    """A post named by the sources, heading a unit (no persons are recorded)."""

    class Kind(models.TextChoices):
        ADM_DIREKTOER = "adm_direktoer", _("Chief executive")
        DIREKTOER = "direktoer", _("Director")
        KONTORCHEF = "kontorchef", _("Head of office")
        DAGLIG_LEDER = "daglig_leder", _("Day-to-day manager")

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="posts", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind of post"), max_length=20, choices=Kind)
    title = models.CharField(_("title"), max_length=300)
    inferred = models.BooleanField(
        _("the registry's reading"),
        default=False,
        help_text=_("No source names this post; the registry infers it."),
    )

    citations = GenericRelation(Citation)
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self) -> str:
        return self.title


class ResponsibilityQuerySet(PeriodQuerySet):
    def owners(self):
        return self.filter(role=Responsibility.Role.OWNER)


class Responsibility(Period):
    """A unit's part in a task during a period; the start is as certain as the source says."""

    class Role(models.TextChoices):
        OWNER = "owner", _("owner")
        PARTNER = "partner", _("partner")
        CONTRIBUTOR = "contributor", _("contributor")
        ANCHORED_WITH = "anchored_with", _("anchored with")

    task = models.ForeignKey(
        Task, on_delete=models.PROTECT, related_name="responsibilities", verbose_name=_("task")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="responsibilities", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.OWNER)
    post = models.ForeignKey(
        Post,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responsibilities",
        verbose_name=_("post"),
        help_text=_("The post that holds the task, where the sources say so."),
    )
    certainty = models.CharField(
        _("certainty of the start"), max_length=12, choices=Certainty, default=Certainty.EXACT
    )
    not_before = models.DateField(_("not before"), null=True, blank=True)
    not_after = models.DateField(_("not after"), null=True, blank=True)
    inferred = models.BooleanField(
        _("inferred"),
        default=False,
        help_text=_("The registry infers this assignment; the sources do not state it."),
    )
    note = models.TextField(_("note"), blank=True)

    citations = GenericRelation(Citation)
    history = HistoricalRecords()

    objects = ResponsibilityQuerySet.as_manager()

    class Meta:
        ordering = ["task", F("valid_from").asc(nulls_first=True), "role", "id"]
        constraints = [
            period_constraint("responsibility_period_valid"),
            models.CheckConstraint(
                condition=Q(not_before__isnull=True)
                | Q(not_after__isnull=True)
                | Q(not_before__lte=F("not_after")),
                name="responsibility_range_ordered",
                violation_error_message=_("“Not before” must not lie after “not after”."),
            ),
        ]
        indexes = [models.Index(fields=["task", "role", "valid_from", "valid_to"])]
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibilities")

    def __str__(self) -> str:
        role = self.get_role_display()
        return f"{self.task.slug}: {role} {self.unit.slug} [{self.period_display}]"

    # Validation --------------------------------------------------------------------------

    def clean(self):
        super().clean()
        self._clean_certainty()
        if self.unit_id:
            if not self.within_unit_checked_later:
                self._clean_within_unit()
            if self.post_id and self.post.unit_id != self.unit_id:
                raise ValidationError(
                    {
                        "post": _(
                            "The post “%(post)s” belongs to “%(post_unit)s”, not to “%(unit)s”."
                        )
                        % {
                            "post": self.post.title,
                            "post_unit": self.post.unit.slug,
                            "unit": self.unit.slug,
                        }
                    }
                )
        if self.task_id and self.role == self.Role.OWNER:
            self._clean_one_owner()

    # Set by the reorganisation writer, which checks the responsibilities a reorganisation
    # writes against their units' placements at its end, in one query (`lie_within_units`).
    within_unit_checked_later = False

    def _clean_certainty(self):
        # The same rules as for a reorganisation's date, applied to the start of the period.
        errors = self.start_dating.validation_errors(
            "valid_from", missing=gettext("Give the date the responsibility began.")
        )
        if errors:
            raise ValidationError(errors)

    def _clean_within_unit(self):
        nodes = (
            UnitNode.objects.filter(unit_id=self.unit_id)
            .overlapping(self.valid_from, self.valid_to)
            .order_by(F("valid_from").asc(nulls_first=True))
            .values_list("valid_from", "valid_to")
        )
        if not lies_within(self.valid_from, self.valid_to, nodes):
            raise ValidationError(
                _(
                    "“%(unit)s” does not exist for the whole period %(period)s: a responsibility "
                    "lies within its unit's existence."
                )
                % {"unit": self.unit.slug, "period": self.period_display}
            )

    def _clean_one_owner(self):
        others = (
            Responsibility.objects.owners()
            .filter(task_id=self.task_id)
            .exclude(pk=self.pk)
            .overlapping(self.valid_from, self.valid_to)
        )
        # Asked first without reading a row: a clash is the exception.
        clash = others.select_related("unit").first() if others.exists() else None
        if clash:
            raise ValidationError(
                _(
                    "“%(task)s” already has an owner in the period %(period)s: “%(unit)s”. A task "
                    "has one owner at a time; end or transfer that responsibility first."
                )
                % {
                    "task": self.task.name,
                    "period": clash.period_display,
                    "unit": clash.unit.slug,
                }
            )

    # Reading -----------------------------------------------------------------------------

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER

    @property
    def start_dating(self) -> Dating:
        """The start, as certain as the source that gives it (its own, not only the
        reorganisation's: a responsibility may begin "at some point" within a known one)."""
        return Dating(self.valid_from, self.certainty, self.not_before, self.not_after)

    @property
    def since_display(self) -> str:
        """When the responsibility began, never more precise than the sources."""
        return self.start_dating.display()

    @property
    def until_display(self) -> str:
        """When it ended, as certain as the reorganisation that ended it."""
        end = self.end_dating
        return describe_end(end) if end is not None else ""

    @property
    def ended_explicitly(self) -> bool:
        """Ended by a reorganisation that ended it on purpose (a transfer to no one)."""
        change = self.closed_by
        return (
            change is not None
            and change.kind == Change.Kind.TASKS_TRANSFERRED
            and change.target_id is None
        )


def placements_of(unit_ids) -> dict[int, list[tuple]]:
    """Each unit's placements as (start, end), ordered by start, in one query: what
    `lies_within` takes."""
    placements = defaultdict(list)
    rows = (
        UnitNode.objects.filter(unit_id__in=set(unit_ids))
        .order_by("unit_id", F("valid_from").asc(nulls_first=True))
        .values_list("unit_id", "valid_from", "valid_to")
    )
    for unit_id, start, end in rows:
        placements[unit_id].append((start, end))
    return placements


def lie_within_units(responsibilities) -> None:
    """`_clean_within_unit` for many responsibilities, in one query: raise its error for the
    first that does not lie within its unit's existence."""
    placements = placements_of(r.unit_id for r in responsibilities)
    for r in responsibilities:
        if not lies_within(r.valid_from, r.valid_to, placements[r.unit_id]):
            r._clean_within_unit()  # says why, in words


def lies_within(valid_from, valid_to, placements) -> bool:
    """Whether consecutive placements (start, end), ordered by start, cover the whole period
    [valid_from, valid_to) of a responsibility without a gap."""
    cursor = valid_from
    for start, end in placements:
        if end is not None and cursor is not None and end <= cursor:
            continue  # over before the period begins
        if not _starts_by(start, cursor):
            return False  # a gap: the unit did not exist at `cursor`
        if _ends_by(valid_to, end):
            return True
        cursor = end
    return False


def _starts_by(start, cursor) -> bool:
    """A node starting at `start` covers the moment `cursor` (None: the open past)."""
    return start is None or (cursor is not None and start <= cursor)


def _ends_by(end, node_end) -> bool:
    """A period ending at `end` ends no later than a node ending at `node_end` (None: open)."""
    return node_end is None or (end is not None and end <= node_end)
