"""What an import of EAC-CPF records will do, decided before anything is written.

`check` refuses a set of records the registry cannot take (recordIds that are not slugs or are
taken, identifiers already in use, no authorised name). `Plan` places each record under the
parent its hierarchical-parent relation names from the start of its existDates, and replays the
records' dated facts in date order as the change specs of `history.changes`: a unit is created
then, renamed when a later authorised name begins, moved when a later parent relation begins,
and at the end of its existDates merged or split into the units its temporal-later relations
name, or dissolved. Facts that describe the same reorganisation in several records (the same
date, certainty and title in the chronList) become one reorganisation, so a set of records
rebuilds the registry's reorganisations. A record whose parent is neither in the registry nor
among the records, or that has no start date, becomes a draft without placement, and the plan
says so.
"""

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import astuple, dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from history.changes import Create, Dissolve, Merge, Move, Rename, Split, naming_of
from history.models import Change
from orgunits.exports.eaccpf.record import Record, Source
from orgunits.models import Kind, TargetGroup, Unit, UnitIdentifier, UnitName
from socialforvaltning.periods import Dating

from .read import ImportFailed

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")


def check(items: Sequence[tuple[str, Record]]):
    """What makes a set of records impossible to import, found before anything is written:
    raises ImportFailed listing every problem."""
    errors = _record_id_problems(items) + _identifier_problems(items)
    if errors:
        raise ImportFailed(errors)


def _problem(name: str, line: int, message: str) -> str:
    return _("%(file)s, line %(line)s: %(message)s") % {
        "file": name,
        "line": line,
        "message": message,
    }


def _record_id_problems(items: Sequence[tuple[str, Record]]) -> list[str]:
    """recordIds that cannot be slugs, repeat, or are taken; records with no authorised name."""
    errors, seen = [], {}
    for name, record in items:
        line = record.line
        if not SLUG.fullmatch(record.slug):
            message = _(
                "the recordId “%(slug)s” cannot identify a unit: use at most 100 letters, "
                "digits, hyphens and underscores."
            ) % {"slug": record.slug[:100]}
            errors.append(_problem(name, line, message))
        elif record.slug in seen:
            message = _("the recordId “%(slug)s” is also the recordId of %(other)s.") % {
                "slug": record.slug,
                "other": seen[record.slug],
            }
            errors.append(_problem(name, line, message))
        seen.setdefault(record.slug, name)
        if not any(n.kind == UnitName.Kind.AUTHORISED for n in record.names):
            errors.append(_problem(name, line, _("the record has no authorised name.")))
    existing = set(Unit.objects.filter(slug__in=list(seen)).values_list("slug", flat=True))
    for name, record in items:
        if record.slug in existing:
            message = _(
                "the registry already has a unit with the recordId “%(slug)s”; an import "
                "creates new units only."
            ) % {"slug": record.slug}
            errors.append(_problem(name, record.line, message))
    return errors


def _identifier_problems(items: Sequence[tuple[str, Record]]) -> list[str]:
    """Identifiers that already identify a unit, or that two records both give."""
    identifiers = [(name, i) for name, record in items for i in record.identifiers]
    query = Q(pk__in=[])
    for _name, identifier in identifiers:
        query |= Q(scheme=identifier.scheme, value=identifier.value)
    taken = {
        (i.scheme, i.value): i.unit.slug
        for i in UnitIdentifier.objects.filter(query).select_related("unit")
    }
    errors, in_batch = [], {}
    for name, identifier in identifiers:
        key = (identifier.scheme, identifier.value)
        label = {"scheme": identifier.scheme, "value": identifier.value}
        if key in taken:
            message = _("%(scheme)s %(value)s already identifies the unit “%(unit)s”.") % {
                **label,
                "unit": taken[key],
            }
            errors.append(_problem(name, identifier.line, message))
        elif key in in_batch:
            message = _("%(scheme)s %(value)s also identifies the record in %(other)s.") % {
                **label,
                "other": in_batch[key],
            }
            errors.append(_problem(name, identifier.line, message))
        in_batch.setdefault(key, name)
    return errors


@dataclass
class Planned:
    """One reorganisation to apply: when, its title, its changes in an order in which each
    parent exists before its children, and the passages disputing it that it cites."""

    bound: Dating
    title: str
    changes: list
    passages: list[Source]


