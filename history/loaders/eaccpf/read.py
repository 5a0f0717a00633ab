"""Reading EAC-CPF files into `Record`s, the first step of an import (then `plan`, `write`).

A file is an XML record (EAC-CPF 2010 revised or 2.0, told apart by namespace) or a zip of them
such as /export/eac-cpf.zip. Each record is parsed without expanding entities or reaching the
network, validated against the official schema and read by `reader.RecordReader`. Nothing here
touches the database. `ImportFailed` is what every step of the import raises.
"""

import io
import lzma
import zipfile
import zlib
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree

from orgunits.exports.eaccpf.record import Record
from orgunits.exports.eaccpf.schemas import NS_1, NS_2, V1, V2, validate, version_of

from .reader import RecordReader

MAX_FILE_BYTES = 10 * 1024 * 1024
# What a zip may unpack to, checked against its central directory before anything is unpacked
# (reading then stops at each member's declared size). The registry's own export holds every
# unit twice, in both versions, at 5-15 KB a record: 10,000 units are 20,000 files, 100-300 MB.
MAX_ZIP_MEMBERS = 20_000
MAX_ZIP_BYTES = 500 * 1024 * 1024
# A record compresses about 4:1 (at most 7:1 in the seed); a zip bomb 1,000:1. Members smaller
# than RATIO_FROM_BYTES are let through whatever their ratio: they cannot be a bomb, and a
# tiny file's ratio says little (the grace Apache POI gives for the same check).
MAX_COMPRESSION_RATIO = 100
RATIO_FROM_BYTES = 100 * 1024
READ_CHUNK_BYTES = 64 * 1024
MAX_ERRORS_PER_FILE = 20
VERSION_NAMES = {V1: "EAC-CPF 2010", V2: "EAC-CPF 2.0"}
# What zipfile raises on a damaged, encrypted or unusual archive: not only BadZipFile, but
# also these from its headers and decompressors (found by fuzzing the import).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    zlib.error,
    lzma.LZMAError,
)


class ImportFailed(ValidationError):
    """The files cannot be imported; `messages` says why, file by file. Nothing was written."""


def read_files(files: Iterable[tuple[str, bytes]], *, progress=None) -> list[tuple[str, Record]]:
    """Parse and validate every file; raises ImportFailed listing every problem found.
    `progress(done, total)` is told as the files in a zip are read (the background job's
    progress bar)."""
    records, errors = [], []
    for name, data in files:
        if zipfile.is_zipfile(io.BytesIO(data)):
            records += _read_zip(name, data, errors, progress=progress)
        else:
            record = read_record(name, data, errors)
            if record is not None:
                records.append((name, record))
    if errors:
        raise ImportFailed(errors)
    return records


