"""Load the seed data in fixtures/organisation.yaml.

Structure goes through `apply_reorganisation`, like every other structural write; the
descriptive parts of the records (identifiers, variant names, citations) are saved as
ordinary records, each with its history row.
"""

from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from history.services import (
    Cite,
    Create,
    Dissolve,
    Merge,
    Move,
    Rename,
    Split,
    apply_reorganisation,
)

from .models import Citation, SourceDocument, Unit, UnitIdentifier, UnitName

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "organisation.yaml"
SEED_REASON = "Indlæst fra kildematerialet (fixtures/organisation.yaml)"
SYSTEM_USERNAME = "registret"


def system_user():
    """The account that seed loads and other unattended writes are attributed to.

    It cannot log in: it has no usable password and is inactive.
    """
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_active": False, "first_name": "Registret", "last_name": "(system)"},
    )
    if created:
        user.set_unusable_password()
        user.save()
    return user


def read_fixture(path: Path = FIXTURE) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _cites(entries) -> tuple[Cite, ...]:
    return tuple(
        Cite(
            document=e["doc"],
            heading=e["heading"],
            excerpt=e["excerpt"],
            role=e.get("role") or Citation.Role.SUPPORTS,
            note=e.get("note") or "",
        )
        for e in entries or ()
    )


def _change_spec(entry: dict, units: dict):
    note, cite = entry.get("note") or "", _cites(entry.get("cite"))
    if "create" in entry:
        unit = units[entry["create"]]
        return Create(
            slug=unit["slug"],
            name=entry["name"],
            short_name=entry.get("short_name") or "",
            parent=entry.get("parent"),
            kind=unit["kind"],
            target_group=unit.get("target_group") or "",
            position=unit.get("position", 100),
            description=unit.get("description") or "",
            archival_type=unit.get("archival_type") or "",
            note=note,
            cite=cite,
        )
    if "move" in entry:
        return Move(unit=entry["move"], to=entry["to"], note=note, cite=cite)
    if "rename" in entry:
        return Rename(
            unit=entry["rename"],
            name=entry["name"],
            short_name=entry.get("short_name") or "",
            note=note,
            cite=cite,
        )
    if "merge" in entry:
        return Merge(units=tuple(entry["merge"]), into=entry["into"], note=note, cite=cite)
    if "split" in entry:
        return Split(
            unit=entry["split"],
            into=tuple(entry["into"]),
            ends=entry.get("ends", True),
            note=note,
            cite=cite,
        )
    if "dissolve" in entry:
        return Dissolve(unit=entry["dissolve"], note=note, cite=cite)
    raise ValueError(f"Unknown kind of change in the seed data: {sorted(entry)}")


def _save(obj, user):
    obj.full_clean()
    obj._history_user = user
    obj._change_reason = SEED_REASON
    obj.save()
    return obj


def _cite(obj, entries, user):
    documents = {d.key: d for d in SourceDocument.objects.all()}
    for c in _cites(entries):
        _save(
            Citation(
                document=documents[c.document],
                heading=c.heading,
                excerpt=c.excerpt,
                role=c.role,
                note=c.note,
                content_object=obj,
            ),
            user,
        )


def load_seed(path: Path = FIXTURE) -> int:
    """Load the seed into an empty registry; returns the number of reorganisations applied."""
    data = read_fixture(path)
    user = system_user()
    units = {u["slug"]: u for u in data["units"]}
    with transaction.atomic():
        for doc in data["documents"]:
            _save(SourceDocument(key=doc["key"], filename=doc["file"], title=doc["title"]), user)
        for r in data["reorganisations"]:
            apply_reorganisation(
                key=r["key"],
                title=r["title"],
                date=r.get("date"),
                certainty=r.get("certainty") or "exact",
                not_before=r.get("not_before"),
                not_after=r.get("not_after"),
                description=r.get("description") or "",
                cite=_cites(r.get("cite")),
                changes=[_change_spec(c, units) for c in r.get("changes") or ()],
                user=user,
                reason=SEED_REASON,
            )
        for slug, entry in units.items():
            unit = Unit.objects.get(slug=slug)
            _cite(unit, entry.get("cite"), user)
            for ident in entry.get("identifiers") or ():
                identifier = _save(
                    UnitIdentifier(unit=unit, scheme=ident["scheme"], value=str(ident["value"])),
                    user,
                )
                _cite(identifier, ident.get("cite"), user)
            for other in entry.get("other_names") or ():
                name = _save(
                    UnitName(unit=unit, kind=UnitName.Kind.OTHER, name=other["name"]), user
                )
                _cite(name, other.get("cite"), user)
    return len(data["reorganisations"])
