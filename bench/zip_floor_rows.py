"""The floor's rows (see `zip_floor`), grouped by unit, and each record's facts gathered from
them into plain tuples: what the export's `collect` reads through the ORM, read here from the
rows of ten raw SQL queries. `zip_floor_xml` writes the facts.
"""

import datetime
from collections import defaultdict

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from socialforvaltning.lib.people import SYSTEM_USERNAME
from socialforvaltning.lib.text import NOT_IN_XML
from socialforvaltning.periods import Dating

MIN = datetime.date.min
STRUCTURAL = {"created", "renamed", "moved", "merged", "split", "dissolved"}
NAME_ORDER = {"authorised": 0, "parallel": 1, "other": 2}


def clean(value):
    """Text XML can hold (the export's `xml_text`), applied once as the rows are read."""
    if isinstance(value, str) and NOT_IN_XML.search(value):
        return NOT_IN_XML.sub("", value)
    return value


class Registry:
    """The rows, grouped by unit: what every record is read from."""

    def __init__(self, rows: dict):
        self.reorgs = {
            r[0]: (Dating(*r[1:5]), clean(r[5]), r[1], r[6]) for r in rows["reorganisations"]
        }
        self.dating_of = {c[0]: self.reorgs[c[1]][0] for c in rows["changes"]}
        self.days, self.moments = {}, {}
        self.units = {u[0]: tuple(clean(v) for v in u) for u in rows["units"]}
        self.slug = {pk: u[1] for pk, u in self.units.items()}
        self.names = defaultdict(list)
        self.authorised = defaultdict(list)
        for row in rows["names"]:
            row = tuple(clean(v) for v in row)
            self.names[row[1]].append(row)
            if row[2] == "authorised":
                self.authorised[row[1]].append((row[8], row[9], row[3]))
        for names in self.authorised.values():
            names.sort(key=lambda n: (n[0] is not None, n[0] or MIN))
        self.identifiers = defaultdict(list)
        for pk, unit_id, scheme, value in rows["identifiers"]:
            self.identifiers[unit_id].append((pk, clean(scheme), clean(value)))
        self.cited = defaultdict(list)
        for row in rows["citations"]:
            pk, model, object_id, heading, passage, role, note, title, filename, key = map(
                clean, row
            )
            source = (title, filename, key, heading, passage, role, note)
            self.cited[model, object_id].append(source)
        self._disputes(rows)
        self._nodes(rows["nodes"])
        self._changes(rows["changes"])
        self._history(rows["history"], rows["users"])

    def name_on(self, unit_id, day, default: str) -> str:
        """The unit's authorised name on `day` (the export's `_Names.on`)."""
        names = self.authorised.get(unit_id)
        if not names:
            return default
        if day is None:
            return names[0][2]
        for valid_from, valid_to, name in names:
            if (valid_from is None or valid_from <= day) and (valid_to is None or day < valid_to):
                return name
        ended = [n for n in names if n[1] is not None and n[1] <= day]
        return (ended[-1] if ended else names[0])[2]

    def moment(self, value) -> str:
        if value not in self.moments:
            aware = value
            if isinstance(aware, str):  # SQLite, where a union loses the column's type
                aware = parse_datetime(aware)
            if timezone.is_naive(aware):
                aware = timezone.make_aware(aware, datetime.UTC)
            self.moments[value] = timezone.localtime(aware).replace(microsecond=0).isoformat()
        return self.moments[value]

    def day(self, date):
        if date not in self.days:
            self.days[date] = Dating(date)
        return self.days[date]

    def start(self, valid_from, opened):
        return self.dating_of[opened] if opened else self.day(valid_from)

    def end(self, valid_to, closed):
        if valid_to is None:
            return None
        return self.dating_of[closed] if closed else self.day(valid_to)

    def _disputes(self, rows):
        on = {"change": set(), "reorganisation": set()}
        for _pk, model, object_id, _h, _p, role, *_rest in rows["citations"]:
            if model in on and role == "disputes":
                on[model].add(object_id)
        self.reorg_of = {
            c[0]: c[1]
            for c in rows["changes"]
            if c[1] in on["reorganisation"] or c[0] in on["change"]
        }
        reorgs = set(self.reorg_of.values())
        found = []
        for row in rows["citations"]:
            pk, model, object_id, heading, passage, role, note, title, filename, key = map(
                clean, row
            )
            if (model == "reorganisation" and object_id in reorgs) or (
                model == "change" and object_id in self.reorg_of and role == "disputes"
            ):
                of = object_id if model == "reorganisation" else self.reorg_of[object_id]
                found.append((role, of, (title, filename, key, heading, passage, role, note)))
        found.sort(key=lambda f: f[0], reverse=True)  # "supports" first, each in id order
        self.disputing = defaultdict(list)
        for _role, of, source in found:
            self.disputing[of].append(source)

    def disputes_of(self, change_id) -> list:
        if change_id not in self.reorg_of:
            return []
        return self.disputing[self.reorg_of[change_id]]

    def _nodes(self, rows):
        unit_of = {r[0]: r[1] for r in rows}
        kinds = {pk: u[2] for pk, u in self.units.items()}
        parent_of = {r[0]: r[2] for r in rows}
        self.nodes, self.below, self.cross = defaultdict(list), defaultdict(list), defaultdict(list)
        for _pk, unit_id, parent_id, valid_from, valid_to, opened, closed in rows:
            parent_unit = unit_of[parent_id] if parent_id else None
            node = (
                unit_id,
                parent_unit,
                valid_from,
                valid_to,
                opened,
                closed,
                self.start(valid_from, opened),
                self.end(valid_to, closed),
            )
            self.nodes[unit_id].append(node)
            if parent_unit is not None:
                self.below[parent_unit].append(node)
                grandparent = parent_of[parent_id]
                if grandparent and kinds[unit_id] == "tvaergaaende_enhed":
                    self.cross[unit_of[grandparent]].append(node)

    def _changes(self, rows):
        reorgs = self.reorgs
        changes = [c for c in rows if c[2] in STRUCTURAL and reorgs[c[1]][3] == "in_force"]
        changes.sort(
            key=lambda c: (reorgs[c[1]][2] is not None, reorgs[c[1]][2] or MIN, c[1], c[0])
        )
        parents_of = defaultdict(list)
        for parent_unit, placed in self.below.items():
            for node in placed:
                parents_of[node[0]].append((parent_unit, node))
        self.changes_of, self.within_of = defaultdict(list), defaultdict(list)
        seen = set()
        for change in changes:
            pk, reorg_id, _kind, unit_id, target_id, _ends = change
            day = reorgs[reorg_id][2]
            before = day - datetime.timedelta(days=1) if day else None
            for uid in {unit_id, target_id} - {None}:
                self.changes_of[uid].append(change)
                for parent_unit, node in parents_of.get(uid, ()):
                    valid_from, valid_to = node[2], node[3]
                    below = day and any(
                        (valid_from is None or valid_from <= d)
                        and (valid_to is None or d < valid_to)
                        for d in (day, before)
                    )
                    if below and (parent_unit, pk) not in seen:
                        seen.add((parent_unit, pk))
                        self.within_of[parent_unit].append(change)

    def _history(self, rows, users):
        agents = {}
        for pk, username, first, last in users:
            full = f"{first} {last}".strip()
            agents[pk] = ("machine" if username == SYSTEM_USERNAME else "human", full)
        self.agents = agents
        self.history = defaultdict(list)
        for order, unit_id, moment, _history_id, kind, reason, user_id in rows:
            self.history[unit_id].append((order, moment, kind, clean(reason) or "", user_id))


