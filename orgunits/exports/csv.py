"""The units on a date as CSV, one row per unit in tree order, for spreadsheets."""

import csv
import functools
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _

from history.models import Disputes
from orgunits.models import UnitIdentifier, classification_labels
from orgunits.rows import UnitRow, unit_rows, walk
from socialforvaltning.lib.csvsafe import ExcelDanish, neutralised
from socialforvaltning.periods import certainty_text, last_day

PIECE = 64 * 1024  # characters a streamed response is written in at a time

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


def chunks(date, dialect) -> Iterator[str]:
    """The units existing on `date` as CSV text, with a header, in pieces of about `PIECE`
    characters: a streamed response writes each as it comes, never the whole file at once.
    The header goes first, before the tree is read."""
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheet programs read the file as UTF-8
    writer = csv.writer(out, dialect=dialect)
    writer.writerow(header())
    yield _taken(out)
    cells = Cells(date)
    for unit, _parent in walk(unit_rows(date)):
        writer.writerow(cells.row(unit))
        if out.tell() >= PIECE:
            yield _taken(out)
    yield _taken(out)


def _taken(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


class Cells:
    """A unit's row of cells on `date`. The words the rows repeat (labels, certainties, the
    disputed columns) are translated once an export, not once a row: at 100,000 rows that
    was a fifth of the export."""

    def __init__(self, date):
        self.date = date
        self.disputes = Disputes()
        self.columns = (
            _("exists from"),
            _("exists to and including"),
            _("placed from"),
            _("placed to and including"),
        )
        self.labels = functools.cache(classification_labels)
        self.certainty = functools.cache(self._certainty)
        self.scheme = functools.cache(UnitIdentifier.label_of)

    def row(self, unit: UnitRow) -> list:
        placement = unit.placement
        # Every text cell is neutralised, as names and identifiers are typed by people; the
        # dates are the registry's own ISO dates, which never start like a formula.
        text = (
            unit.path,
            unit.name or "",
            unit.short_name if unit.name is not None else "",
            *self.labels(unit.kind, unit.target_group),
        )
        return [
            *map(neutralised, text),
            _iso(unit.exists_from),
            _iso(last_day(unit.exists_until)),
            _iso(placement.valid_from),
            _iso(placement.last_day),
            self.certainty(placement.start_dating, placement.end_dating),
            self._disputed_ends(unit, placement),
            "; ".join(str(r.label) for r in unit.readings),
            neutralised("; ".join(f"{self.scheme(s)} {v}" for s, v in unit.identifiers)),
            neutralised(unit.slug),
        ]

    def _certainty(self, start, end) -> str:
        return neutralised(certainty_text(start, end, self.date))

    def _disputed_ends(self, unit: UnitRow, placement) -> str:
        """The date columns that rest on a reorganisation the sources disagree about."""
        disputes = self.disputes
        disputed = (
            unit.unit_id in disputes.created,
            unit.unit_id in disputes.ended,
            disputes.of_change(placement.opened_by_id),
            disputes.of_change(placement.closed_by_id),
        )
        if not any(disputed):  # nearly every row
            return ""
        return "; ".join(str(c) for c, d in zip(self.columns, disputed, strict=True) if d)


def _iso(date) -> str:
    return date.isoformat() if date else ""
