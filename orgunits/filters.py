import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from socialforvaltning.lib.dates import InvalidDate, parse_date

from .models import TARGET_GROUP_CHOICES_AND_NONE, Kind, Unit, stored_target_group


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
