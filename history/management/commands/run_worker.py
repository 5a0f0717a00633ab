"""The background worker as `bin/serve` runs it: django-tasks' `db_worker`, which first queues
again what a stopped worker left running, and which outlives the database going away (it
waits and starts again, where `db_worker` alone would exit and leave jobs waiting)."""

import logging
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections

from history.loaders.eaccpf.jobs import requeue_interrupted

log = logging.getLogger("registry.jobs")

RETRY_SECONDS = 5


class Command(BaseCommand):
    help = "Run the background worker (EAC-CPF imports, the zip), surviving database outages."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args, interval, **options):
        while True:  # a signal ends it: db_worker exits with SystemExit, which is not caught
            try:
                if requeued := requeue_interrupted():
                    log.warning("queued %s interrupted jobs again", requeued)
                call_command(
                    "db_worker",
                    interval=interval,
                    startup_delay=False,
                    reload=False,
                    verbosity=options["verbosity"],
                )
                return
            except DatabaseError as error:
                log.error(
                    "worker lost the database, starting again in %ss: %s", RETRY_SECONDS, error
                )
                connections.close_all()
                time.sleep(RETRY_SECONDS)