class Plan:
    """The reorganisations that give the imported units their structure, and what the
    archivist should know about the records (`messages`)."""

    def __init__(self, items: Sequence[tuple[str, Record]], messages: list):
        self.records = {record.slug: record for _name, record in items}
        self.files = {record.slug: name for name, record in items}
        self.messages = messages
        mentioned = {r.slug for record in self.records.values() for r in record.relations}
        self.existing = set(
            Unit.objects.filter(slug__in=mentioned - set(self.records)).values_list(
                "slug", flat=True
            )
        )
        self.placement = self._placements()
        # The registry's own mergers of units the records name: a child record's move into
        # the merged unit on that day is what the merger did, not a move of its own.
        self.registry_merges = set(
            Change.objects.in_force()
            .filter(kind=Change.Kind.MERGED, unit__slug__in=self.existing)
            .values_list("unit__slug", "target__slug", "reorganisation__date")
        )

    def say(self, slug: str, message: str):
        self.messages.append(
            _("%(file)s: %(message)s") % {"file": self.files[slug], "message": message}
        )

    def known(self, slug: str) -> bool:
        return slug in self.existing or (slug in self.records and slug in self.placement)

    def _placements(self) -> dict:
        """slug -> the parent to create it under (None: at the top), for units that get a
        placement; a parent among the records must get one itself."""
        wanted = {}
        for slug, record in self.records.items():
            start = record.exists_from if record.has_exist_dates else None
            if start is None:
                self.say(
                    slug,
                    _("the record has no start date; the unit is a draft without a placement."),
                )
                continue
            parents = record.relations_of("hierarchical-parent")
            if not parents:
                if record.kind == Kind.FORVALTNING:
                    wanted[slug] = None
                else:
                    self.say(
                        slug,
                        _("the record names no parent; the unit is a draft without a placement."),
                    )
                continue
            first = next((r for r in parents if r.start == start), None)
            first = first or next((r for r in parents if r.start is None), None)
            if first is None:
                self.say(
                    slug,
                    _(
                        "the record's placements do not begin when the unit does; the unit is "
                        "a draft without a placement."
                    ),
                )
                continue
            wanted[slug] = first.slug
        placement = {}
        changed = True
        while changed:
            changed = False
            for slug, parent in wanted.items():
                if slug in placement:
                    continue
                if parent is None or parent in self.existing or parent in placement:
                    placement[slug] = parent
                    changed = True
        for slug, parent in wanted.items():
            if slug not in placement:
                self.say(
                    slug,
                    _(
                        "its parent “%(parent)s” is neither in the registry nor placed among "
                        "the imported records; the unit is a draft without a placement."
                    )
                    % {"parent": parent},
                )
        return placement

    def reorganisations(self) -> list[Planned]:
        """The reorganisations in the order they are applied: by date, and on one day those
        that only create units first."""
        merges = set()
        for slug, record in self.records.items():
            for relation in record.relations_of("temporal-later"):
                if relation.change == "merged" and self.known(relation.slug):
                    merges.add((slug, relation.slug, relation.start))
        # A reorganisation is what the records date and name alike. Records that name no
        # event are kept apart by the passages disputing their dates, so that one record's
        # dispute is not cited for another's unit.
        groups = defaultdict(list)  # (bound, title, passages) -> [spec]
        passages = defaultdict(list)  # the same key -> the passages about it
        untitled = _("Imported from EAC-CPF")
        for slug, record in self.records.items():
            self._mention_unread_passages(record)
            if slug in self.placement:
                for kind, bound, spec in self._changes(record, merges):
                    ends = kind in ("merged", "dissolved") or (kind == "split" and spec.ends)
                    cited = record.start_disputes if kind == "created" else []
                    cited = record.end_disputes if ends else cited
                    title = self._title(record, kind, bound)
                    said = tuple(astuple(s) for s in cited) if title == untitled else ()
                    key = (bound, title, said)
                    groups[key].append(spec)
                    passages[key] += cited
            self._mention_unapplied(record)
        order = sorted(
            groups,
            key=lambda key: (
                key[0].sort_key,
                not all(isinstance(s, Create) for s in groups[key]),
                key[1],
                key[2],
            ),
        )
        return [
            Planned(key[0], key[1], _parents_first(groups[key]), passages[key]) for key in order
        ]

    def _title(self, record: Record, kind: str, bound: Dating) -> str:
        for event in record.events:
            if event.kind == kind and event.bound == bound:
                return event.title[:300]
        return _("Imported from EAC-CPF")

    def _changes(self, record: Record, merges: set):
        """(kind, when, spec) for each change the record's dated facts describe."""
        yield "created", record.exists_from, self._creation(record)
        yield from self._renames(record)
        yield from self._moves(record, merges)
        yield from self._ends(record)

    def _authorised(self, record: Record) -> list:
        return sorted(
            (n for n in record.names if n.kind == UnitName.Kind.AUTHORISED),
            key=lambda n: (n.start or Dating(None)).sort_key,
        )

    def _creation(self, record: Record) -> Create:
        return Create(
            slug=record.slug,
            **naming_of(self._authorised(record)[0]),
            parent=self.placement[record.slug],
            kind=kind_of(record),
            kind_inferred=record.kind_inferred,
            target_group=target_group_of(record),
            position=record.position if record.position is not None else 100,
            description=record.description,
            archival_type=record.archival_type[:100],
        )

    def _renames(self, record: Record):
        for name in self._authorised(record)[1:]:
            if name.start is not None and name.start != record.exists_from:
                yield "renamed", name.start, Rename(unit=record.slug, **naming_of(name))

    def _moves(self, record: Record, merges: set):
        parents = sorted(
            record.relations_of("hierarchical-parent"),
            key=lambda r: (r.start or Dating(None)).sort_key,
        )
        for previous, relation in zip(parents, parents[1:], strict=False):
            if relation.start is None or relation.slug == previous.slug:
                continue
            if (previous.slug, relation.slug, relation.start) in merges or (
                previous.slug,
                relation.slug,
                relation.start.date,
            ) in self.registry_merges:
                continue  # carried along when its parent merged into the new one
            if not self.known(relation.slug):
                self.say(
                    record.slug,
                    _(
                        "the move to “%(parent)s” is not recorded: that unit is neither in the "
                        "registry nor placed among the imported records."
                    )
                    % {"parent": relation.slug or relation.name},
                )
                continue
            yield "moved", relation.start, Move(unit=record.slug, to=relation.slug)

    def _ends(self, record: Record):
        """The merger, splits or dissolution its temporal-later relations and existDates date."""
        slug, end = record.slug, record.exists_to
        ended = False
        splits = defaultdict(list)
        for relation in record.relations_of("temporal-later"):
            if relation.start is None:
                continue
            if not self.known(relation.slug):
                self.say(
                    slug,
                    _(
                        "its successor “%(unit)s” is not in the registry; the end of the unit "
                        "is recorded without it."
                    )
                    % {"unit": relation.slug or relation.name},
                )
            elif relation.change == "split":
                splits[relation.start].append(relation.slug)
            elif relation.start == end and not ended:
                ended = True
                yield "merged", end, Merge(units=(slug,), into=relation.slug)
        for bound, targets in splits.items():
            ends = bound == end and not ended
            ended = ended or ends
            yield "split", bound, Split(unit=slug, into=tuple(targets), ends=ends)
        if end is not None and not ended:
            yield "dissolved", end, Dissolve(unit=slug)

    def _mention_unread_passages(self, record: Record):
        """Passages about the unit's start or end that the import cannot cite anywhere."""
        left = record.unread_passages
        if record.slug not in self.placement:
            left += len(record.start_disputes) + len(record.end_disputes)
        elif record.exists_to is None:
            left += len(record.end_disputes)
        if left:
            self.say(
                record.slug,
                ngettext(
                    "%(n)s passage about the start or end of the unit in existDates is left "
                    "out: it lacks its document, its passage or which end it is about, or the "
                    "unit has no such date in the structure.",
                    "%(n)s passages about the start or end of the unit in existDates are left "
                    "out: they lack their document, their passage or which end they are about, "
                    "or the unit has no such date in the structure.",
                    left,
                )
                % {"n": left},
            )

    def _mention_unapplied(self, record: Record):
        """Relations the registry records from the other unit's side only."""
        for relation in record.relations:
            if relation.kind == "hierarchical-child" and relation.slug not in self.records:
                self.say(
                    record.slug,
                    _(
                        "the sub-unit “%(unit)s” is not among the imported records; its "
                        "placement is unchanged."
                    )
                    % {"unit": relation.slug or relation.name},
                )
            if relation.kind == "temporal-earlier" and relation.slug not in self.records:
                self.say(
                    record.slug,
                    _(
                        "the predecessor “%(unit)s” is not among the imported records; record "
                        "the merger or split as a reorganisation."
                    )
                    % {"unit": relation.slug or relation.name},
                )


def _parents_first(specs: list) -> list:
    """Creations in an order in which each parent exists before its children."""
    creates = {s.slug: s for s in specs if isinstance(s, Create)}
    ordered, done = [], set()

    def visit(spec):
        if spec.slug in done:
            return
        done.add(spec.slug)
        if spec.parent in creates:
            visit(creates[spec.parent])
        ordered.append(spec)

    for spec in creates.values():
        visit(spec)
    return ordered + [s for s in specs if not isinstance(s, Create)]


def kind_of(record: Record) -> str:
    """The unit's kind: a sub-unit where the record names none the registry knows."""
    return record.kind if record.kind in Kind.values else Kind.ENHED


def target_group_of(record: Record) -> str:
    return record.target_group if record.target_group in TargetGroup.values else ""
