import datetime

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from history.models import Reorganisation
from orgunits.integrity import registry_problems
from responsibilities.lookup import orphaned_on
from socialforvaltning.lib.dates import format_date


def orphaned_tasks_problems() -> list[str]:
    """No task without an owner on any date the structure changed, nor today."""
    dates = sorted(
        {
            *Reorganisation.objects.exclude(date=None).values_list("date", flat=True),
            datetime.date.today(),
        }
    )
    problems = []
    for date in dates:
        for task in orphaned_on(date):
            problems.append(
                _("The task “%(task)s” has no owner on %(date)s.")
                % {"task": task.name, "date": format_date(date)}
            )
    return problems


class Command(BaseCommand):
    help = (
        "Check the live registry against every invariant: the tree's numbering, periods, "
        "nesting, overlaps, cycles, identifiers and tasks without an owner. Exit status 1 "
        "when anything is wrong."
    )

    def handle(self, *args, **options):
        problems = registry_problems(extra_checks=[orphaned_tasks_problems])
        if not problems:
            self.stdout.write(_("The registry is consistent: no problems found."))
            return
        for problem in problems:
            self.stdout.write(f"- {problem}")
        self.stderr.write(_("%(count)s problems found.") % {"count": len(problems)})
        raise SystemExit(1)
