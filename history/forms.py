"""The archivists' form for a dated change: a reorganisation with its changes, which the
admin previews and then applies through `apply_reorganisation`."""

import hashlib
import json

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from orgunits.models import (
    NAMING,
    NO_TARGET_GROUP,
    Kind,
    SourceDocument,
    TargetGroup,
    Unit,
    UnitName,
    stored_target_group,
)
from responsibilities.models import Responsibility, Task
from socialforvaltning.lib.dates import InvalidDate, parse_date
from socialforvaltning.lib.text import hidden_characters
from socialforvaltning.periods import Certainty

from .changes import (
    Cite,
    Create,
    Dissolve,
    Merge,
    Move,
    Place,
    Reclassify,
    Recreate,
    Rename,
    Split,
    TransferTasks,
    naming_of,
)
from .models import Reorganisation
from .services import REASON_MAX_LENGTH, recorded_specs


class IsoDateField(forms.CharField):
    # Typed as text, YYYY-MM-DD: a browser's date input sends an impossible date (30 February)
    # as nothing, so the form could only say "required" and lose what was typed.
    widget = forms.TextInput(attrs={"placeholder": _("YYYY-MM-DD"), "size": 12, "maxlength": 10})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_date(value)
        except InvalidDate as e:
            raise ValidationError(str(e)) from None


class PlainTextForm(forms.Form):
    """A form whose text is stored as typed: characters that would show as something else
    (control characters, direction overrides) are refused beside their field."""

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, str) and (hidden := hidden_characters(value)):
                self.add_error(
                    name,
                    _("Remove the invisible characters %(chars)s (pasted from elsewhere?).")
                    % {"chars": ", ".join(hidden)},
                )
        return data


