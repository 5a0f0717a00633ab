from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from history.projection import projection_problems
from orgunits.integrity import registry_problems
from responsibilities.lookup import orphaned_tasks_problems


class Command(BaseCommand):
    help = (
        "Check the live registry against every invariant: the tree's numbering, periods, "
        "nesting, overlaps, cycles, identifiers, tasks without an owner, and whether the "
        "stored structure is what a replay of its reorganisations makes. Exit status 1 "
        "when anything is wrong."
    )

    def handle(self, *args, **options):
        problems = registry_problems() + orphaned_tasks_problems() + projection_problems()
        if not problems:
            self.stdout.write(_("The registry is consistent: no problems found."))
            return
        for problem in problems:
            self.stdout.write(f"- {problem}")
        found = ngettext("%(count)s problem found.", "%(count)s problems found.", len(problems))
        self.stderr.write(found % {"count": len(problems)})
        raise SystemExit(1)
