from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from history.management.correction_command import date_argument
from history.projection import change_count_problems, replay_differences
from history.services import replay_structure
from socialforvaltning.lib.people import system_user


class Command(BaseCommand):
    help = _(
        "Rebuild the structure (placements, names given by changes, responsibilities handed "
        "on) from the reorganisations in force. --check compares without writing and exits "
        "with status 1 on any difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="since", metavar="YYYY-MM-DD", default=None)
        parser.add_argument("--check", action="store_true")
        parser.add_argument(
            "--reason", default=_("The structure replayed from its reorganisations")
        )

    def handle(self, *args, since=None, check=False, reason="", **options):
        since = date_argument(since) if since is not None else None
        if check:
            lines, miscounted = replay_differences(since), change_count_problems()
            for line in [*miscounted, *lines[:50]]:
                self.stdout.write(f"- {line}")
            if lines:
                self.stderr.write(
                    _("The stored structure differs from its replay in %(count)s rows.")
                    % {"count": len(lines)}
                )
            if lines or miscounted:
                raise SystemExit(1)
            self.stdout.write(_("The stored structure is what its reorganisations make."))
            return
        try:
            replayed = replay_structure(since=since, reason=reason, user=system_user())
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(_("Replayed %(count)s reorganisations.") % {"count": len(replayed)})
