"""Comparing two versions of a record from its history (django-simple-history rows)."""

from dataclasses import dataclass

from django import forms
from django.db import models
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, record):
        who = record.history_user or gettext("the system")
        # In Copenhagen time, as the templates show it (`date_format` alone would give UTC).
        when = date_format(localtime(record.history_date), "SHORT_DATETIME_FORMAT")
        reason = record.history_change_reason or "—"
        return f"{when} · {who} · {reason}"


class VersionsForm(forms.Form):
    """Choose two versions of one record; either order works."""

    a = VersionChoiceField(label=_("Version"), queryset=None, to_field_name="history_id")
    b = VersionChoiceField(label=_("compared with"), queryset=None, to_field_name="history_id")

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        versions = versions.order_by("-history_date", "-history_id")
        for name in ("a", "b"):
            self.fields[name].queryset = versions
            self.fields[name].error_messages["invalid_choice"] = _(
                "That version does not belong to this record's history."
            )
        recent = list(versions[:2])
        if len(recent) == 2:
            self.fields["a"].initial, self.fields["b"].initial = (
                recent[1].history_id,
                recent[0].history_id,
            )

    def chosen(self):
        """(older, newer)."""
        a, b = self.cleaned_data["a"], self.cleaned_data["b"]
        return sorted([a, b], key=lambda r: (r.history_date, r.history_id))


@dataclass
class FieldRow:
    label: str
    old: str
    new: str
    changed: bool


class VersionComparison:
    """Every tracked field of two versions, old beside new, and which of them differ."""

    def __init__(self, older, newer):
        self.older, self.newer = older, newer
        self.delta = newer.diff_against(older)
        changed = {change.field for change in self.delta.changes}
        self.rows = [
            FieldRow(
                label=str(field.verbose_name),
                old=_display(older, field),
                new=_display(newer, field),
                changed=field.name in changed,
            )
            for field in older.tracked_fields
        ]

    @property
    def changed_count(self) -> int:
        return sum(row.changed for row in self.rows)

    @property
    def changed_rows(self) -> list[FieldRow]:
        return [row for row in self.rows if row.changed]


def _display(record, field: models.Field) -> str:
    value = getattr(record, field.attname)
    if value is None or value == "":
        return "—"
    if field.many_to_one:
        try:
            return str(getattr(record, field.name))
        except field.related_model.DoesNotExist:
            return f"#{value}"
    if field.flatchoices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return str(value)
