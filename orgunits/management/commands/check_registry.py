from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from history.projection import projection_problems
from orgunits.integrity import registry_problems
from responsibilities.lookup import orphaned_periods
from socialforvaltning.lib.dates import format_date
from socialforvaltning.periods import format_period


def orphaned_tasks_problems() -> list[str]:
    """No task without an owner on any date, unless it was ended on purpose."""
    problems = []
    for period in orphaned_periods():
        if period.valid_to is None and period.valid_from is not None:
            message = _("The task “%(task)s” has had no owner since %(start)s.")
        else:
            message = _("The task “%(task)s” has no owner in %(period)s.")
        problems.append(
            message
            % {
                "task": period.task.name,
                "start": format_date(period.valid_from),
                "period": format_period(period.valid_from, period.valid_to),
            }
        )
    return problems


class Command(BaseCommand):
    help = (
        "Check the live registry against every invariant: the tree's numbering, periods, "
        "nesting, overlaps, cycles, identifiers, tasks without an owner, and whether the "
        "stored structure is what a replay of its reorganisations makes. Exit status 1 "
        "when anything is wrong."
    )

    def handle(self, *args, **options):
        problems = registry_problems(extra_checks=[orphaned_tasks_problems, projection_problems])
        if not problems:
            self.stdout.write(_("The registry is consistent: no problems found."))
            return
        for problem in problems:
            self.stdout.write(f"- {problem}")
        self.stderr.write(_("%(count)s problems found.") % {"count": len(problems)})
        raise SystemExit(1)
