from django import template

from socialforvaltning.lib.people import public_name as name_of

register = template.Library()


@register.filter
def public_name(user) -> str:
    return name_of(user)
