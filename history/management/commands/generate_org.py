import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from history.loaders.generator import (
    DEFAULT_PREFIX,
    DEFAULT_START,
    GenerationError,
    generate_organisation,
)
from socialforvaltning.lib.dates import InvalidDate, parse_date
from socialforvaltning.lib.people import system_user


class Command(BaseCommand):
    help = (
        "Add a synthetic administration of N units with Y years of reorganisations of every "
        "kind and three tasks per unit, written through the reorganisation function beside "
        "whatever the registry holds. The same seed gives the same organisation."
    )

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, required=True, help="Units in all (N).")
        parser.add_argument(
            "--years", type=int, default=10, help="Years of reorganisations (default 10)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--start",
            default=DEFAULT_START.isoformat(),
            help=f"The organisation's first day, YYYY-MM-DD (default {DEFAULT_START}).",
        )
        parser.add_argument(
            "--prefix",
            default=DEFAULT_PREFIX,
            help=f"Begins every identifier it writes (default {DEFAULT_PREFIX}); refused "
            "if the registry already uses it.",
        )

    def handle(self, *args, **options):
        try:
            start = parse_date(options["start"], name="--start")
        except InvalidDate as e:
            raise CommandError(str(e)) from None
        began = time.monotonic()
        try:
            result = generate_organisation(
                units=options["units"],
                years=options["years"],
                seed=options["seed"],
                start=start,
                prefix=options["prefix"],
                user=system_user(),
            )
        except GenerationError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Generated “%(root)s”: %(units)s units (depth up to %(depth)s), %(tasks)s "
                    "tasks, %(count)s reorganisations in %(seconds).0f seconds."
                )
                % {
                    "root": result.root,
                    "units": result.units,
                    "depth": result.max_depth,
                    "tasks": result.tasks,
                    "count": result.reorganisations,
                    "seconds": time.monotonic() - began,
                }
            )
        )
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(result.changes.items()))
        self.stdout.write(_("Changes: %(kinds)s.") % {"kinds": kinds})
        self.stdout.write(_("Digest: %(digest)s") % {"digest": result.digest})
