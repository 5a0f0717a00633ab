import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from history.loaders.seed import load_seed
from orgunits.models import Unit

DEMO_USERS = (("arkivar", "Arkivar"), ("laeser", "Læser"))


class Command(BaseCommand):
    help = "Migrate the database and load the seed data into an empty registry."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-users",
            action="store_true",
            help="Also create the accounts 'arkivar' and 'laeser' with fresh random "
            "passwords (printed once), for a local trial only: refused when debug is off.",
        )

    def handle(self, *args, **options):
        if options["demo_users"] and not settings.DEBUG:
            raise CommandError(
                "--demo-users is for a local trial: it is refused when debug is off."
            )
        call_command("migrate", interactive=False, verbosity=options["verbosity"] - 1)
        if Unit.objects.exists():
            self.stdout.write("The registry already holds data; the seed was not loaded again.")
        else:
            count = load_seed()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded the seed: {Unit.objects.count()} units, {count} reorganisations."
                )
            )
        if options["demo_users"]:
            self.create_demo_users()

    def create_demo_users(self):
        User = get_user_model()
        for username, group in DEMO_USERS:
            password = secrets.token_urlsafe(12)
            user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": True})
            user.is_staff = True
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=group))
            self.stdout.write(f"Demo account {username} ({group}): password {password}")
