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

    # Digits as typed, 0–9: Python's int() would also take "٣" or "1_0".
    page = forms.RegexField(
        label=_("Page"),
        required=False,
        regex=r"^[1-9][0-9]*$",
        error_messages={"invalid": _("The page is a whole number, 1 or more.")},
    )

    def clean_page(self) -> int | None:
        page = self.cleaned_data["page"]
        if not page:
            return None
        if len(page) > len(str(MAX_PAGE)) or int(page) > MAX_PAGE:
            raise forms.ValidationError(
                _("The page is at most %(limit_value)s.") % {"limit_value": MAX_PAGE}
            )
        return int(page)

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
