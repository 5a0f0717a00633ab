"""Load the seed data in fixtures/organisation.yaml and fixtures/tasks.yaml.

Structure goes through `apply_reorganisation`, like every other structural write; the
descriptive parts of the records (identifiers, variant names, citations) are saved as
ordinary records, each with its history row. Tasks are read alongside: after each
reorganisation the posts of the units that now exist and the responsibilities beginning
before the next reorganisation are saved, and the transfers of tasks.yaml are applied as
`TransferTasks` changes of the reorganisation they name.
"""

import datetime
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from history.changes import Cite, Create, Dissolve, Merge, Move, Rename, Split, TransferTasks
from history.services import apply_reorganisation
from orgunits.models import Citation, SourceDocument, Unit, UnitIdentifier, UnitName
from responsibilities.models import Post, Responsibility, Task
from socialforvaltning.lib.people import system_user
from socialforvaltning.lib.saving import save_with_history

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "organisation.yaml"
TASKS_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "tasks.yaml"
SEED_REASON = "Indlæst fra kildematerialet (fixtures/organisation.yaml)"


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


def _readings(entry: dict) -> dict:
    """Which of a change's name and short name the registry formed itself."""
    return {
        "name_inferred": bool(entry.get("name_inferred")),
        "short_name_inferred": bool(entry.get("short_name_inferred")),
    }


def _change_spec(entry: dict, units: dict):
    note, cite = entry.get("note") or "", _cites(entry.get("cite"))
    if "create" in entry:
        unit = units[entry["create"]]
        return Create(
            slug=unit["slug"],
            name=entry["name"],
            short_name=entry.get("short_name") or "",
            **_readings(entry),
            parent=entry.get("parent"),
            kind=unit["kind"],
            kind_inferred=bool(unit.get("kind_inferred")),
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
            **_readings(entry),
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


def _transfer_spec(entry: dict) -> TransferTasks:
    return TransferTasks(
        from_unit=entry["from"],
        to_unit=entry.get("to"),
        tasks=tuple(entry["tasks"]),
        role=entry.get("role"),
        # An explicit `post: null` clears the post; no `post` keeps it.
        post=entry.get("post", ...),
        inferred=bool(entry.get("inferred")),
        note=entry.get("note") or "",
        cite=_cites(entry.get("cite")),
    )


def _save(obj, user):
    return save_with_history(obj, user=user, reason=SEED_REASON)


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


def load_seed(path: Path = FIXTURE, tasks_path: Path | None = TASKS_FIXTURE) -> int:
    """Load the seed into an empty registry; returns the number of reorganisations applied."""
    data = read_fixture(path)
    tasks_data = read_fixture(tasks_path) if tasks_path else {}
    user = system_user()
    units = {u["slug"]: u for u in data["units"]}
    reorganisations = data["reorganisations"]
    transfers = _transfers_by_reorganisation(tasks_data, reorganisations)
    responsibilities = _responsibilities_by_reorganisation(tasks_data, reorganisations)
    posts = list(tasks_data.get("posts") or ())
    with transaction.atomic():
        for doc in data["documents"]:
            _save(SourceDocument(key=doc["key"], filename=doc["file"], title=doc["title"]), user)
        tasks = _save_tasks(tasks_data, user)
        for i, r in enumerate(reorganisations):
            _apply(r, units, transfers[r["key"]], user)
            _save_posts_of_existing_units(posts, user)
            _save_responsibilities(responsibilities[i], tasks, user)
        if posts:
            raise ValueError(f"Posts of units that never exist: {[p['slug'] for p in posts]}")
        _save_descriptions(units, user)
    return len(reorganisations)


def _save_tasks(tasks_data: dict, user) -> dict:
    """The tasks of tasks.yaml by slug, saved with their citations."""
    tasks = {}
    for entry in tasks_data.get("tasks") or ():
        tasks[entry["slug"]] = _save(
            Task(
                slug=entry["slug"],
                name=entry["name"],
                category=entry["category"],
                synonyms="\n".join(entry.get("synonyms") or ()),
                description=entry.get("description") or "",
            ),
            user,
        )
        _cite(tasks[entry["slug"]], entry.get("cite"), user)
    return tasks


def _apply(r: dict, units: dict, transfers: list, user):
    """One reorganisation of the seed, with the task transfers tasks.yaml gives it."""
    apply_reorganisation(
        key=r["key"],
        title=r["title"],
        date=r.get("date"),
        certainty=r.get("certainty") or "exact",
        not_before=r.get("not_before"),
        not_after=r.get("not_after"),
        description=r.get("description") or "",
        cite=_cites(r.get("cite")),
        changes=[_change_spec(c, units) for c in r.get("changes") or ()] + transfers,
        user=user,
        reason=SEED_REASON,
    )


def _save_posts_of_existing_units(posts: list, user):
    """Save (and take off `posts`) the posts of the units that exist by now."""
    existing = set(Unit.objects.values_list("slug", flat=True))
    for entry in [p for p in posts if p["unit"] in existing]:
        posts.remove(entry)
        post = _save(
            Post(
                slug=entry["slug"],
                unit=Unit.objects.get(slug=entry["unit"]),
                kind=entry["kind"],
                title=entry["title"],
                inferred=bool(entry.get("inferred")),
            ),
            user,
        )
        _cite(post, entry.get("cite"), user)


def _save_responsibilities(entries: list, tasks: dict, user):
    for task_slug, entry in entries:
        responsibility = _save(
            Responsibility(
                task=tasks[task_slug],
                unit=Unit.objects.get(slug=entry["unit"]),
                role=entry["role"],
                post=Post.objects.get(slug=entry["post"]) if entry.get("post") else None,
                valid_from=entry.get("from"),
                certainty=entry.get("certainty") or "exact",
                not_before=entry.get("not_before"),
                not_after=entry.get("not_after"),
                inferred=bool(entry.get("inferred")),
                note=entry.get("note") or "",
            ),
            user,
        )
        _cite(responsibility, entry.get("cite"), user)


def _save_descriptions(units: dict, user):
    """The units' citations, identifiers and other names, once every unit exists."""
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
                UnitName(
                    unit=unit,
                    kind=other.get("kind") or UnitName.Kind.OTHER,
                    name=other["name"],
                ),
                user,
            )
            _cite(name, other.get("cite"), user)