def placements(nodes) -> list[tuple]:
    """Runs of a unit's nodes under one parent unit (the export's `placements_of`), each a
    node tuple from its first node's start to its last node's end."""
    runs = []
    for node in sorted(nodes, key=lambda n: (n[0], n[2] or MIN)):
        last = runs[-1] if runs else None
        if (
            last is not None
            and last[0] == node[0]
            and last[3] is not None
            and last[3] == node[2]
            and last[1] == node[1]
        ):
            runs[-1] = (*last[:3], node[3], last[4], node[5], last[6], node[7])
        else:
            runs.append(node)
    return runs


def _start_of(period):
    return None if period[2] is None and period[4] is None else period[6]


class Facts:
    """What one record says, in both versions."""

    __slots__ = (
        "unit", "names", "identifiers", "sources", "exist", "relations", "structure",
        "events", "maintenance",
    )  # fmt: skip


def facts(reg: Registry, unit: tuple, lang) -> Facts:
    """The record of `unit` (a row of the units query); `lang` gives its words."""
    found = Facts()
    found.unit = unit
    pk = unit[0]
    _names_and_sources(reg, pk, found)
    nodes = sorted(reg.nodes.get(pk, ()), key=lambda n: (n[2] is not None, n[2] or MIN))
    found.exist = None
    if nodes:
        first, last = nodes[0], nodes[-1]
        found.exist = (
            _start_of(first),
            last[7],
            reg.disputes_of(first[4]),
            reg.disputes_of(last[5]),
        )
    found.relations = [
        ("hierarchical-parent", slug, reg.name_on(p[1], p[2], slug), _start_of(p), p[7], "")
        for p in placements(nodes)
        if p[1] is not None
        for slug in (reg.slug[p[1]],)
    ]
    children, lines = _below(reg, pk, lang)
    children.sort(key=lambda r: (r[0], r[1][2], r[1][1]))
    found.relations += [relation for _key, relation in children]
    found.structure = [text for *_key, text in sorted(lines)]
    changes = reg.changes_of.get(pk, ())
    found.relations += _temporal(reg, pk, changes)
    found.events = _events(reg, pk, changes, reg.within_of.get(pk, ()))
    found.maintenance = [
        (
            "created" if i == 0 and order == 0 and kind == "+" else "revised",
            reg.moment(moment),
            *_agent(reg, user_id, lang),
            reason,
        )
        for i, (order, moment, kind, reason, user_id) in enumerate(reg.history.get(pk, ()))
    ]
    return found


