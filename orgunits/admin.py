import datetime

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, OuterRef, Prefetch, Subquery
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from history.models import Change, Reorganisation
from socialforvaltning.admin_base import ReadOnlyHistoryAdmin, ReasonedHistoryAdmin
from socialforvaltning.lib.dates import InvalidDate, format_date, parse_date

from .models import (
    TARGET_GROUP_CHOICES_AND_NONE,
    Citation,
    Kind,
    SourceDocument,
    Unit,
    UnitIdentifier,
    UnitName,
    UnitNode,
    stored_target_group,
)


class CitationInline(GenericTabularInline):
    model = Citation
    extra = 0
    fields = ["document", "heading", "excerpt", "role", "note"]


class IdentifierInline(admin.TabularInline):
    model = UnitIdentifier
    extra = 0


class NameInline(admin.TabularInline):
    model = UnitName
    extra = 0
    fields = [
        "kind",
        "name",
        "name_inferred",
        "short_name",
        "short_name_inferred",
        "language",
        "valid_from",
        "valid_to",
    ]
    readonly_fields = ["valid_from", "valid_to"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClassifiedOnFilter(admin.SimpleListFilter):
    """What the units were on the list's date (see `UnitAdmin.get_queryset`)."""

    options = ()
    annotation = ""

    def lookups(self, request, model_admin):
        return self.options

    def stored(self, choice: str) -> str:
        return choice

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.annotation: self.stored(self.value())})
        return queryset


class KindOnFilter(ClassifiedOnFilter):
    title = _("kind")
    parameter_name, annotation = "kind", "kind_on"
    options = Kind.choices


class TargetGroupOnFilter(ClassifiedOnFilter):
    title = _("target group")
    parameter_name, annotation = "target_group", "target_group_on"
    options = TARGET_GROUP_CHOICES_AND_NONE

    def stored(self, choice: str) -> str:
        return stored_target_group(choice)


class ExistingOnFilter(admin.SimpleListFilter):
    """Units that exist on a date: the reorganisation dates to pick from, or any date typed
    in (`?on=YYYY-MM-DD`)."""

    title = _("existing on")
    parameter_name = "on"
    template = "admin/orgunits/unit/existing_on_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        # The other filters and the search, kept by the date form.
        self.other_params = [
            (key, value)
            for key, values in request.GET.lists()
            if key not in (self.parameter_name, "p")
            for value in values
        ]

    def lookups(self, request, model_admin):
        dates = (
            Reorganisation.objects.in_force()
            .exclude(date=None)
            .order_by("-date")
            .values_list("date", flat=True)
            .distinct()
        )
        return [(date.isoformat(), format_date(date)) for date in dates]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.existing_on(parse_date(self.value()))
        return queryset


class TreeChangeList(ChangeList):
    """Orders the list by the tree positions `UnitAdmin.get_queryset` annotates (only here:
    other admins' unit pickers use the model's own ordering)."""

    def get_ordering(self, request, queryset):
        return [
            F("tree_on").asc(nulls_last=True),
            F("lft_on").asc(nulls_last=True),
            "slug",
            "pk",
        ]


