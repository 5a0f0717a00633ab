from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from history.models import Certainty
from history.services import redate_reorganisation
from orgunits.seed import system_user

from .replay_structure import date_argument
from .withdraw_reorganisation import reorganisation_argument


class Command(BaseCommand):
    help = _(
        "Give a reorganisation another date and certainty; the structure is replayed from the "
        "earlier of the two dates. Nothing is written if the replay is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("id", help=_("The number in /changes/<id>/."))
        parser.add_argument("date", metavar="YYYY-MM-DD")
        parser.add_argument(
            "--certainty",
            choices=[c.value for c in Certainty if c != Certainty.UNKNOWN],
            default=Certainty.EXACT,
        )
        parser.add_argument("--not-before", metavar="YYYY-MM-DD")
        parser.add_argument("--not-after", metavar="YYYY-MM-DD")
        parser.add_argument("--reason", required=True)

    def handle(self, *args, **options):
        reorganisation = reorganisation_argument(options["id"])
        bounds = {
            name: date_argument(options[name]) if options[name] else None
            for name in ("not_before", "not_after")
        }
        try:
            reorganisation = redate_reorganisation(
                reorganisation,
                date=date_argument(options["date"]),
                certainty=options["certainty"],
                reason=options["reason"],
                user=system_user(),
                **bounds,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            _("“%(title)s” now takes effect %(date)s.")
            % {"title": reorganisation.title, "date": reorganisation.date_display}
        )