def _transfers_by_reorganisation(tasks_data: dict, reorganisations: list) -> dict:
    """The transfers of tasks.yaml as changes of the reorganisation each names, in order."""
    transfers = {r["key"]: [] for r in reorganisations}
    for entry in tasks_data.get("transfers") or ():
        if entry["reorganisation"] not in transfers:
            raise ValueError(f"A transfer names an unknown reorganisation: {entry}")
        transfers[entry["reorganisation"]].append(_transfer_spec(entry))
    return transfers


def _responsibilities_by_reorganisation(tasks_data: dict, reorganisations: list) -> list:
    """For each reorganisation R_i, the responsibilities whose start d has
    R_i.date <= d < R_{i+1}.date (an undated reorganisation or start counts as the earliest),
    so that each is saved once the structure it needs exists and before later changes move
    it on."""
    earliest = datetime.date.min
    dates = [r.get("date") or earliest for r in reorganisations]
    if dates != sorted(dates):
        raise ValueError("The reorganisations in the seed data must be in date order.")
    buckets = [[] for _ in reorganisations]
    for task in tasks_data.get("tasks") or ():
        for entry in task.get("responsibilities") or ():
            start = entry.get("from") or earliest
            before = [i for i, d in enumerate(dates) if d <= start]
            if not before:
                raise ValueError(f"{task['slug']}: a responsibility starts before the seed data")
            buckets[before[-1]].append((task["slug"], entry))
    return buckets
