"""The units on a date as CSV, one row per unit in tree order, for spreadsheets."""

import csv

from django.utils.translation import gettext as _

from history.models import Disputes
from orgunits.models import UnitNode
from orgunits.structure import Structure
from socialforvaltning.lib.csvsafe import ExcelDanish, neutralised
from socialforvaltning.periods import last_day

# The CSV's dialects: commas by default, and semicolons for Danish Excel (?dialect=excel-da).
DIALECTS = {"": csv.excel, "excel-da": ExcelDanish}


def header() -> list[str]:
    return [
        _("path"),
        _("name"),
        _("short name"),
        _("kind"),
        _("target group"),
        _("exists from"),
        _("exists to and including"),
        _("placed from"),
        _("placed to and including"),
        _("certainty"),
        _("sources disagree"),
        _("the registry's reading"),
        _("identifiers"),
        _("slug"),
    ]


def write_units(out, date, dialect) -> None:
    """Write the units existing on `date` to `out` (a file, or a response), with a header."""
    structure = Structure(
        date,
        nodes=UnitNode.objects.tree_on(date)
        .with_unit_existence()
        .prefetch_related("unit__identifiers"),
    )
    out.write("\ufeff")  # so that spreadsheet programs read the file as UTF-8
    writer = csv.writer(out, dialect=dialect)
    writer.writerow(header())
    disputes = Disputes()
    for node in structure.nodes:
        writer.writerow(row(structure, node, disputes))


def row(structure: Structure, node: UnitNode, disputes: Disputes) -> list:
    unit, date = node.unit, structure.date
    name = unit.name_on(date)
    placement = structure.placements[node.pk]
    # Every text cell is neutralised, as names and identifiers are typed by people; the
    # dates are the registry's own ISO dates, which never start like a formula.
    text = (
        " / ".join(structure.name(n) for n in structure.path(node)),
        name.name if name else "",
        name.short_name if name else "",
        *structure.labels(node),
    )
    return [
        *map(neutralised, text),
        node.unit_exists_from.isoformat() if node.unit_exists_from else "",
        _iso(last_day(node.unit_exists_until)),
        _iso(placement.valid_from),
        _iso(placement.last_day),
        neutralised(placement.certainty_text(date)),
        _disputed_ends(unit, placement, disputes),
        "; ".join(str(r.label) for r in unit.readings(name, Structure.own_kind(node))),
        neutralised("; ".join(str(i) for i in unit.identifiers.all())),
        neutralised(unit.slug),
    ]


def _disputed_ends(unit, placement, disputes) -> str:
    """The date columns that rest on a reorganisation the sources disagree about."""
    columns = (
        (_("exists from"), unit.pk in disputes.created),
        (_("exists to and including"), unit.pk in disputes.ended),
        (_("placed from"), disputes.of_change(placement.opened_by_id)),
        (_("placed to and including"), disputes.of_change(placement.closed_by_id)),
    )
    return "; ".join(str(column) for column, disputed in columns if disputed)


def _iso(date) -> str:
    return date.isoformat() if date else ""
