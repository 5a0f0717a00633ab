from django.contrib import admin

from .admin_base import ReadOnlyHistoryAdmin, ReasonedHistoryAdmin
from .models import Change, Reorganisation


class ChangeInline(admin.TabularInline):
    model = Change
    extra = 0
    fields = ["kind", "unit", "target", "previous_parent", "name", "short_name", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reorganisation)
class ReorganisationAdmin(ReasonedHistoryAdmin):
    """Title and description are corrections; the date and its certainty are structure."""

    list_display = ["date_display", "title", "certainty"]
    search_fields = ["title", "description"]
    structural_fields = ("key", "date", "certainty", "not_before", "not_after")
    inlines = [ChangeInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Change)
class ChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["reorganisation", "kind", "unit", "target"]
    list_select_related = ["reorganisation", "unit", "target"]
    list_filter = ["kind"]