@admin.register(Unit)
class UnitAdmin(ReasonedHistoryAdmin):
    """The units as a tree: in the structure's order on a date (the `on` filter, else today),
    indented by level. The order comes from the database, so the list is paginated and costs
    the same few queries at any size. There is no drag and drop: a new place in the structure
    is a dated reorganisation."""

    list_display = ["tree_name", "slug", "kind_on", "target_group_on", "existence", "record_status"]
    list_filter = [ExistingOnFilter, KindOnFilter, TargetGroupOnFilter, "record_status"]
    search_fields = [
        "slug",
        "names__name",
        "names__short_name",
        "identifiers__value",
    ]
    sortable_by = ()  # the tree's order only: sorting by a column would break the indentation
    structural_fields = ("slug",)
    inlines = [NameInline, IdentifierInline, CitationInline]
    # The areas of ISAAR(CPF) the registry keeps. Names and identifiers are the inlines below;
    # dates of existence and relationships are dated facts, shown here and changed only by a
    # dated change (a reorganisation).
    fieldsets = [
        (
            _("Identity"),
            {"fields": ["slug", "kind", "kind_inferred", "target_group", "position"]},
        ),
        (
            _("Description"),
            {
                "fields": [
                    "dates_of_existence",
                    "description",
                    "functions",
                    "mandates",
                    "internal_structure",
                    "archival_type",
                ]
            },
        ),
        (_("Relationships"), {"fields": ["relationships"]}),
        (
            _("Control"),
            {"fields": ["record_status", "detail_level", "maintenance_notes", "record_language"]},
        ),
        (_("This edit"), {"fields": ["change_reason"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "tree_date": self.tree_date(request)}
        return super().changelist_view(request, extra_context)

    def refused_list_parameters(self, request) -> dict[str, str]:
        refused = super().refused_list_parameters(request)
        on = request.GET.get(ExistingOnFilter.parameter_name)
        if on and ExistingOnFilter.parameter_name not in refused:
            try:
                parse_date(on)
            except InvalidDate as error:
                refused[ExistingOnFilter.parameter_name] = str(error)
        return refused

    @staticmethod
    def tree_date(request) -> datetime.date:
        try:
            return parse_date(request.GET.get(ExistingOnFilter.parameter_name, ""))
        except InvalidDate:
            return datetime.date.today()

    def get_queryset(self, request):
        date = self.tree_date(request)
        node = UnitNode.objects.filter(unit=OuterRef("pk")).valid_on(date)
        return (
            super()
            .get_queryset(request)
            .annotate(
                tree_on=Subquery(node.values("tree_id")[:1]),
                lft_on=Subquery(node.values("lft")[:1]),
                level_on=Subquery(node.values("level")[:1]),
            )
            .with_names_on(date)
            .classified_on(date)
            .prefetch_related("names", Prefetch("nodes", UnitNode.objects.with_datings()))
        )

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "dates_of_existence", "relationships"]

    @admin.display(description=_("dates of existence"))
    def dates_of_existence(self, unit):
        if unit.pk is None:
            return _("not placed in the structure (enter a dated change to place it)")
        return unit.existence_display(unit.nodes.with_datings()) or _(
            "not placed in the structure (enter a dated change to place it)"
        )

    @admin.display(description=_("relationships"))
    def relationships(self, unit):
        """Hierarchical (each placement), predecessors and successors, each with its date."""
        if unit.pk is None:
            return "—"
        lines = []
        nodes = unit.nodes.select_related("parent__unit").order_by(
            F("valid_from").asc(nulls_first=True)
        )
        for node in nodes:
            if node.parent_id:
                lines.append(
                    _("under %(parent)s, %(period)s")
                    % {
                        "parent": node.parent.unit.name_at(node.valid_from),
                        "period": node.period_display,
                    }
                )
        joins = Change.objects.in_force().filter(kind__in=[Change.Kind.MERGED, Change.Kind.SPLIT])
        for change in joins.filter(target=unit).select_related("unit", "reorganisation"):
            lines.append(
                _("predecessor: %(unit)s (%(date)s)")
                % {"unit": change.unit.name_at(None), "date": change.reorganisation.date_display}
            )
        for change in joins.filter(unit=unit).select_related("target", "reorganisation"):
            lines.append(
                _("successor: %(unit)s (%(date)s)")
                % {"unit": change.target.name_at(None), "date": change.reorganisation.date_display}
            )
        if not lines:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    def get_changelist(self, request, **kwargs):
        return TreeChangeList

    @admin.display(description=_("name"))
    def tree_name(self, unit):
        # The name on the list's date (prefetched as `names_on_date`), else its last name.
        name = unit.name_at(None)
        if unit.level_on is None:
            return format_html('<span class="tree-unplaced">{}</span>', name)
        return format_html('<span class="tree-level-{}">{}</span>', min(unit.level_on, 9), name)

    @admin.display(description=_("kind"))
    def kind_on(self, unit):
        return unit.classification_display[0]

    @admin.display(description=_("target group"))
    def target_group_on(self, unit):
        return unit.classification_display[1]

    @admin.display(description=_("existed"))
    def existence(self, unit):
        if not unit.nodes.all():
            return _("not placed in the structure")
        return unit.existence_display()

    def has_delete_permission(self, request, obj=None):
        """Delimit, don't delete: a unit is ended by a dated dissolution. Only a draft that
        was never placed in the structure may be deleted (its history stays)."""
        return (
            obj is not None
            and obj.record_status == "draft"
            and not obj.nodes.exists()
            and super().has_delete_permission(request, obj)
        )


@admin.register(UnitName)
class UnitNameAdmin(ReasonedHistoryAdmin):
    """Correcting how a name is written is a correction; when it applied is structure."""

    list_display = [
        "name",
        "name_inferred",
        "short_name",
        "short_name_inferred",
        "unit",
        "kind",
        "valid_from",
        "valid_to",
    ]
    list_select_related = ["unit"]
    search_fields = ["name", "short_name", "unit__slug"]
    structural_fields = ("unit", "kind", "valid_from", "valid_to", "opened_by", "closed_by")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UnitNode)
class UnitNodeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["unit", "parent", "valid_from", "valid_to"]
    list_select_related = ["unit", "parent__unit"]
    search_fields = ["unit__slug"]
    structural_fields = ("unit", "parent", "valid_from", "valid_to", "opened_by", "closed_by")
    exclude = ["lft", "rght", "tree_id", "level"]


@admin.register(UnitIdentifier)
class UnitIdentifierAdmin(ReasonedHistoryAdmin):
    list_display = ["scheme", "value", "unit"]
    list_select_related = ["unit"]
    search_fields = ["value", "unit__slug"]


@admin.register(SourceDocument)
class SourceDocumentAdmin(ReasonedHistoryAdmin):
    list_display = ["key", "filename", "title"]


@admin.register(Citation)
class CitationAdmin(ReasonedHistoryAdmin):
    list_display = ["document", "heading", "role", "content_type", "object_id"]
    list_filter = ["document", "role"]
    search_fields = ["heading", "excerpt"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "content_type":
            # The kinds of record a passage can support, not every table of the site.
            kinds = ContentType.objects.get_for_models(*cited_models()).values()
            kwargs["queryset"] = ContentType.objects.filter(pk__in=[kind.pk for kind in kinds])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def cited_models() -> list[type]:
    """The models whose records citations can be about (those with a relation to them)."""
    return [
        model
        for model in apps.get_models()
        if any(
            isinstance(field, GenericRelation) and field.related_model is Citation
            for field in model._meta.private_fields
        )
    ]
