"""How the public pages and exports name the people who edited the registry: by the name
their account gives (first and last name, which an archivist sets to their name or to a role
such as "Stadsarkivet"), else as "an archivist"; never by their login, which a visitor could
use to lock the account out by failing to log in with it."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

# The account that unattended writes (the seed, imports, generated organisations) are
# attributed to; the exports call its edits a machine's.
SYSTEM_USERNAME = "registret"


def public_name(user) -> str:
    if user is None:
        return _("unknown")
    return user.get_full_name().strip() or _("an archivist")


def system_user():
    """The account that seed loads and other unattended writes are attributed to.

    It cannot log in: it has no usable password and is inactive.
    """
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_active": False, "first_name": "Registret", "last_name": "(system)"},
    )
    if created:
        user.set_unusable_password()
        user.save()
    return user
