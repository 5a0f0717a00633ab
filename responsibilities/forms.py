from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category

MAX_QUERY_LENGTH = 200


class LookupForm(forms.Form):
    """The words to look for, or a category to browse. The date is read by the shared date
    parser, like on every page."""

    q = forms.CharField(
        label=_("Task"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        error_messages={
            "max_length": _(
                "The search is too long: write at most %(limit_value)d characters "
                "(it has %(show_value)d)."
            )
        },
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Category.choices],
        error_messages={"invalid_choice": _("“%(value)s” is not a category of tasks.")},
    )

    def error_message(self) -> str:
        return " ".join(message for errors in self.errors.values() for message in errors)