def _agent(reg: Registry, user_id, lang) -> tuple[str, str]:
    if user_id is None:
        return "unknown", lang.unknown
    agent_type, full_name = reg.agents[user_id]
    return agent_type, full_name or lang.archivist


def _names_and_sources(reg: Registry, pk: int, found: Facts):
    names = sorted(
        reg.names.get(pk, ()),
        key=lambda n: (NAME_ORDER.get(n[2], 3), n[8] is not None, n[8] or MIN, n[0]),
    )
    found.names, refs = [], []
    for i, (name_pk, _u, kind, *naming, valid_from, valid_to, opened, closed) in enumerate(
        names, 1
    ):
        start = None if valid_from is None and opened is None else reg.start(valid_from, opened)
        end = reg.end(valid_to, closed)
        term = "" if kind == "authorised" else kind
        found.names.append((kind, *naming, start, end, f"name-{i}", term))
        refs.append((("unitname", name_pk), f"name-{i}"))
    found.identifiers = []
    for i, (identifier_pk, scheme, value) in enumerate(reg.identifiers.get(pk, ()), 1):
        found.identifiers.append((scheme, value, f"identifier-{i}"))
        refs.append((("unitidentifier", identifier_pk), f"identifier-{i}"))
    found.sources = [(*s, "") for s in reg.cited.get(("unit", pk), ())]
    for key, ref in refs:
        found.sources += [(*s, ref) for s in reg.cited.get(key, ())]


def _below(reg: Registry, pk: int, lang) -> tuple[list, list]:
    """The units below over time, as relations (with their sort keys) and as the lines of
    the structure, with the cross-cutting units anchored below."""
    children, lines = [], []
    below = sorted(reg.below.get(pk, ()), key=lambda n: (n[0], n[2] is not None, n[2] or MIN))
    for p in placements(below):
        slug = reg.slug[p[0]]
        name = reg.name_on(p[0], p[2], slug)
        start = _start_of(p)
        relation = ("hierarchical-child", slug, name, start, p[7], "")
        children.append(((start.sort_key if start else (False, MIN)), relation))
        text = f"{name} ({lang.kind(reg.units[p[0]][2])}): {lang.period(p[6], p[7])}"
        lines.append((p[6].sort_key, name, text))
    for p in placements(reg.cross.get(pk, ())):
        name = reg.name_on(p[0], p[2], "")
        office = reg.name_on(p[1], p[2], "")
        text = lang.cross % {"name": name, "office": office, "period": lang.period(p[6], p[7])}
        lines.append((p[6].sort_key, name, text))
    return children, lines


def _temporal(reg: Registry, pk: int, changes) -> list:
    relations = []
    for _c, reorg_id, kind, unit_id, target_id, _ends in changes:
        if kind not in ("merged", "split"):
            continue
        bound, _title, day, _status = reg.reorgs[reorg_id]
        if target_id == pk:
            before = day - datetime.timedelta(days=1) if day else None
            other, on, kind_of = unit_id, before, "temporal-earlier"
        else:
            other, on, kind_of = target_id, day, "temporal-later"
        slug = reg.slug[other]
        relations.append((kind_of, slug, reg.name_on(other, on, slug), bound, None, kind))
    return relations


def _events(reg: Registry, pk: int, changes, within) -> list:
    events, seen = [], set()
    for _c, reorg_id, kind, unit_id, _t, _e in changes:
        if unit_id != pk or (reorg_id, kind) in seen:
            continue
        seen.add((reorg_id, kind))
        events.append((kind, *reg.reorgs[reorg_id][:2]))
    own = {c[1] for c in changes if c[3] == pk}
    for _c, reorg_id, *_rest in within:
        if reorg_id in own or (reorg_id, "within") in seen:
            continue
        seen.add((reorg_id, "within"))
        events.append(("within", *reg.reorgs[reorg_id][:2]))
    events.sort(key=lambda e: (e[1].sort_key, e[2]))
    return events
