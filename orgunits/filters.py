import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _

from socialforvaltning.lib.dates import InvalidDate, parse_date

from .models import TARGET_GROUP_CHOICES_AND_NONE, Kind, Unit, UnitNode, stored_target_group

PER_PAGE = 50


class IsoDateField(forms.CharField):
    """A date written YYYY-MM-DD, read by the registry's one date parser."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_date(value)
        except InvalidDate as e:
            raise forms.ValidationError(str(e)) from None


class IsoDateFilter(django_filters.Filter):
    field_class = IsoDateField


class UnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or identifier"), method="search", max_length=200)
    # What the units were on the date given (else now): see `UnitQuerySet.classified_on`.
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Kind.choices, field_name="kind_on")
    target_group = django_filters.ChoiceFilter(
        label=_("Target group"), choices=TARGET_GROUP_CHOICES_AND_NONE, method="with_target_group"
    )
    date = IsoDateFilter(label=_("Existing on (YYYY-MM-DD)"), method="existing_on")

    class Meta:
        model = Unit
        fields = ["q", "kind", "target_group", "date"]

    def filter_queryset(self, queryset):
        queryset = queryset.classified_on(self.form.cleaned_data.get("date"))
        return super().filter_queryset(queryset)

    def page(self, number) -> Page:
        """The page `number` of the units found (the filter is valid), by name: on the date
        given, by their names then, which the database walks in order; else by their latest
        names. With what each row shows, its names and placements."""
        date = self.form.cleaned_data.get("date")
        units = self.qs.prefetch_related(
            "names", Prefetch("nodes", UnitNode.objects.with_datings())
        )
        units = units.by_name_on(date) if date else units.by_name(None)
        paginator = Paginator(units, PER_PAGE)
        if date and not any(self.form.cleaned_data.get(f) for f in ("q", "kind", "target_group")):
            # The units existing on the date are as many as the placements on it (a unit has
            # one at a time, and a placed unit is on record): one table counted, not the
            # units joined to their placements, names and classifications.
            paginator.count = UnitNode.objects.valid_on(date).count()
        return paginator.get_page(number)

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(names__name__icontains=value)
            | Q(names__short_name__icontains=value)
            | Q(identifiers__value__iexact=value)
            | Q(slug__icontains=value)
        ).distinct()

    def with_target_group(self, queryset, name, value):
        return queryset.filter(target_group_on=stored_target_group(value))

    def existing_on(self, queryset, name, value):
        return queryset.existing_on(value)
