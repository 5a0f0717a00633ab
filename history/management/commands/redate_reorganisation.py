from django.utils.translation import gettext_lazy as _

from history.management.correction_command import CorrectionCommand, date_argument
from history.services import redate_reorganisation
from socialforvaltning.periods import Certainty


class Command(CorrectionCommand):
    help = _(
        "Give a reorganisation another date and certainty; the structure is replayed from the "
        "earlier of the two dates. Nothing is written if the replay is refused."
    )
    done = _("“%(title)s” is now dated %(date)s (%(status)s).")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("date", metavar="YYYY-MM-DD")
        parser.add_argument(
            "--certainty",
            choices=[c.value for c in Certainty if c != Certainty.UNKNOWN],
            default=Certainty.EXACT,
        )
        parser.add_argument("--not-before", metavar="YYYY-MM-DD")
        parser.add_argument("--not-after", metavar="YYYY-MM-DD")

    def correct(self, reorganisation, *, reason, user, options):
        bounds = {
            name: date_argument(options[name]) if options[name] else None
            for name in ("not_before", "not_after")
        }
        return redate_reorganisation(
            reorganisation,
            date=date_argument(options["date"]),
            certainty=options["certainty"],
            reason=reason,
            user=user,
            **bounds,
        )
