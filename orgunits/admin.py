from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.urls import path
from django.utils.translation import gettext_lazy as _

from history.admin_base import ReadOnlyHistoryAdmin, ReasonedHistoryAdmin

from .eaccpf.admin_views import import_eaccpf
from .models import Citation, SourceDocument, Unit, UnitIdentifier, UnitName, UnitNode


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
    fields = ["kind", "name", "short_name", "language", "valid_from", "valid_to"]
    readonly_fields = ["valid_from", "valid_to"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Unit)
class UnitAdmin(ReasonedHistoryAdmin):
    list_display = ["slug", "display_name", "kind", "target_group"]
    list_filter = ["kind", "target_group"]
    search_fields = ["slug", "names__name", "names__short_name", "identifiers__value"]
    structural_fields = ("slug",)
    inlines = [NameInline, IdentifierInline, CitationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("names")

    def get_urls(self):
        return [
            path(
                "import-eac-cpf/",
                self.admin_site.admin_view(import_eaccpf),
                {"site": self.admin_site},
                name="orgunits_unit_import_eaccpf",
            ),
            *super().get_urls(),
        ]

    def has_delete_permission(self, request, obj=None):
        """Delimit, don't delete: a unit is ended by a dated dissolution. Only a draft that
        was never placed in the structure may be deleted (its history stays)."""
        return (
            obj is not None
            and obj.record_status == "draft"
            and not obj.nodes.exists()
            and super().has_delete_permission(request, obj)
        )

    @admin.display(description=_("name"))
    def display_name(self, unit):
        return str(unit)


@admin.register(UnitName)
class UnitNameAdmin(ReasonedHistoryAdmin):
    """Correcting how a name is written is a correction; when it applied is structure."""

    list_display = ["name", "short_name", "unit", "kind", "valid_from", "valid_to"]
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
