"""How the public pages and exports name the people who edited the registry: by the name
their account gives (first and last name, which an archivist sets to their name or to a role
such as "Stadsarkivet"), else as "an archivist"; never by their login, which a visitor could
use to lock the account out by failing to log in with it."""

from django.utils.translation import gettext as _


def public_name(user) -> str:
    if user is None:
        return _("unknown")
    return user.get_full_name().strip() or _("an archivist")
