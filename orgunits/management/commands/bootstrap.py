from django.core.management import call_command
from django.core.management.base import BaseCommand

from orgunits.models import Unit
from orgunits.seed import load_seed


class Command(BaseCommand):
    help = "Migrate the database and load the seed data into an empty registry."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=options["verbosity"] - 1)
        if Unit.objects.exists():
            self.stdout.write("The registry already holds data; the seed was not loaded again.")
            return
        count = load_seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the seed: {Unit.objects.count()} units, {count} reorganisations."
            )
        )
