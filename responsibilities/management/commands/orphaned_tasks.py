from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from responsibilities.lookup import orphaned_on
from socialforvaltning.lib.dates import InvalidDate, format_date, parse_date


class Command(BaseCommand):
    help = (
        "List the tasks that no unit owns on a date although they were not ended on purpose. "
        "Exit status 1 when there are any."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="YYYY-MM-DD")

    def handle(self, *args, **options):
        try:
            date = parse_date(options["date"])
        except InvalidDate as e:
            raise CommandError(str(e)) from None
        tasks = orphaned_on(date)
        when = format_date(date)
        if not tasks:
            self.stdout.write(_("No task is left without an owner on %(date)s.") % {"date": when})
            return
        self.stdout.write(
            ngettext(
                "%(count)d task is left without an owner on %(date)s:",
                "%(count)d tasks are left without an owner on %(date)s:",
                len(tasks),
            )
            % {"count": len(tasks), "date": when}
        )
        for task in tasks:
            self.stdout.write(f"  {task.name} ({task.slug})")
        raise SystemExit(1)
