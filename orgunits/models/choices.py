"""The values a unit's kind and target group take, and what a person reads for them."""

import functools

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    FORVALTNING = "forvaltning", _("Administration")
    DIREKTION = "direktion", _("Executive board")
    POST = "post", _("Executive post")
    SEKRETARIAT = "sekretariat", _("Secretariat")
    CENTER = "center", _("Centre")
    KONTOR = "kontor", _("Office")
    TVAERGAAENDE_ENHED = "tvaergaaende_enhed", _("Cross-cutting unit")
    ENHED = "enhed", _("Sub-unit")
    MYNDIGHEDSCENTER = "myndighedscenter", _("Authority centre")


class TargetGroup(models.TextChoices):
    BORN = "born", _("Children and families")
    HAPS = "haps", _("Mentally ill and disabled people")
    UDSATTE = "udsatte", _("Socially vulnerable groups, addiction and housing")


class Reading(models.TextChoices):
    """What the registry shows of a unit that is its own reading, not a source's statement."""

    NAME = "name", _("name")
    SHORT_NAME = "short_name", _("short name")
    KIND = "kind", _("kind")


# "No target group" where a filter or a form offers it as a choice; stored as "".
NO_TARGET_GROUP = "none"
TARGET_GROUP_CHOICES_AND_NONE = [*TargetGroup.choices, (NO_TARGET_GROUP, _("No target group"))]


def stored_target_group(choice: str) -> str:
    return "" if choice == NO_TARGET_GROUP else choice


def classification_labels(kind: str, target_group: str) -> tuple[str, str]:
    """What a person reads for a kind and a target group ("" for none), in the language of
    the request. Remembered per language: an export asks it once a row."""
    return _classification_labels(get_language(), kind, target_group or "")


@functools.lru_cache(maxsize=512)
def _classification_labels(language, kind: str, target_group: str) -> tuple[str, str]:
    kinds, groups = dict(Kind.choices), dict(TargetGroup.choices)
    return str(kinds.get(kind, kind)), str(groups.get(target_group, target_group))
