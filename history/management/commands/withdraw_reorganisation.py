from django.utils.translation import gettext_lazy as _

from history.management.correction_command import CorrectionCommand
from history.services import withdraw_reorganisation


class Command(CorrectionCommand):
    help = _(
        "Withdraw a reorganisation: it stays on record as withdrawn and no longer shapes the "
        "structure, which is replayed from its date. Nothing is written if the replay is "
        "refused."
    )
    done = _("Withdrew “%(title)s” (%(date)s).")

    def correct(self, reorganisation, *, reason, user, options):
        return withdraw_reorganisation(reorganisation, reason=reason, user=user)
