"""One unit's authority record as the registry sees it, whatever the EAC-CPF version.

The exporter fills a `Record` from the database and writes it as XML; the importer reads XML
into a `Record` and writes it to the database. Keeping the two directions on one structure
keeps them symmetric, which the round-trip test relies on.
"""

import datetime
from dataclasses import dataclass, field

from history.models import Certainty, Reorganisation

# Kinds of change that shape a unit's structure (tasks moving between units are not part of an
# authority record).
STRUCTURAL_CHANGES = ("created", "renamed", "moved", "merged", "split", "dissolved")


@dataclass(frozen=True)
class Bound:
    """One end of a period, no more precise than the registry knows it: the date the structure
    switches on and the certainty of the reorganisation that set it."""

    date: datetime.date | None
    certainty: str = Certainty.EXACT
    not_before: datetime.date | None = None
    not_after: datetime.date | None = None

    @classmethod
    def of(cls, reorganisation: Reorganisation) -> "Bound":
        return cls(
            reorganisation.date,
            reorganisation.certainty,
            reorganisation.not_before,
            reorganisation.not_after,
        )

    @property
    def before_records(self) -> bool:
        """Dated only as "before the registry's records begin" (an open start)."""
        return self.date is None

    @property
    def sort_key(self) -> tuple:
        return (self.date is not None, self.date or datetime.date.min)

    @property
    def display(self) -> str:
        """The date as a person reads it (in the active language), e.g. "omkring 1. januar
        2009" or "senest 31. maj 2008"."""
        return Reorganisation(
            date=self.date,
            certainty=self.certainty,
            not_before=self.not_before,
            not_after=self.not_after,
        ).date_display


def bound_at(day: datetime.date | None, change) -> Bound | None:
    """The bound of a period that starts or ends on `day` because of `change` (a
    `history.Change` with its reorganisation loaded, or None): the reorganisation's certainty
    when it set this day, else the plain day."""
    if change is not None and change.reorganisation.date == day:
        return Bound.of(change.reorganisation)
    return Bound(day) if day is not None else None


@dataclass
class Name:
    kind: str  # UnitName.Kind
    name: str
    short_name: str = ""
    language: str = "da"
    start: Bound | None = None
    end: Bound | None = None
    ref: str = ""  # the id of its element, which sources refer to


@dataclass
class Identifier:
    scheme: str
    value: str
    ref: str = ""
    line: int = field(default=1, compare=False)  # where an imported record says it


@dataclass
class Source:
    """A citation: a passage of a document supporting (or disputing) part of the record."""

    title: str
    filename: str = ""
    document_key: str = ""
    heading: str = ""
    passage: str = ""
    role: str = "supports"
    note: str = ""
    about: str = ""  # the ref of the name or identifier it is about; empty: the unit


@dataclass
class Relation:
    """`kind` says what the related unit is to the described one (EAC-CPF cpfRelationType):
    hierarchical-parent, hierarchical-child, temporal-earlier, temporal-later. Temporal
    relations happen at `start` and have no end; `change` says how (merged, split)."""

    kind: str
    slug: str
    name: str = ""
    start: Bound | None = None
    end: Bound | None = None
    change: str = ""
    line: int = field(default=1, compare=False)


@dataclass
class Event:
    """A reorganisation that changed the unit: the kind of change, when, and its title."""

    kind: str
    bound: Bound
    title: str


@dataclass
class MaintenanceEvent:
    kind: str  # created | revised
    moment: datetime.datetime
    agent_type: str  # human | machine | unknown
    agent: str
    description: str = ""


@dataclass
class Record:
    slug: str
    kind: str = ""
    target_group: str = ""
    position: int | None = None
    description: str = ""
    functions: str = ""
    mandates: str = ""
    internal_structure: str = ""
    archival_type: str = ""
    record_status: str = "draft"
    detail_level: str = ""
    maintenance_notes: str = ""
    record_language: str = "dan"
    names: list[Name] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    exists_from: Bound | None = None
    exists_to: Bound | None = None
    has_exist_dates: bool = False
    relations: list[Relation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    maintenance: list[MaintenanceEvent] = field(default_factory=list)
    version: str = ""  # of the file an imported record was read from
    line: int = field(default=1, compare=False)

    def relations_of(self, kind: str) -> list[Relation]:
        return [r for r in self.relations if r.kind == kind]
