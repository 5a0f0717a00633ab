"""The changes a reorganisation is made of, as the writer (history/writer.py) takes them:
each a frozen description of one dated change, with the sources it cites. Loaders, forms and
tests build them; only the writer applies them."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import EllipsisType

from orgunits.models import NAMING, Citation


@dataclass(frozen=True)
class Cite:
    document: str  # SourceDocument.key
    heading: str
    excerpt: str
    role: str = Citation.Role.SUPPORTS
    note: str = ""


@dataclass(frozen=True)
class Create:
    slug: str
    name: str
    parent: str | None
    kind: str
    short_name: str = ""
    # What no source states, the registry's reading: the name as written, the short name,
    # the kind of unit.
    name_inferred: bool = False
    short_name_inferred: bool = False
    kind_inferred: bool = False
    target_group: str = ""
    position: int = 100
    description: str = ""
    archival_type: str = ""
    note: str = ""
    cite: Sequence[Cite] = field(default_factory=tuple)


@dataclass(frozen=True)
class Place:
    """Put a unit that has never had a place in the structure (a draft record, such as one
    imported from EAC-CPF without a known parent) under `parent` from the date. `name` gives
    it an authorised name from the date when its record has none that day."""

    unit: str
    parent: str | None
    name: str = ""
    short_name: str = ""
    name_inferred: bool = False
    short_name_inferred: bool = False
    note: str = ""
    cite: Sequence[Cite] = field(default_factory=tuple)


@dataclass(frozen=True)
class Move:
    unit: str
    to: str
    note: str = ""
    cite: Sequence[Cite] = field(default_factory=tuple)


@dataclass(frozen=True)
class Rename:
    unit: str
    name: str
    short_name: str = ""
    name_inferred: bool = False
    short_name_inferred: bool = False
    note: str = ""
    cite: Sequence[Cite] = field(default_factory=tuple)


@dataclass(frozen=True)
class Reclassify:
    """From the date the unit is another kind of unit, or for another target group (an
    office that became a centre). None keeps what it was; "" for the target group: none."""

    unit: str
    kind: str | None = None
    target_group: str | None = None
    note: str = ""
    cite: Sequence[Cite] = field(default_factory=tuple)


@dataclass(frozen=True)
class Merge:
    """Join `units` into `into` on the date. The tasks the merged units still hold pass to
    `into` in the same role unless `hands_on_tasks` is False (then each must be transferred
    or ended by another change of the reorganisation, as for a dissolution)."""

    units: Sequence[str]
    into: str
    note: str = ""
    cite: Sequence[Cite] = field(default_factory=tuple)
    hands_on_tasks: bool = True


@dataclass(frozen=True)
class Split:
    unit: str
    into: Sequence[str]
    ends: bool = True
    note: str = ""
    cite: Sequence[Cite] = field(default_factory=tuple)


@dataclass(frozen=True)
class Dissolve:
    unit: str
    note: str = ""
    cite: Sequence[Cite] = field(default_factory=tuple)


@dataclass(frozen=True)
class TransferTasks:
    """Hand `from_unit`'s open responsibilities for `tasks` to `to_unit` on the date, with the
    same role and post unless `role` or `post` say otherwise (`post=None` clears it, the
    default `...` keeps it); `to_unit=None` ends them on purpose."""

    from_unit: str
    to_unit: str | None
    tasks: Sequence[str]
    role: str | None = None
    post: str | None | EllipsisType = ...
    inferred: bool = False
    note: str = ""
    cite: Sequence[Cite] = field(default_factory=tuple)


@dataclass(frozen=True)
class Recreate:
    """A recorded creation or placement applied again by a replay: the unit exists (its
    record is never deleted) and gets its place and, unless its record names it on the date,
    the name the change gave it."""

    unit: str
    parent: str | None
    name: str
    short_name: str = ""
    name_inferred: bool = False
    short_name_inferred: bool = False
    note: str = ""
    cite: Sequence[Cite] = field(default_factory=tuple)


def naming_of(source) -> dict:
    """The naming fields of a spec, a change or a name, to write on another."""
    return {field: getattr(source, field) for field in NAMING}


# Changes are applied in this order whatever order they are given in, so that a merge can
# go into a unit created by the same reorganisation, tasks can be handed to such a unit
# before the units giving them up end (merges, splits and dissolutions end units, and refuse
# to leave a task behind), and a dissolution comes after the moves that empty the dissolved
# unit. Transfers keep the order they are given in.
PHASES = (
    Create,
    Recreate,
    Place,
    Rename,
    Reclassify,
    Move,
    TransferTasks,
    Merge,
    Split,
    Dissolve,
)
