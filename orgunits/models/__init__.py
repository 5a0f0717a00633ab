"""Units of the administration and where they sat over time.

A `Unit` is the stable identity of an organisational unit (slug, kind, description,
identifiers). Where it sat is a chain of `UnitNode`s: each node is the unit during one
placement, its parent fixed for the node's whole period `[valid_from, valid_to)`. Because
every child node's period lies inside its parent node's period, the nodes valid on a date
form a well-formed tree, read in one query in MPTT order (`UnitNode.objects.tree_on(date)`).

Structure is written only by `history.services.apply_reorganisation`.

The models live in the modules below, imported here so that `orgunits.models` names them
all. Names and placements refer to `Unit` by name, so `units.py`, whose queries read them,
imports them and no module imports another in a circle.
"""

from .choices import (
    NO_TARGET_GROUP,
    TARGET_GROUP_CHOICES_AND_NONE,
    Kind,
    Reading,
    TargetGroup,
    classification_labels,
    stored_target_group,
)
from .jobs import ArchiveJob
from .names import (
    NAMING,
    UnitClassification,
    UnitIdentifier,
    UnitName,
    UnitNameQuerySet,
    classified_on,
)
from .nodes import (
    MPTT_FIELDS,
    Placement,
    UnitNode,
    UnitNodeManager,
    UnitNodeQuerySet,
    placement_of_each,
    placements_of,
    placements_of_units,
    placements_on,
)
from .sources import Citation, SourceDocument
from .units import DetailLevel, RecordStatus, Unit, UnitQuerySet, readings_of

__all__ = [
    "MPTT_FIELDS",
    "NAMING",
    "NO_TARGET_GROUP",
    "TARGET_GROUP_CHOICES_AND_NONE",
    "ArchiveJob",
    "Citation",
    "DetailLevel",
    "Kind",
    "Placement",
    "Reading",
    "RecordStatus",
    "SourceDocument",
    "TargetGroup",
    "Unit",
    "UnitClassification",
    "UnitIdentifier",
    "UnitName",
    "UnitNameQuerySet",
    "UnitNode",
    "UnitNodeManager",
    "UnitNodeQuerySet",
    "UnitQuerySet",
    "classification_labels",
    "classified_on",
    "placement_of_each",
    "placements_of",
    "placements_of_units",
    "placements_on",
    "readings_of",
    "stored_target_group",
]
