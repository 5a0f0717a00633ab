import datetime
import random

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from history.changes import Move
from history.models import Reorganisation
from history.services import (
    apply_reorganisation,
    put_in_force,
    redate_reorganisation,
    withdraw_reorganisation,
)
from orgunits.models import UnitNode
from socialforvaltning.lib.people import system_user


class Command(BaseCommand):
    help = (
        "Make a series of random corrections, as archivists do: enter a move found late, "
        "before later reorganisations; withdraw a reorganisation, put it back, re-date one by "
        "a few weeks. A correction that a later reorganisation "
        "refuses changes nothing; each is counted. For CI and trials on generated registries "
        "(`replay_structure --check` afterwards must find no difference)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=20)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--key-prefix", default="", help="Only reorganisations whose key starts so."
        )

    def handle(self, *args, count, seed, key_prefix, **options):
        rng = random.Random(seed)
        candidates = list(
            Reorganisation.objects.exclude(date=None)
            .filter(key__startswith=key_prefix)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not candidates:
            self.stderr.write("No dated reorganisation to correct.")
            raise SystemExit(1)
        user, done, refused = system_user(), 0, 0
        for n in range(count):
            reorganisation = Reorganisation.objects.get(pk=rng.choice(candidates))
            reason = f"try_corrections --seed {seed}, step {n + 1}"
            try:
                if rng.random() < 0.3:
                    # A move found late: entered the day after a recorded reorganisation.
                    late = self.move_found_late(rng, reorganisation, reason, user)
                    candidates.append(late.pk)  # later steps may correct it in turn
                    reorganisation, what = late, "entered out of order"
                elif reorganisation.in_force and rng.random() < 0.5:
                    withdraw_reorganisation(reorganisation, reason=reason, user=user)
                    what = "withdrew"
                elif not reorganisation.in_force:
                    put_in_force(reorganisation, reason=reason, user=user)
                    what = "put back in force"
                else:
                    date = reorganisation.date + datetime.timedelta(days=rng.randint(-40, 40))
                    redate_reorganisation(reorganisation, date=date, reason=reason, user=user)
                    what = f"re-dated to {date}"
                done += 1
                self.stdout.write(f"{reorganisation.pk} {reorganisation.key}: {what}")
            except ValidationError as error:
                refused += 1
                self.stdout.write(
                    f"{reorganisation.pk} {reorganisation.key}: refused: {error.messages[0][:160]}"
                )
        self.stdout.write(f"{done} corrections made, {refused} refused (and left nothing).")

    @staticmethod
    def move_found_late(rng, after: Reorganisation, reason: str, user) -> Reorganisation:
        date = after.date + datetime.timedelta(days=1)
        placed = list(
            UnitNode.objects.valid_on(date)
            .filter(level__gte=1)
            .order_by("unit_id")
            .values_list("unit__slug", flat=True)
        )
        unit, to = rng.sample(placed, 2) if len(placed) > 1 else (placed * 2)[:2]
        return apply_reorganisation(
            title=f"Flytning fundet sent: {unit}",
            date=date,
            changes=[Move(unit=unit, to=to)],
            reason=reason,
            user=user,
        )
