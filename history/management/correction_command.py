"""What the correction commands share: the reorganisation named by its number, a reason, and
a refusal said as an error (exit status 1) with nothing written."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from history.models import Reorganisation
from socialforvaltning.lib.dates import InvalidDate, parse_date
from socialforvaltning.lib.people import system_user


def reorganisation_argument(value) -> Reorganisation:
    """The reorganisation numbered `value` (the number in /changes/<id>/)."""
    try:
        return Reorganisation.objects.get(pk=int(value))
    except (ValueError, Reorganisation.DoesNotExist):
        raise CommandError(
            _("There is no reorganisation number %(id)s (see /changes/).") % {"id": value}
        ) from None


def date_argument(value: str) -> datetime.date:
    if not value or not value.strip():  # the parser reads an empty date as today
        raise CommandError(_("Give the date as YYYY-MM-DD."))
    try:
        return parse_date(value)
    except InvalidDate as error:
        raise CommandError(str(error)) from None


class CorrectionCommand(BaseCommand):
    """A correction of one reorganisation: `correct` makes it, `done` says what was done."""

    done = ""

    def add_arguments(self, parser):
        parser.add_argument("id", help=_("The number in /changes/<id>/."))
        parser.add_argument("--reason", required=True)

    def correct(self, reorganisation, *, reason: str, user, options) -> Reorganisation:
        raise NotImplementedError

    def handle(self, *args, **options):
        reorganisation = reorganisation_argument(options["id"])
        try:
            reorganisation = self.correct(
                reorganisation, reason=options["reason"], user=system_user(), options=options
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            self.done
            % {
                "title": reorganisation.title,
                "date": reorganisation.date_display,
                "status": reorganisation.get_status_display(),
            }
        )
