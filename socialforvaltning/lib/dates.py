"""The one way to read "as of a date" from a request, and to show a date."""

import datetime

from django.core.exceptions import BadRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

# Dates outside this window are almost certainly typing errors (year 208 for 2008, …).
EARLIEST = datetime.date(1800, 1, 1)
LATEST = datetime.date(2200, 12, 31)


class InvalidDate(BadRequest):
    """A date parameter that is malformed or impossible; the message says which, `param`
    names the parameter (so that the error page can show it again beside the message)."""

    def __init__(self, message, param: str = ""):
        super().__init__(message)
        self.param = param


def parse_date(
    value: str | None, *, default: datetime.date | None = None, name: str = "date"
) -> datetime.date:
    """Parse YYYY-MM-DD; an empty or missing value gives `default` (today if None)."""
    if value is None or value.strip() == "":
        return default if default is not None else datetime.date.today()
    value = value.strip()
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise InvalidDate(
            _("“%(value)s” is not a date: write it as YYYY-MM-DD, e.g. 2008-09-01.")
            % {"value": value[:40]},
            param=name,
        )
    try:
        date = datetime.date.fromisoformat(value)
    except ValueError:
        raise InvalidDate(
            _("%(value)s is not a date that exists in the calendar.") % {"value": value},
            param=name,
        ) from None
    if not EARLIEST <= date <= LATEST:
        raise InvalidDate(
            _("%(value)s lies outside the years the registry covers (%(first)s–%(last)s).")
            % {"value": value, "first": EARLIEST.year, "last": LATEST.year},
            param=name,
        )
    return date


def date_from_request(request, name: str = "date", *, default=None) -> datetime.date:
    """The one way a page reads "as of a date" from its query string."""
    return parse_date(request.GET.get(name), default=default, name=name)


def parse_moment(value: str, *, name: str = "recorded") -> datetime.datetime:
    """Parse YYYY-MM-DDTHH:MM (or a bare date, meaning its end) as a moment in the registry's
    time zone: when the registry recorded something."""
    value = value.strip()
    if len(value) == 10:
        date = parse_date(value, name=name)
        moment = datetime.datetime.combine(date, datetime.time(23, 59, 59))
    else:
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise InvalidDate(
                _(
                    "“%(value)s” is not a moment: write it as YYYY-MM-DDTHH:MM, "
                    "e.g. 2026-11-01T14:30."
                )
                % {"value": value[:40]},
                param=name,
            ) from None
        parse_date(moment.date().isoformat(), name=name)  # the same bounds as any date
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    # In UTC: an offset Python accepts (up to ±23:59) may lie beyond what PostgreSQL takes.
    return moment.astimezone(datetime.UTC)


def recorded_from_request(request, name: str = "recorded") -> datetime.datetime | None:
    """The moment of record time a page should show, or None for what the registry says now."""
    value = request.GET.get(name, "")
    if not value.strip():
        return None
    moment = parse_moment(value, name=name)
    if moment > timezone.now():
        raise InvalidDate(
            _("%(value)s lies in the future: the registry can show only what it has recorded.")
            % {"value": value[:40]},
            param=name,
        )
    return moment


def format_date(date: datetime.date | None) -> str:
    if date is None:
        return ""
    return formats.date_format(date, "DATE_FORMAT")
