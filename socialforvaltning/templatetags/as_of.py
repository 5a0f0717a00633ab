"""Links that keep what a page is showing (see socialforvaltning.asof), and dates written
short in the reader's language."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import pgettext_lazy

from socialforvaltning.asof import given

register = template.Library()

# Django date formats, translated: Danish writes "1. sept. 2008", English "1 Sep 2008".
SHORT_DATE = pgettext_lazy("Django date format of a short date", "j M Y")
SHORT_DATETIME = pgettext_lazy("Django date format of a short date and time", "j M Y H:i")


@register.filter(expects_localtime=True)
def short_date(value, with_time: bool = False) -> str:
    """`{{ day|short_date }}`, `{{ moment|short_date:True }}`."""
    if not value:
        return ""
    return date_format(value, str(SHORT_DATETIME if with_time else SHORT_DATE))


@register.simple_tag(takes_context=True)
def as_of_url(context, viewname, *args, date=None, **params):
    """`{% as_of_url 'orgunits:detail' unit.slug %}`: the page for the same date and record
    time (`date=` another date; more parameters are added to the query)."""
    as_of = context.get("as_of")
    path = reverse(viewname, args=args)
    if as_of is None:  # a page whose own date was malformed: links name no date of theirs
        query = urlencode(given(params))
        return f"{path}?{query}" if query else path
    return f"{path}?{as_of.on(date).query(**params)}"


@register.simple_tag(takes_context=True)
def as_of_query(context, date=None, **params):
    """`href="{% as_of_query root=unit.slug %}"`: this page again, with other parameters."""
    as_of = context.get("as_of")
    if as_of is None:
        return ""
    return f"?{as_of.on(date).query(**params)}"


@register.filter
def uncertain_on(period, date) -> bool:
    """`{% if r|uncertain_on:date %}`: whether it is unknown if the period held on the date
    (socialforvaltning.periods.Dated.uncertain_on)."""
    return date is not None and period.uncertain_on(date)
