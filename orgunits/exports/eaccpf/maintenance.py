"""A record's maintenance history (EAC-CPF maintenanceHistory): every edit of the unit and of
its names, identifiers and placements, from django-simple-history's rows, with who made it
(the system user's edits are a machine's) and why. Edits made while a planned reorganisation
was tried out are no edits of the published record and are left out.
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from history.models import Reorganisation
from orgunits.models import Unit, UnitIdentifier, UnitName, UnitNode
from socialforvaltning.lib.people import SYSTEM_USERNAME, public_name

# What an edit's history row says besides whose it is: when, its order among edits at one
# moment, what kind of edit, why, and by whom.
_HISTORY_FIELDS = (
    "history_date",
    "history_id",
    "history_type",
    "history_change_reason",
    "history_user_id",
    "history_user__username",
    "history_user__first_name",
    "history_user__last_name",
)


def history_of(units) -> dict[int, list]:
    """Every historical row of `units` (a query of their ids) and of their names, identifiers
    and placements, in order, by unit id: each what a `MaintenanceEvent` is made of (a tuple
    until its record is written: the zip holds a few for each of its units)."""
    rows = defaultdict(list)
    trials = Reorganisation.objects.trial_moments()
    tables = [
        (Unit.history.filter(id__in=units), "id"),
        (UnitName.history.filter(unit_id__in=units), "unit_id"),
        (UnitIdentifier.history.filter(unit_id__in=units), "unit_id"),
        (UnitNode.history.filter(unit_id__in=units), "unit_id"),
    ]
    for order, (queryset, unit_field) in enumerate(tables):
        found = queryset.exclude(history_date__in=trials).order_by()
        for unit_id, moment, *row in found.values_list(unit_field, *_HISTORY_FIELDS):
            rows[unit_id].append((moment, order, *row))
    agents = _Agents()
    history = {}
    for unit_id, unit_rows in rows.items():
        unit_rows.sort(key=lambda r: r[:3])
        history[unit_id] = [
            (
                "created" if i == 0 and order == 0 and kind == "+" else "revised",
                moment,
                *agents.of(*user),
                reason or "",
            )
            for i, (moment, order, _id, kind, reason, *user) in enumerate(unit_rows)
        ]
    return history


class _Agents:
    """Who made an edit, as the records name them (`public_name`), worked out once a person."""

    def __init__(self):
        self.known = {}

    def of(self, user_id, username, first_name, last_name) -> tuple[str, str]:
        if user_id is None:
            return "unknown", _("unknown")
        if user_id not in self.known:
            user = get_user_model()(
                pk=user_id, username=username, first_name=first_name, last_name=last_name
            )
            agent_type = "machine" if username == SYSTEM_USERNAME else "human"
            self.known[user_id] = agent_type, public_name(user)
        return self.known[user_id]
