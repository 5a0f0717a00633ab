"""Writing EAC-CPF records as draft units, all of them or none.

`import_records` checks the records against the registry and writes them in one transaction,
under the structure lock: an invalid record writes nothing. Structure is written only through
`history.services.apply_reorganisation`, as `plan.Plan` lays it out; the records' descriptive
parts (fields, names the structure did not write, identifiers, sources) are then saved row by
row. Every row is validated (`full_clean`) and saved with the importing user and a reason, so
the import is in each record's history. `import_files` reads files (`read`) and imports them.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from history.changes import Cite, naming_of
from history.models import Reorganisation
from history.services import REASON_MAX_LENGTH, apply_reorganisation
from orgunits.exports.eaccpf.record import Record, Source
from orgunits.models import Citation, Kind, SourceDocument, Unit, UnitIdentifier, UnitName
from socialforvaltning.lib.saving import save_with_history
from socialforvaltning.lib.text import danish_slug
from socialforvaltning.locks import lock_structure

from .plan import Plan, Planned, check, kind_of, target_group_of
from .read import ImportFailed, read_files


@dataclass
class ImportResult:
    units: list[str] = field(default_factory=list)
    reorganisations: int = 0
    messages: list[str] = field(default_factory=list)  # what the archivist should know


def import_files(files: Iterable[tuple[str, bytes]], *, user, reason: str) -> ImportResult:
    """Read and import `files` ((name, content) pairs: EAC-CPF records or zips of them)."""
    return import_records(read_files(files), user=user, reason=reason)


def import_records(items: Sequence[tuple[str, Record]], *, user, reason: str) -> ImportResult:
    """Write the records as draft units, all of them or none (raises ImportFailed)."""
    reason = (reason or "").strip()
    if not reason:
        raise ImportFailed(_("Say why the records are imported (a reason is required)."))
    if len(reason) > REASON_MAX_LENGTH:
        raise ImportFailed(
            _("The reason is too long (at most %(max)s characters).") % {"max": REASON_MAX_LENGTH}
        )
    result = ImportResult()
    try:
        with transaction.atomic():
            # Checked and written under the structure lock: what the checks read cannot
            # change before the writes, and no reorganisation runs beside the import.
            lock_structure()
            check(items)
            plan = Plan(items, result.messages)
            result.reorganisations = _reorganise(plan, user=user, reason=reason)
            for name, record in items:
                _Writer(name, record, plan, user=user, reason=reason).write()
                result.units.append(record.slug)
    except ImportFailed:
        raise
    except ValidationError as e:
        raise ImportFailed(
            [_("Nothing was imported: %(message)s") % {"message": m} for m in e.messages]
        ) from e
    except DatabaseError as e:
        # A constraint only the database holds (PostgreSQL's exclusion constraints).
        raise ImportFailed(_("Nothing was imported: %(message)s") % {"message": e}) from e
    return result


def _reorganise(plan: Plan, *, user, reason: str) -> int:
    """Applies the planned reorganisations; returns how many."""
    planned = plan.reorganisations()
    for reorganisation in planned:
        bound = reorganisation.bound
        apply_reorganisation(
            title=_distinct(reorganisation),
            description=_(
                "Recorded by an import of EAC-CPF records; the date and its certainty come "
                "from the records."
            ),
            date=bound.date,
            certainty=bound.certainty,
            not_before=bound.not_before,
            not_after=bound.not_after,
            changes=reorganisation.changes,
            cite=_cites(reorganisation.passages, user=user, reason=reason),
            reason=reason,
            user=user,
        )
    return len(planned)


def _distinct(reorganisation: Planned) -> str:
    """A title that does not pass the import off as a reorganisation the registry already has
    (importing one record into a full registry). Asked as each is applied: an earlier one of
    the same import counts too."""
    title, day = reorganisation.title, reorganisation.bound.date
    if Reorganisation.objects.filter(date=day, title=title).exists():
        return _("%(title)s (imported from EAC-CPF)") % {"title": title[:260]}
    return title


def _cites(sources: list[Source], *, user, reason: str) -> list[Cite]:
    """The passages about a disputed reorganisation (both sides), once each though several
    records give them, citing documents written (with their history) where the registry
    lacks them."""
    cites = {}
    for source in sources:
        cite = Cite(
            document=_document(source, lambda obj: _saved(obj, user, reason)).key,
            heading=source.heading[:300],
            excerpt=source.passage,
            role=source.role,
            note=source.note,
        )
        cites.setdefault(cite, None)
    return list(cites)


class _Writer:
    """Writes one record's descriptive parts: the unit's fields, names the structure did not
    write, identifiers and sources."""

    def __init__(self, name: str, record: Record, plan: Plan, *, user, reason: str):
        self.name, self.record, self.plan = name, record, plan
        self.user, self.reason = user, reason

    def save(self, obj):
        try:
            return _saved(obj, self.user, self.reason)
        except ValidationError as error:
            raise ValidationError([f"{self.name}: {m}" for m in error.messages]) from None

    def write(self):
        self.mention_kind()
        unit = self.unit()
        refs = {"": unit}  # what a source is about, by the id the record gives it
        self.names(unit, refs)
        self.identifiers(unit, refs)
        self.sources(unit, refs)

    def mention_kind(self):
        record = self.record
        if record.kind and record.kind not in Kind.values:
            self.plan.say(
                record.slug,
                _("the kind “%(kind)s” is unknown; the unit is imported as a sub-unit.")
                % {"kind": record.kind},
            )
        elif not record.kind:
            self.plan.say(
                record.slug,
                _("the record does not say what kind of unit it is; it is imported as a sub-unit."),
            )

    def unit(self) -> Unit:
        """The unit with the record's fields: the one its creation wrote, else a new draft."""
        record = self.record
        unit = Unit.objects.filter(slug=record.slug).first() or Unit(slug=record.slug)
        fields = {
            "kind": kind_of(record),
            "kind_inferred": record.kind_inferred,
            "target_group": target_group_of(record),
            "position": record.position if record.position is not None else 100,
            "description": record.description,
            "functions": record.functions,
            "mandates": record.mandates,
            "internal_structure": record.internal_structure,
            "archival_type": record.archival_type,
            "record_status": "draft",
            "detail_level": record.detail_level or "partial",
            "maintenance_notes": record.maintenance_notes,
            "record_language": record.record_language or "dan",
        }
        if unit.pk is None or any(getattr(unit, k) != v for k, v in fields.items()):
            for key, value in fields.items():
                setattr(unit, key, value)
            self.save(unit)
        return unit

    def names(self, unit: Unit, refs: dict):
        """Names the structure did not write; the authorised names it wrote take the record's
        language."""
        structured = self.record.slug in self.plan.placement
        for name in self.record.names:
            if structured and name.kind == UnitName.Kind.AUTHORISED:
                row = (
                    unit.names.authorised()
                    .filter(valid_from=name.start.date if name.start else None)
                    .first()
                )
                if row is not None and row.language != name.language:
                    row.language = name.language
                    self.save(row)
            else:
                row = self.save(
                    UnitName(
                        unit=unit,
                        kind=name.kind,
                        **naming_of(name),
                        language=name.language,
                        valid_from=name.start.date if name.start else None,
                        valid_to=name.end.date if name.end else None,
                    )
                )
            if name.ref and row is not None:
                refs[name.ref] = row

    def identifiers(self, unit: Unit, refs: dict):
        for identifier in self.record.identifiers:
            row = self.save(
                UnitIdentifier(unit=unit, scheme=identifier.scheme, value=identifier.value)
            )
            if identifier.ref:
                refs[identifier.ref] = row

    def sources(self, unit: Unit, refs: dict):
        for source in self.record.sources:
            self.save(
                Citation(
                    document=_document(source, self.save),
                    heading=source.heading[:300],
                    excerpt=source.passage,
                    role=source.role,
                    note=source.note,
                    content_object=refs.get(source.about, unit),
                )
            )


