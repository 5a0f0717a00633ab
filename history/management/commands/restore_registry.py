from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from history.backup import contents, restore


class Command(BaseCommand):
    help = (
        "Restore a backup written by backup_registry (either format, told apart by its first "
        "bytes) into an empty database: migrates it, loads the backup, checks the tree's "
        "numbering. Refuses a database that holds registry records or users unless --force, "
        "which replaces them."
    )

    def add_arguments(self, parser):
        parser.add_argument("input", type=Path, help="The backup file to restore.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace whatever the database holds.",
        )
        parser.add_argument(
            "--pg-bin",
            default=None,
            help="The folder of the PostgreSQL client programs, if not the server's version "
            "under /usr/lib/postgresql or on the PATH.",
        )

    def handle(self, *args, **options):
        path = options["input"]
        if not path.is_file():
            raise CommandError(_("%(path)s does not exist.") % {"path": path})
        for message in restore(path, force=options["force"], bin_dir=options["pg_bin"]):
            self.stdout.write(message)
        counts = contents()
        history = sum(n for label, n in counts.items() if ".Historical" in label)
        self.stdout.write(
            _(
                "Restored the registry from %(path)s: %(units)s units, %(reorganisations)s "
                "reorganisations, %(history)s history rows. Run check_registry to check it."
            )
            % {
                "path": path,
                "units": counts.get("orgunits.Unit", 0),
                "reorganisations": counts.get("history.Reorganisation", 0),
                "history": history,
            }
        )