class ReorganisationForm(PlainTextForm):
    title = forms.CharField(label=_("Title"), max_length=300)
    date = IsoDateField(
        label=_("Effective date"),
        help_text=_("The day the change took effect (YYYY-MM-DD), however long ago."),
    )
    certainty = forms.ChoiceField(
        label=_("Certainty of the date"),
        choices=[(c.value, c.label) for c in Certainty if c != Certainty.UNKNOWN],
        initial=Certainty.EXACT,
    )
    not_before = IsoDateField(label=_("Not before"), required=False)
    not_after = IsoDateField(label=_("Not after"), required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    document = forms.ModelChoiceField(
        label=_("Source document"),
        queryset=SourceDocument.objects.all(),
        required=False,
        to_field_name="key",
    )
    heading = forms.CharField(label=_("Heading in the source"), max_length=300, required=False)
    excerpt = forms.CharField(
        label=_("Passage"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("The passage that says so, verbatim."),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (Reorganisation.Status.IN_FORCE, _("in force: it has taken effect")),
            (Reorganisation.Status.PLANNED, _("planned: decided or expected, not in force yet")),
        ],
        initial=Reorganisation.Status.IN_FORCE,
        required=False,
        help_text=_(
            "A planned reorganisation is checked and kept, invisible to staff, until it is put "
            "in force from its page in the admin."
        ),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=100,
        help_text=_("Kept in the history of every record this writes, beside your name."),
    )

    def clean(self):
        data = super().clean()
        if data.get("document") and not (data.get("heading") and data.get("excerpt")):
            self.add_error("excerpt", _("A source needs its heading and the passage."))
        return data

    def reorganisation_kwargs(self, changes):
        d = self.cleaned_data
        cite = ()
        if d.get("document"):
            cite = (Cite(document=d["document"].key, heading=d["heading"], excerpt=d["excerpt"]),)
        return {
            "title": d["title"],
            "date": d["date"],
            "certainty": d["certainty"],
            "not_before": d.get("not_before"),
            "not_after": d.get("not_after"),
            "description": d.get("description", ""),
            "reason": d["reason"],
            "changes": changes,
            "cite": cite,
            "status": d.get("status") or Reorganisation.Status.IN_FORCE,
        }


def correction_reason() -> forms.CharField:
    return forms.CharField(
        label=_("Reason for the correction"),
        max_length=REASON_MAX_LENGTH,
        help_text=_(
            "Kept in the history of every record it writes, beside your name; cite the "
            "source that shows the record was wrong."
        ),
    )


class CorrectionForm(PlainTextForm):
    """A correction of a recorded reorganisation: withdraw it, re-date it, or put it (back)
    in force. Each is previewed, needs a reason and replays the structure."""

    ACTIONS = [
        ("withdraw", _("withdraw it (it stays on record, struck through)")),
        ("redate", _("give it another date")),
        ("in_force", _("put it in force (planned or withdrawn)")),
    ]
    action = forms.ChoiceField(label=_("Correction"), choices=ACTIONS, widget=forms.RadioSelect)
    date = IsoDateField(label=_("New date"), required=False)
    certainty = forms.ChoiceField(
        label=_("Certainty of the new date"),
        choices=[(c.value, c.label) for c in Certainty if c != Certainty.UNKNOWN],
        initial=Certainty.EXACT,
    )
    not_before = IsoDateField(label=_("Not before"), required=False)
    not_after = IsoDateField(label=_("Not after"), required=False)
    reason = correction_reason()

    def clean(self):
        data = super().clean()
        if data.get("action") == "redate" and not data.get("date"):
            self.add_error("date", _("Give the new date."))
        return data

    def correction(self, changes=None):
        """The correction to run, and its keyword arguments."""
        from .services import put_in_force, redate_reorganisation, withdraw_reorganisation

        d = self.cleaned_data
        if d["action"] == "withdraw":
            return withdraw_reorganisation, {"reason": d["reason"]}
        if d["action"] == "in_force":
            return put_in_force, {"reason": d["reason"]}
        return redate_reorganisation, {
            "reason": d["reason"],
            "date": d["date"],
            "certainty": d["certainty"],
            "not_before": d.get("not_before"),
            "not_after": d.get("not_after"),
        }


class RevisionForm(PlainTextForm):
    """The reason for revising a reorganisation's changes (the rows are a formset)."""

    reason = correction_reason()

    def correction(self, changes):
        from .services import revise_reorganisation

        specs = [spec for _row, spec in given_rows(changes)]
        return revise_reorganisation, {"reason": self.cleaned_data["reason"], "changes": specs}


class ChangeForm(PlainTextForm):
    KINDS = [
        ("", "—"),
        ("create", _("create a unit")),
        ("place", _("place a draft unit")),
        ("rename", _("rename")),
        ("reclassify", _("reclassify (new kind or target group)")),
        ("move", _("move / re-anchor")),
        ("merge", _("merge (units into one)")),
        ("split", _("split (a unit into units)")),
        ("dissolve", _("dissolve")),
        ("transfer", _("transfer tasks")),
    ]
    kind = forms.ChoiceField(label=_("Change"), choices=KINDS, required=False)
    unit = forms.CharField(
        label=_("Unit"),
        max_length=400,
        required=False,
        widget=forms.TextInput(attrs={"list": "registry-units", "autocomplete": "off"}),
        help_text=_("Its identifier (slug); for a merge, the merged units separated by commas."),
    )
    target = forms.CharField(
        label=_("To / under"),
        max_length=400,
        required=False,
        widget=forms.TextInput(attrs={"list": "registry-units", "autocomplete": "off"}),
        help_text=_(
            "New parent (create, move), the resulting unit (merge), the resulting units "
            "separated by commas (split), or the unit taking over the tasks (transfer)."
        ),
    )
    no_target = forms.BooleanField(
        label=_("No unit"),
        required=False,
        help_text=_(
            "Instead of “To / under”: a unit at the top, under no other (create, place), or "
            "tasks ended on purpose, taken over by no unit (transfer)."
        ),
    )
    tasks = forms.CharField(
        label=_("Tasks"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"list": "registry-tasks", "autocomplete": "off"}),
        help_text=_("For a transfer: the tasks' identifiers (slugs), separated by commas."),
    )
    name = forms.CharField(label=_("New name"), max_length=300, required=False)
    short_name = forms.CharField(label=_("Short name"), max_length=100, required=False)
    name_inferred = forms.BooleanField(
        label=_("Name: the registry's reading"),
        required=False,
        help_text=_("Tick when no source writes the name so: the registry formed it."),
    )
    short_name_inferred = forms.BooleanField(
        label=_("Short name: the registry's reading"),
        required=False,
        help_text=_("Tick when no source uses the short name: the registry formed it."),
    )
    unit_kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", "—"), *Kind.choices],
        required=False,
        help_text=_("Of a new unit, or what a reclassified unit becomes (— keeps its kind)."),
    )
    kind_inferred = forms.BooleanField(
        label=_("Create: the kind is the registry's reading"),
        required=False,
        help_text=_("Tick when no source says what kind of unit it is."),
    )
    target_group = forms.ChoiceField(
        label=_("Target group"),
        choices=[("", "—"), (NO_TARGET_GROUP, _("none")), *TargetGroup.choices],
        required=False,
        help_text=_("Of a new unit, or a reclassified unit's new one (— keeps it)."),
    )
    role = forms.ChoiceField(
        label=_("Role (transfer)"),
        choices=[("", _("the same")), *Responsibility.Role.choices],
        required=False,
    )
    post = forms.CharField(
        label=_("Post (transfer)"),
        max_length=100,
        required=False,
        help_text=_("The post in the receiving unit that holds the tasks (its slug), if known."),
    )
    keep_post = forms.BooleanField(
        label=_("Transfer: keep each task's post"),
        required=False,
    )
    inferred = forms.BooleanField(
        label=_("Transfer: the registry's reading"),
        required=False,
        help_text=_("Tick when no source says where the tasks went: the registry infers it."),
    )
    split_continues = forms.BooleanField(
        label=_("Split: the unit continues"),
        required=False,
        help_text=_("Tick when part of a unit is split off and the unit itself goes on."),
    )
    leave_tasks = forms.BooleanField(
        label=_("Merge: do not hand on the tasks"),
        required=False,
        help_text=_(
            "A merge hands the tasks the merged units still hold to the resulting unit. Tick "
            "this to transfer or end each of them in rows of their own instead."
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if not kind:
            return data
        needs = {
            "create": ("unit", "target", "name", "unit_kind"),
            "place": ("unit", "target"),
            "rename": ("unit", "name"),
            "reclassify": ("unit",),
            "move": ("unit", "target"),
            "merge": ("unit", "target"),
            "split": ("unit", "target"),
            "dissolve": ("unit",),
            "transfer": ("unit", "target", "tasks"),
        }[kind]
        may_have_no_target = kind in ("create", "place", "transfer")
        if data.get("short_name_inferred") and not data.get("short_name"):
            self.add_error(
                "short_name_inferred", _("Only a short name can be the registry's reading.")
            )
        if data.get("no_target"):
            if not may_have_no_target:
                self.add_error("no_target", _("Only a creation, a placement or a transfer."))
            elif data.get("target"):
                self.add_error("target", _("Leave this empty when “No unit” is ticked."))
        for field in needs:
            if field == "target" and data.get("no_target") and may_have_no_target:
                continue
            if not data.get(field):
                self.add_error(field, _("Needed for this kind of change."))
        if kind == "reclassify" and not (data.get("unit_kind") or data.get("target_group")):
            self.add_error("unit_kind", _("Give the new kind, the new target group or both."))
        return data

    def spec(self):
        d = self.cleaned_data
        kind, note = d.get("kind"), d.get("note", "")
        if not kind:
            return None
        listed = [s.strip() for s in d.get("target", "").split(",") if s.strip()]
        target = None if d.get("no_target") else d["target"]
        if kind == "create":
            return Create(
                slug=d["unit"],
                **_naming(d),
                parent=target,
                kind=d["unit_kind"],
                kind_inferred=bool(d.get("kind_inferred")),
                target_group=stored_target_group(d["target_group"]),
                note=note,
            )
        if kind == "place":
            return Place(unit=d["unit"], parent=target, **_naming(d), note=note)
        if kind == "rename":
            return Rename(unit=d["unit"], **_naming(d), note=note)
        if kind == "reclassify":
            return Reclassify(
                unit=d["unit"],
                kind=d["unit_kind"] or None,
                target_group=_target_group(d["target_group"]),
                note=note,
            )
        if kind == "move":
            return Move(unit=d["unit"], to=d["target"], note=note)
        if kind == "merge":
            units = [s.strip() for s in d["unit"].split(",") if s.strip()]
            return Merge(
                units=units,
                into=d["target"],
                note=note,
                hands_on_tasks=not d.get("leave_tasks"),
            )
        if kind == "split":
            return Split(unit=d["unit"], into=listed, ends=not d.get("split_continues"), note=note)
        if kind == "transfer":
            tasks = [s.strip() for s in d["tasks"].split(",") if s.strip()]
            # A post belongs to one unit: which post holds the tasks in the receiving unit is
            # for a correction of the responsibility afterwards, when a source says so.
            return TransferTasks(
                from_unit=d["unit"],
                to_unit=target,
                tasks=tasks,
                role=d.get("role") or None,
                post=... if d.get("keep_post") else (d.get("post") or None),
                inferred=bool(d.get("inferred")),
                note=note,
            )
        return Dissolve(unit=d["unit"], note=note)


def _naming(d) -> dict:
    """A row's name as the specs take it (`naming_of` for the cleaned data)."""
    return {field: d[field] for field in NAMING}


def _target_group(value: str) -> str | None:
    """The form's target group as a spec's: None not given, "" none."""
    return stored_target_group(value) if value else None


# What a post says besides the form itself: the buttons, the token, the preview's digest.
NOT_SAID = {"csrfmiddlewaretoken", "_preview", "_apply", "_add_row", "previewed"}


def what_the_form_says(data) -> str:
    """A digest of everything the posted form says: a preview carries it (`previewed`), so
    that a confirmation of a form changed after its preview is caught."""
    said = sorted(
        (key, value) for key, values in data.lists() if key not in NOT_SAID for value in values
    )
    return hashlib.sha256(json.dumps(said).encode()).hexdigest()[:32]


def confirms_the_preview(data) -> bool:
    """Whether the form posted is the one previewed (a post with no preview behind it, from a
    script, stands for itself)."""
    previewed = data.get("previewed")
    return previewed is None or previewed == what_the_form_says(data)


def given_rows(changes) -> list[tuple]:
    """(row form, spec) of each row of the formset that gives a change, in order."""
    return [(row, spec) for row in changes.forms if (spec := row.spec()) is not None]


def show_refusal(form, changes, error: ValidationError) -> None:
    """Put a refusal of the writer beside the row whose change it refused (the writer says
    which: `change_position`), and say at the top where to look; else at the top."""
    position = getattr(error, "change_position", None)
    rows = given_rows(changes) if changes is not None else []
    if position is None or position >= len(rows):
        form.add_error(None, error.messages)
        return
    row, _spec = rows[position]
    row.add_error(None, error.messages)
    form.add_error(
        None,
        _("Change %(n)s cannot be applied; see the message above its row.")
        % {"n": changes.forms.index(row) + 1},
    )


ChangeFormSet = forms.formset_factory(ChangeForm, extra=3, max_num=50, validate_max=True)
# The rows a person has typed (or a recorded reorganisation's), and one empty row more.
GrowingChangeFormSet = forms.formset_factory(ChangeForm, extra=1, max_num=50, validate_max=True)


# The suggestions of the unit and task fields stop here: a registry of a whole municipality
# would otherwise put a megabyte of options into every form.
MAX_SUGGESTIONS = 5000


def registry_choices() -> dict:
    """The units (slug, latest name) and tasks (slug, name) the form's fields suggest."""
    latest_name = (
        UnitName.objects.authorised()
        .filter(unit=OuterRef("pk"))
        .order_by(F("valid_from").desc(nulls_last=True))
        .values("name")[:1]
    )
    units = Unit.objects.annotate(label=Subquery(latest_name)).order_by("slug")
    return {
        "unit_choices": list(units.values_list("slug", "label")[:MAX_SUGGESTIONS]),
        "task_choices": list(
            Task.objects.order_by("slug").values_list("slug", "name")[:MAX_SUGGESTIONS]
        ),
    }


def with_another_row(post, prefix: str = "changes"):
    """The rows a person has typed, unbound (no error shown for a row not finished yet), and
    one empty row more: how the form grows without JavaScript."""
    typed = ChangeFormSet(post, prefix=prefix)
    rows = [{name: bound[name].value() for name in ChangeForm.base_fields} for bound in typed]
    return GrowingChangeFormSet(initial=rows[:49], prefix=prefix)


def initial_rows(reorganisation) -> list[dict]:
    """A recorded reorganisation's changes as rows of the dated-change form, to revise them.
    A creation comes back as the placement of the unit, whose record stays when its
    creation is revised."""
    return [row_of(spec) for spec in recorded_specs(reorganisation)]


def row_of(spec) -> dict:
    """The form row that gives `spec` back (`ChangeForm.spec` the other way round)."""
    row = {"note": spec.note}
    if isinstance(spec, Recreate):
        return {
            **row,
            "kind": "place",
            "unit": spec.unit,
            "target": spec.parent or "",
            "no_target": spec.parent is None,
            **naming_of(spec),
        }
    if isinstance(spec, Rename):
        return {**row, "kind": "rename", "unit": spec.unit, **naming_of(spec)}
    if isinstance(spec, Reclassify):
        return {
            **row,
            "kind": "reclassify",
            "unit": spec.unit,
            "unit_kind": spec.kind or "",
            "target_group": NO_TARGET_GROUP if spec.target_group == "" else spec.target_group or "",
        }
    if isinstance(spec, Move):
        return {**row, "kind": "move", "unit": spec.unit, "target": spec.to}
    if isinstance(spec, Dissolve):
        return {**row, "kind": "dissolve", "unit": spec.unit}
    if isinstance(spec, Merge):
        return {
            **row,
            "kind": "merge",
            "unit": ", ".join(spec.units),
            "target": spec.into,
            "leave_tasks": not spec.hands_on_tasks,
        }
    if isinstance(spec, Split):
        return {
            **row,
            "kind": "split",
            "unit": spec.unit,
            "target": ", ".join(spec.into),
            "split_continues": not spec.ends,
        }
    return {
        **row,
        "kind": "transfer",
        "unit": spec.from_unit,
        "target": spec.to_unit or "",
        "no_target": spec.to_unit is None,
        "tasks": ", ".join(spec.tasks),
        "role": spec.role or "",
        "post": spec.post if isinstance(spec.post, str) else "",
        "keep_post": spec.post is ...,
        "inferred": spec.inferred,
    }