def _saved(obj, user, reason: str):
    """`obj` checked and saved, its history saying who and why. A refusal names the kind of
    record and the field."""
    try:
        obj.full_clean()
    except ValidationError as error:
        messages = []
        for name, said in error.message_dict.items():
            label = "" if name == NON_FIELD_ERRORS else obj._meta.get_field(name).verbose_name
            for message in said:
                what = {"record": obj._meta.verbose_name, "value": str(obj)[:80]}
                what |= {"field": label, "message": message}
                messages.append(
                    _("%(record)s «%(value)s», %(field)s: %(message)s") % what
                    if label
                    else _("%(record)s «%(value)s»: %(message)s") % what
                )
        raise ValidationError(messages) from None
    return save_with_history(obj, user=user, reason=reason, clean=False)  # cleaned above


def _document(source: Source, save) -> SourceDocument:
    """The document a source cites: the registry's own where key and file agree, else a new
    one (`save` writes it with its history)."""
    key = source.document_key or danish_slug(source.title)[:50] or "kilde"
    existing = SourceDocument.objects.filter(key=key).first()
    # Without a file name, the document is the registry's only if its title agrees too.
    if existing is not None and (
        existing.filename == source.filename
        or (not source.filename and existing.title == source.title)
    ):
        return existing
    base, n = key, 2
    while existing is not None:
        key = f"{base[:45]}-{n}"
        n += 1
        existing = SourceDocument.objects.filter(key=key).first()
        if existing is not None and existing.filename == source.filename:
            return existing
    return save(
        SourceDocument(key=key, filename=source.filename or source.title[:200], title=source.title)
    )
