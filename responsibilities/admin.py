from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from orgunits.admin import CitationInline
from socialforvaltning.admin_base import ReasonedHistoryAdmin

from .models import Post, Responsibility, Task

# When and where a responsibility held is structure: it changes through a dated reorganisation
# (a transfer of tasks), not by editing the record.
PERIOD_FIELDS = (
    "task",
    "unit",
    "role",
    "valid_from",
    "valid_to",
    "certainty",
    "not_before",
    "not_after",
    "opened_by",
    "closed_by",
)


class ResponsibilityInline(admin.TabularInline):
    model = Responsibility
    extra = 0
    fields = ["unit", "role", "post", "valid_from", "valid_to", "certainty", "inferred", "note"]
    readonly_fields = ["unit", "role", "valid_from", "valid_to", "certainty"]
    autocomplete_fields = ["post"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit", "post")

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(ReasonedHistoryAdmin):
    list_display = ["name", "slug", "category"]
    list_filter = ["category"]
    search_fields = ["name", "slug", "synonyms", "description"]
    structural_fields = ("slug",)
    inlines = [ResponsibilityInline, CitationInline]


@admin.register(Post)
class PostAdmin(ReasonedHistoryAdmin):
    list_display = ["title", "kind", "unit", "inferred"]
    list_filter = ["kind", "inferred"]
    list_select_related = ["unit"]
    search_fields = ["title", "slug", "unit__slug"]
    autocomplete_fields = ["unit"]
    structural_fields = ("slug", "unit")
    inlines = [CitationInline]


@admin.register(Responsibility)
class ResponsibilityAdmin(ReasonedHistoryAdmin):
    list_display = ["task", "unit", "role", "post", "period", "certainty", "inferred"]
    list_filter = ["role", "certainty", "inferred", "task__category"]
    list_select_related = ["task", "unit", "post"]
    search_fields = ["task__name", "task__slug", "unit__slug", "unit__names__name"]
    autocomplete_fields = ["task", "unit", "post"]
    readonly_fields = ["opened_by", "closed_by"]
    structural_fields = PERIOD_FIELDS
    inlines = [CitationInline]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("period"))
    def period(self, responsibility):
        return responsibility.period_display
