from django.utils.translation import gettext_lazy as _

from history.management.correction_command import CorrectionCommand
from history.services import put_in_force


class Command(CorrectionCommand):
    help = _(
        "Put a planned or withdrawn reorganisation (back) in force; the structure is replayed "
        "from its date. Nothing is written if the replay is refused."
    )
    done = _("“%(title)s” is in force from %(date)s.")

    def correct(self, reorganisation, *, reason, user, options):
        return put_in_force(reorganisation, reason=reason, user=user)
