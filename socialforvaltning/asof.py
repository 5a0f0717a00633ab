"""What a page is showing: the organisation on a date (valid time), as the registry recorded
it at a moment (record time; by default, what it says now).

Every view reads it with `AsOf.from_request`, the context processor hands the same object to
every template, and the `as_of_url` and `as_of_query` tags write links that keep it, so a
visitor who asked for "1 June 2009 as recorded on 1 December" stays there from page to page.
"""

import dataclasses
import datetime
from urllib.parse import urlencode

from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from socialforvaltning.lib.dates import InvalidDate, date_from_request, recorded_from_request


@dataclasses.dataclass(frozen=True)
class AsOf:
    date: datetime.date
    recorded: datetime.datetime | None = None

    @classmethod
    def from_request(cls, request, *, recorded: bool = True) -> "AsOf":
        """`?date=` (today if absent) and `?recorded=` (now if absent); a malformed value is an
        InvalidDate, a 400 that says what was wrong. Read once per request. A page that shows
        only what the registry says now asks with `recorded=False`: it neither reads a moment
        nor passes one on in its links."""
        as_of = getattr(request, "_as_of", None)
        if as_of is None:
            moment = recorded_from_request(request) if recorded else None
            as_of = request._as_of = cls(date_from_request(request), moment)
        return as_of

    def on(self, date: datetime.date | None) -> "AsOf":
        """The same record time on another date (a link to the day a unit began, say)."""
        return dataclasses.replace(self, date=date) if date is not None else self

    def params(self, **more) -> dict:
        """The page's own parameters first (what it is), then when."""
        params = given(more)
        params["date"] = self.date.isoformat()
        if self.recorded is not None:
            params["recorded"] = timezone.localtime(self.recorded).strftime("%Y-%m-%dT%H:%M:%S")
        return params

    def query(self, **more) -> str:
        """The query string that asks for this (with `more` parameters), without the "?"."""
        return urlencode(self.params(**more))


def given(params: dict) -> dict:
    """The parameters that have a value (a link leaves out the empty ones)."""
    return {k: v for k, v in params.items() if v not in (None, "")}


def as_of(request) -> dict:
    """The context processor: the page's AsOf, or None where the request's own is malformed
    (the error page that says so still renders, with links that carry no date)."""
    try:
        return {"as_of": AsOf.from_request(request)}
    except (InvalidDate, SuspiciousOperation):  # also a query Django refuses to read
        return {"as_of": None}
