from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category, Task
from .search import ranking

MAX_QUERY_LENGTH = 200
MAX_PAGE = 100_000  # far past any page, and an offset every database takes


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

    page = forms.IntegerField(
        label=_("Page"),
        required=False,
        min_value=1,
        max_value=MAX_PAGE,
        error_messages={
            "invalid": _("The page is a whole number, 1 or more."),
            "min_value": _("The page is a whole number, 1 or more."),
            "max_value": _("The page is at most %(limit_value)s."),
        },
    )

    def error_message(self) -> str:
        return " ".join(message for errors in self.errors.values() for message in errors)

    @property
    def query(self) -> str:
        return self.cleaned_data["q"].strip()

    def ranks(self) -> list:
        """How to rank the tasks the words find: name matches first (none for a category)."""
        return ranking(self.query) if self.query else []

    def tasks(self):
        """The tasks asked for (the form is valid): found by the words, else those of the
        category, else None (nothing asked)."""
        if self.query:
            return Task.objects.search(self.query)
        if self.cleaned_data["category"]:
            return Task.objects.filter(category=self.cleaned_data["category"])
        return None
