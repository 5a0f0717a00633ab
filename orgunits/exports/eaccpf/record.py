"""One unit's authority record as the registry sees it, whatever the EAC-CPF version.

The exporter fills a `Record` from the database and writes it as XML; the importer reads XML
into a `Record` and writes it to the database. Keeping the two directions on one structure
keeps them symmetric, which the round-trip test relies on.
"""

import datetime
from dataclasses import dataclass, field

from socialforvaltning.periods import Dating

# Kinds of change that shape a unit's structure (tasks moving between units are not part of an
# authority record).
STRUCTURAL_CHANGES = ("created", "renamed", "moved", "merged", "split", "dissolved")


def start_of(period) -> Dating | None:
    """A period's start as a date element gives it: None where nothing dates it at all (an
    undated variant name), else its dating (see socialforvaltning.periods)."""
    if period.valid_from is None and period.opened_by_id is None:
        return None
    return period.start_dating


@dataclass
class Name:
    kind: str  # UnitName.Kind
    name: str
    short_name: str = ""
    language: str = "da"
    start: Dating | None = None
    # The registry's reading: no source writes the name (short name) so.
    name_inferred: bool = False
    short_name_inferred: bool = False
    end: Dating | None = None
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
    start: Dating | None = None
    end: Dating | None = None
    change: str = ""
    line: int = field(default=1, compare=False)


@dataclass
class Event:
    """A reorganisation that changed the unit: the kind of change, when, and its title."""

    kind: str
    bound: Dating
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
    kind_inferred: bool = False
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
    exists_from: Dating | None = None
    exists_to: Dating | None = None
    has_exist_dates: bool = False
    # The units below it over time and the cross-cutting units anchored with their heads, in
    # words: written from the structure on export, never read back (the structure is).
    structure: list[str] = field(default_factory=list)
    # Where the sources disagree about the reorganisation that began (ended) the unit's
    # existence: the passages on both sides, those the registry follows first.
    start_disputes: list[Source] = field(default_factory=list)
    end_disputes: list[Source] = field(default_factory=list)
    unread_passages: int = field(default=0, compare=False)  # such passages it could not read
    relations: list[Relation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    maintenance: list[MaintenanceEvent] = field(default_factory=list)
    version: str = ""  # of the file an imported record was read from
    line: int = field(default=1, compare=False)

    def relations_of(self, kind: str) -> list[Relation]:
        return [r for r in self.relations if r.kind == kind]
