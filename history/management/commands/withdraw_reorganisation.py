from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from history.models import Reorganisation
from history.services import withdraw_reorganisation
from orgunits.seed import system_user


def reorganisation_argument(value) -> Reorganisation:
    """The reorganisation numbered `value` (the number in /changes/<id>/)."""
    try:
        return Reorganisation.objects.get(pk=int(value))
    except (ValueError, Reorganisation.DoesNotExist):
        raise CommandError(
            _("There is no reorganisation number %(id)s (see /changes/).") % {"id": value}
        ) from None


class Command(BaseCommand):
    help = _(
        "Withdraw a reorganisation: it stays on record as withdrawn and no longer shapes the "
        "structure, which is replayed from its date. Nothing is written if the replay is "
        "refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("id", help=_("The number in /changes/<id>/."))
        parser.add_argument("--reason", required=True)

    def handle(self, *args, id, reason, **options):
        reorganisation = reorganisation_argument(id)
        try:
            withdraw_reorganisation(reorganisation, reason=reason, user=system_user())
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            _("Withdrew “%(title)s” (%(date)s).")
            % {"title": reorganisation.title, "date": reorganisation.date_display}
        )
