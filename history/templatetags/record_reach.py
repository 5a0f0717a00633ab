"""Where a page shows a date later than the registry's knowledge reaches, it says so."""

from django import template

from history.models import Reorganisation

register = template.Library()


@register.inclusion_tag("history/_beyond_the_record.html")
def beyond_the_record(date):
    """`{% beyond_the_record date %}`: a note when `date` lies after the latest change the
    registry knows of (see ReorganisationQuerySet.recorded_up_to); nothing otherwise."""
    reach = Reorganisation.objects.recorded_up_to() if date is not None else None
    return {"date": date, "reach": reach, "beyond": reach is not None and date > reach}
