from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from history.backup import FORMATS, back_up, contents, default_format


class Command(BaseCommand):
    help = (
        "Write the whole registry, its history included, to OUTPUT: on PostgreSQL pg_dump's "
        "custom format by default; --format portable writes gzipped JSON that restore_registry "
        "loads into an empty database of either engine."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", type=Path, help="The backup file to write.")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default=None,
            help="postgres (pg_dump, the default on PostgreSQL) or portable (gzipped JSON, "
            "the default on SQLite).",
        )
        parser.add_argument(
            "--pg-bin",
            default=None,
            help="The folder of the PostgreSQL client programs, if not the server's version "
            "under /usr/lib/postgresql or on the PATH.",
        )

    def handle(self, *args, **options):
        fmt = options["format"] or default_format()
        output = options["output"]
        back_up(output, fmt=fmt, bin_dir=options["pg_bin"])
        counts = contents()
        history = sum(n for label, n in counts.items() if ".Historical" in label)
        self.stdout.write(
            _(
                "Backed up the registry to %(path)s (%(format)s, %(size)s bytes): %(units)s "
                "units, %(reorganisations)s reorganisations, %(history)s history rows."
            )
            % {
                "path": output,
                "format": fmt,
                "size": output.stat().st_size,
                "units": counts.get("orgunits.Unit", 0),
                "reorganisations": counts.get("history.Reorganisation", 0),
                "history": history,
            }
        )
