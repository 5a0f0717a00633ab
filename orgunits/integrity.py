"""Checks of the live data against every invariant of the registry, in words an archivist
understands. Used by `manage.py check_registry` and by the tests after stress and fuzzing."""

from collections import defaultdict

from django.db import transaction
from django.utils.translation import gettext as _

from socialforvaltning.locks import lock_structure
from socialforvaltning.periods import (
    first_day_uncovered,
    format_day,
    format_period,
    periods_overlap,
)

from .models import UnitIdentifier, UnitName, UnitNode


def tree_numbers_problems() -> list[str]:
    """The stored MPTT numbers must equal what the parent links give, read under the
    structure lock, so a writer busy meanwhile cannot make them differ. (Not against
    `UnitNode.objects.rebuild()`: it orders equal siblings however the database returns
    them, which made a sound tree look damaged once busy writers had moved rows about.)"""
    with transaction.atomic():
        lock_structure()
        rebuilt, stored = UnitNode.objects.numbers_from_parents()
    wrong = sorted(pk for pk in stored if stored[pk] != rebuilt.get(pk))
    if not wrong:
        return []
    return [
        _(
            "The tree's stored numbering is damaged at %(count)s placements (first: %(first)s); "
            "`UnitNode.objects.rebuild()` repairs it."
        )
        % {"count": len(wrong), "first": ", ".join(map(str, wrong[:5]))}
    ]


def structure_problems() -> list[str]:
    problems = []
    nodes = {
        n["pk"]: n
        for n in UnitNode.objects.values(
            "pk", "unit_id", "unit__slug", "parent_id", "valid_from", "valid_to"
        )
    }
    by_unit = defaultdict(list)
    for node in nodes.values():
        by_unit[node["unit_id"]].append(node)
        start, end = node["valid_from"], node["valid_to"]
        if start and end and start >= end:
            problems.append(
                _("“%(unit)s” has a placement that ends before it begins (%(period)s).")
                % {"unit": node["unit__slug"], "period": format_period(start, end)}
            )
        parent = nodes.get(node["parent_id"])
        if parent is not None:
            starts_inside = parent["valid_from"] is None or (
                start is not None and start >= parent["valid_from"]
            )
            ends_inside = parent["valid_to"] is None or (
                end is not None and end <= parent["valid_to"]
            )
            if not (starts_inside and ends_inside):
                problems.append(
                    _(
                        "“%(unit)s” (%(period)s) outlives its parent “%(parent)s” "
                        "(%(parent_period)s)."
                    )
                    % {
                        "unit": node["unit__slug"],
                        "period": format_period(start, end),
                        "parent": parent["unit__slug"],
                        "parent_period": format_period(parent["valid_from"], parent["valid_to"]),
                    }
                )
        seen, current = {node["unit_id"]}, parent
        while current is not None:
            if current["unit_id"] in seen:
                problems.append(
                    _("“%(unit)s” sits inside its own subtree.") % {"unit": node["unit__slug"]}
                )
                break
            seen.add(current["unit_id"])
            current = nodes.get(current["parent_id"])
    for placements in by_unit.values():
        problems += _overlaps(
            placements, _("“%(unit)s” has two placements at once: %(a)s and %(b)s.")
        )
    names = defaultdict(list)
    for name in UnitName.objects.authorised().values(
        "unit_id", "unit__slug", "valid_from", "valid_to"
    ):
        names[name["unit_id"]].append(name)
    for unit_names in names.values():
        problems += _overlaps(
            unit_names, _("“%(unit)s” has two authorised names at once: %(a)s and %(b)s.")
        )
    for unit_id, placements in by_unit.items():
        day = first_day_uncovered(
            [(p["valid_from"], p["valid_to"]) for p in placements],
            [(n["valid_from"], n["valid_to"]) for n in names.get(unit_id, [])],
        )
        if day is not None:
            problems.append(
                _("“%(unit)s” has no authorised name on %(date)s: give it one.")
                % {"unit": placements[0]["unit__slug"], "date": format_day(day)}
            )
    duplicates = defaultdict(list)
    for ident in UnitIdentifier.objects.values("scheme", "value", "unit__slug"):
        duplicates[(ident["scheme"], ident["value"])].append(ident["unit__slug"])
    for (scheme, value), slugs in duplicates.items():
        if len(slugs) > 1:
            problems.append(
                _("The identifier %(scheme)s %(value)s is given to several units: %(units)s.")
                % {"scheme": scheme, "value": value, "units": ", ".join(slugs)}
            )
    return problems


def _overlaps(rows, message) -> list[str]:
    rows = sorted(rows, key=lambda r: (r["valid_from"] is not None, r["valid_from"]))
    problems = []
    for a, b in zip(rows, rows[1:], strict=False):
        if periods_overlap(a["valid_from"], a["valid_to"], b["valid_from"], b["valid_to"]):
            problems.append(
                message
                % {
                    "unit": a["unit__slug"],
                    "a": format_period(a["valid_from"], a["valid_to"]),
                    "b": format_period(b["valid_from"], b["valid_to"]),
                }
            )
    return problems


def registry_problems() -> list[str]:
    """The structure's own invariants (the tasks' are responsibilities.lookup's, the replay's
    history.projection's; check_registry runs all three)."""
    return tree_numbers_problems() + structure_problems()
