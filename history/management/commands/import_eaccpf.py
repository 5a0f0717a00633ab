from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from history.loaders.eaccpf.read import ImportFailed
from history.loaders.eaccpf.write import import_files
from history.services import REASON_MAX_LENGTH
from socialforvaltning.lib.people import system_user


class Command(BaseCommand):
    help = (
        "Import EAC-CPF records (EAC-CPF 2010 or 2.0; XML files or zips of them, such as "
        "/export/eac-cpf.zip) as draft units. Invalid files import nothing and exit with 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--user",
            help="Username the import is recorded under (default: the system user).",
        )
        parser.add_argument("--reason", help="Why the records are imported (kept in history).")

    def handle(self, *args, **options):
        paths = [Path(f) for f in options["files"]]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(_("No such file: %(files)s") % {"files": ", ".join(missing)})
        user = system_user()
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("No such user: %(user)s") % {"user": options["user"]})
        # A reason given is kept as given (a long one is refused, as in the admin); the
        # default one, naming the files, is shortened to fit.
        reason = (
            options["reason"]
            or (
                _("Imported from EAC-CPF: %(files)s") % {"files": ", ".join(p.name for p in paths)}
            )[:REASON_MAX_LENGTH]
        )
        try:
            result = import_files(
                [(str(p), p.read_bytes()) for p in paths], user=user, reason=reason
            )
        except ImportFailed as e:
            for message in e.messages:
                self.stderr.write(message)
            raise CommandError(_("Nothing was imported.")) from None
        for message in result.messages:
            self.stdout.write(message)
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported %(units)s units as drafts, with %(count)s reorganisations.")
                % {"units": len(result.units), "count": result.reorganisations}
            )
        )