def _read_zip(name: str, data: bytes, errors: list, progress=None) -> list[tuple[str, Record]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        everything = archive.infolist()
        members = [m for m in everything if m.filename.lower().endswith(".xml")]
    except ZIP_ERRORS:
        errors.append(_("%(file)s: the zip file cannot be read.") % {"file": name})
        return []
    if len(everything) > MAX_ZIP_MEMBERS:
        errors.append(
            _("%(file)s: the zip file holds more than %(max)s files.")
            % {"file": name, "max": MAX_ZIP_MEMBERS}
        )
        return []
    if not members:
        errors.append(_("%(file)s: the zip file holds no XML files.") % {"file": name})
        return []
    if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
        errors.append(
            _("%(file)s: the zip file unpacks to more than %(max)s MB, the most an import reads.")
            % {"file": name, "max": MAX_ZIP_BYTES // (1024 * 1024)}
        )
        return []
    for member in members:
        if (
            member.file_size > RATIO_FROM_BYTES
            and member.file_size > MAX_COMPRESSION_RATIO * member.compress_size
        ):
            errors.append(
                _(
                    "%(file)s: the file unpacks to more than %(max)s times its compressed size, "
                    "which no EAC-CPF record does; the zip file is not unpacked."
                )
                % {"file": f"{name}/{member.filename}", "max": MAX_COMPRESSION_RATIO}
            )
            return []
    found = {}
    for done, member in enumerate(members):
        if progress is not None:
            progress(done, len(members))
        label = f"{name}/{member.filename}"
        if member.file_size > MAX_FILE_BYTES:
            errors.append(_("%(file)s: the file is too large.") % {"file": label})
            continue
        try:
            content = _unpacked(archive, member)
        except ZIP_ERRORS:
            errors.append(
                _("%(file)s: the file cannot be read from the zip file (damaged or encrypted).")
                % {"file": label}
            )
            continue
        record = read_record(label, content, errors)
        if record is None:
            continue
        # The registry's zip holds every record twice, once in each version: read one of them.
        earlier = found.get(record.slug)
        if earlier is not None and earlier[1].version != record.version:
            if record.version == V2:
                found[record.slug] = (label, record)
            continue
        if earlier is not None:
            errors.append(
                _("%(file)s: the recordId “%(slug)s” also identifies %(other)s.")
                % {"file": label, "slug": record.slug, "other": earlier[0]}
            )
            continue
        found[record.slug] = (label, record)
    return list(found.values())


def _unpacked(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """The member's content, read in chunks up to the size its header declares, which is what
    the limits were checked against: a header that understates the size is found at the
    first chunk beyond it, not after unpacking everything."""
    chunks, size = [], 0
    with archive.open(member) as stream:
        while chunk := stream.read(READ_CHUNK_BYTES):
            size += len(chunk)
            if size > member.file_size:
                raise zipfile.BadZipFile(f"{member.filename} unpacks to more than declared")
            chunks.append(chunk)
    return b"".join(chunks)


def read_record(name: str, data: bytes, errors: list) -> Record | None:
    """One EAC-CPF record from `data`, or None with the reasons added to `errors`."""
    if len(data) > MAX_FILE_BYTES:
        errors.append(_("%(file)s: the file is too large.") % {"file": name})
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        errors.append(
            _("%(file)s, line %(line)s: the file is not XML: %(detail)s")
            % {"file": name, "line": e.lineno or 1, "detail": e.msg}
        )
        return None
    # Entities are left unexpanded (no file or network access, no entity bombs); the schema
    # validator cannot read such a reference, so it is refused here, by name.
    entity = next(root.iter(etree.Entity), None)
    if entity is not None:
        errors.append(
            _(
                "%(file)s, line %(line)s: the file uses the entity %(entity)s, which the import "
                "does not expand: write its text in the record instead."
            )
            % {"file": name, "line": entity.sourceline or 1, "entity": entity.text}
        )
        return None
    version = version_of(root)
    if version is None:
        qname = etree.QName(root)
        errors.append(
            _(
                "%(file)s: the file is not an EAC-CPF record: its root element is <%(root)s> in "
                "the namespace “%(namespace)s”, not <eac-cpf> in %(ns1)s (EAC-CPF 2010) or "
                "<eac> in %(ns2)s (EAC-CPF 2.0)."
            )
            % {
                "file": name,
                "root": qname.localname,
                "namespace": qname.namespace or "",
                "ns1": NS_1,
                "ns2": NS_2,
            }
        )
        return None
    problems = validate(root, version)
    if problems:
        for problem in problems[:MAX_ERRORS_PER_FILE]:
            errors.append(
                _(
                    "%(file)s, line %(line)s: the record does not follow the %(schema)s schema: "
                    "%(detail)s"
                )
                % {
                    "file": name,
                    "line": problem.line,
                    "schema": VERSION_NAMES[version],
                    "detail": problem.message,
                }
            )
        return None
    before = len(errors)
    record = RecordReader(root, version, name, errors).record()
    return record if len(errors) == before else None
