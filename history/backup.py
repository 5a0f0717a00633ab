"""Backing up and restoring the whole registry, its history included.

Two formats:

- ``postgres``: pg_dump's custom format of the whole database, restored with pg_restore
  (PostgreSQL only). It is the database itself: every table, sequence and constraint.
- ``portable``: gzipped JSON in Django's fixture format (what ``dumpdata`` writes, with times
  to the microsecond) of every registry record and every
  history row, the users and groups the history names, and the admin's log; users, groups,
  permissions and content types by natural key, registry records by their ids (history rows
  and citations refer to them). It is restored with ``loaddata`` into a migrated, empty
  database of either engine, so it also moves a registry between SQLite and PostgreSQL.

Both read one consistent snapshot (pg_dump's own; a repeatable-read transaction for the
portable format), so a backup taken while archivists work is still a registry that was.
A backup holds the users' password hashes: keep it like the database.
"""

import datetime
import gzip
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DataError, IntegrityError, connection, transaction
from django.db.backends.postgresql.client import DatabaseClient
from django.utils.translation import gettext as _

from socialforvaltning.version import start_new_epoch

POSTGRES, PORTABLE = "postgres", "portable"
FORMATS = (POSTGRES, PORTABLE)
REGISTRY_APPS = ("orgunits", "history", "responsibilities")
# Content types and permissions are created by `migrate` and referred to by natural key.
PORTABLE_CONTENT = ("auth.group", "auth.user", *REGISTRY_APPS, "admin.logentry")
PG_DUMP_MAGIC = b"PGDMP"
GZIP_MAGIC = b"\x1f\x8b"


def default_format() -> str:
    return POSTGRES if connection.vendor == "postgresql" else PORTABLE


def format_of(path: Path) -> str:
    """Which format a backup file is in, from its first bytes."""
    with open(path, "rb") as f:
        head = f.read(5)
    if head.startswith(PG_DUMP_MAGIC):
        return POSTGRES
    if head.startswith(GZIP_MAGIC) or head.lstrip()[:1] == b"[":
        return PORTABLE
    raise CommandError(
        _("%(path)s is not a backup of the registry (neither pg_dump's format nor JSON).")
        % {"path": path}
    )


# Counting ----------------------------------------------------------------------------------


def registry_models() -> list:
    """Every registry model and its history model."""
    models = []
    for label in REGISTRY_APPS:
        models += list(apps.get_app_config(label).get_models())
    return models


def contents() -> dict[str, int]:
    """What the database holds, table by table (registry tables and users)."""
    tables = set(connection.introspection.table_names())
    counts = {}
    for model in [*registry_models(), get_user_model()]:
        if model._meta.db_table in tables:
            counts[model._meta.label] = model._base_manager.count()
    return counts


def is_empty() -> bool:
    return not any(contents().values())


# PostgreSQL clients ----------------------------------------------------------------------------


def _client(program: str, bin_dir: str | None) -> str:
    """The pg_dump / pg_restore matching the server: from `bin_dir`, else Debian's
    /usr/lib/postgresql/<server major>/bin, else the PATH; refused if older than the server."""
    server_major = connection.pg_version // 10000
    candidates = [Path(bin_dir) / program] if bin_dir else []
    candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin") / program)
    found = shutil.which(program)
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            break
    else:
        raise CommandError(
            _("%(program)s is not installed: install the PostgreSQL %(major)s client.")
            % {"program": program, "major": server_major}
        )
    version = subprocess.run(
        [str(candidate), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"\)\s*(\d+)", version)
    client_major = int(match.group(1)) if match else 0
    if client_major < server_major:
        raise CommandError(
            _(
                "%(program)s %(client)s cannot handle a PostgreSQL %(server)s server: install "
                "the PostgreSQL %(server)s client or name its folder with --pg-bin."
            )
            % {"program": program, "client": client_major, "server": server_major}
        )
    return str(candidate)


def _connection_args() -> tuple[list[str], dict]:
    """Host, port and user as arguments, password and TLS settings as environment, the way
    Django's own `dbshell` passes them."""
    args, env = DatabaseClient.settings_to_cmd_args_env(connection.settings_dict, [])
    return args[1:-1], {**os.environ, **(env or {})}


def _run(command: list[str], env: dict) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise CommandError(
            _("%(program)s failed: %(error)s")
            % {"program": Path(command[0]).name, "error": result.stderr.strip()}
        )
    return result.stdout


def _refuse_a_dump_without_units(path: Path, bin_dir: str | None):
    """A dump of another database, or of a registry without units, would replace the
    registry with nothing of it: read the dump's units (without a database) before."""
    units = _run(
        [
            _client("pg_restore", bin_dir),
            "--data-only",
            "--table=orgunits_unit",
            "--file=-",
            str(path),
        ],
        os.environ.copy(),
    )
    _before, table, rows = units.partition("COPY public.orgunits_unit ")
    if not table or rows.splitlines()[1:2] in ([], ["\\."]):  # no table, or no row in it
        raise CommandError(_not_a_backup(path, _("it holds no units")))


def _require_postgres():
    if connection.vendor != "postgresql":
        raise CommandError(
            _("The postgres format needs a PostgreSQL database; use --format portable.")
        )


# Backing up ------------------------------------------------------------------------------------


def back_up(output: Path, *, fmt: str, bin_dir: str | None = None):
    if fmt == POSTGRES:
        _require_postgres()
        args, env = _connection_args()
        _run(
            [
                _client("pg_dump", bin_dir),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={output}",
                *args,
                f"--dbname={connection.settings_dict['NAME']}",
            ],
            env,
        )
        return
    # One snapshot for every table: dumpdata reads them one after the other.
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with gzip.open(output, "wt", encoding="utf-8") as stream:
            serializers.serialize(
                "json",
                _portable_objects(),
                stream=stream,
                use_natural_foreign_keys=True,
                use_natural_primary_keys=True,
                cls=PreciseJSONEncoder,
            )


class PreciseJSONEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds (as ECMAScript does); a history row's time
    is when the registry recorded something, and its order is the record, so every
    microsecond is kept (Django's deserializer reads them back)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _portable_objects():
    """What `dumpdata --natural-foreign --natural-primary --all` would write, in an order in
    which everything a row refers to by natural key comes first."""
    selected = {}
    for label in PORTABLE_CONTENT:
        if "." in label:
            model = apps.get_model(label)
            selected.setdefault(model._meta.app_config, []).append(model)
        else:
            selected[apps.get_app_config(label)] = None
    for model in serializers.sort_dependencies(selected.items(), allow_cycles=True):
        yield from model._base_manager.order_by(model._meta.pk.name).iterator()


# Restoring -------------------------------------------------------------------------------------


def restore(path: Path, *, force: bool, bin_dir: str | None = None) -> list[str]:
    """Restore the backup at `path` into this database; returns what the archivist should
    know (a repaired tree numbering). Refuses a database holding registry data or users
    unless `force`, which replaces them."""
    fmt = format_of(path)
    if not force and not is_empty():
        raise CommandError(
            _(
                "The database is not empty (it holds registry records or users): restore into "
                "an empty database, or pass --force to replace what it holds."
            )
        )
    if fmt == POSTGRES:
        _require_postgres()
        _refuse_a_dump_without_units(path, bin_dir)
        args, env = _connection_args()
        _run(
            [
                _client("pg_restore", bin_dir),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                *args,
                f"--dbname={connection.settings_dict['NAME']}",
                str(path),
            ],
            env,
        )
        connection.close()  # the tables were replaced under this connection
        # A backup from an older version of the registry is brought up to date.
        call_command("migrate", interactive=False, verbosity=0)
    else:
        call_command("migrate", interactive=False, verbosity=0)
        with tempfile.TemporaryDirectory() as folder:
            fixture = _unpacked_portable(path, Path(folder))  # read whole before replacing
            # Emptying and loading are one transaction: a backup that fails to load leaves
            # the registry as it was.
            with transaction.atomic():
                if force and not is_empty():
                    call_command("flush", interactive=False, verbosity=0)
                try:
                    call_command("loaddata", str(fixture), verbosity=0)
                except (
                    DeserializationError,
                    IntegrityError,
                    DataError,
                    ValueError,
                    OverflowError,  # a number too large for SQLite
                ) as error:
                    message = str(error).replace(str(fixture), str(path))
                    raise CommandError(_not_a_backup(path, message)) from error
    recounted = _recount_changes()
    start_new_epoch()
    return _check_tree() + recounted


def _not_a_backup(path: Path, error) -> str:
    return _("%(path)s is not a whole backup of the registry (%(error)s); nothing was changed.") % {
        "path": path,
        "error": str(error).splitlines()[0][:200],
    }


def _unpacked_portable(path: Path, folder: Path) -> Path:
    """The backup's fixture, unpacked into `folder`, once it reads as a whole backup: JSON
    records that include the registry's units. A truncated or foreign file is refused here,
    before anything is replaced. Restored with `loaddata`: no history rows are written for
    loaded records (simple-history skips raw saves), the backup's own are loaded."""
    fixture = folder / "registry.json"
    with open(path, "rb") as head:  # the first bytes tell, not the whole file
        opener = gzip.open if head.read(2) == GZIP_MAGIC else open
    try:
        with opener(path, "rb") as source, open(fixture, "wb") as target:
            shutil.copyfileobj(source, target)
        with open(fixture, encoding="utf-8") as unpacked:
            records = json.load(unpacked)
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as error:
        raise CommandError(_not_a_backup(path, error)) from error
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise CommandError(_not_a_backup(path, _("it is not a list of records")))
    if not any(r.get("model") == "orgunits.unit" for r in records):
        raise CommandError(_not_a_backup(path, _("it holds no units")))
    # loaddata would save a record given twice as an update of the first: refused.
    keys = [(r.get("model"), r.get("pk")) for r in records if r.get("pk") is not None]
    if len(set(keys)) < len(keys):
        raise CommandError(_not_a_backup(path, _("it holds a record twice")))
    return fixture


def _recount_changes() -> list[str]:
    """A backup from before reorganisations stored their number of changes (or one edited
    by hand) is counted again: the number is derived from the changes it holds."""
    from history.models import Reorganisation

    with transaction.atomic():
        miscounted = list(Reorganisation.objects.miscounted())
        for reorganisation in miscounted:
            reorganisation.count_changes()
    if not miscounted:
        return []
    return [
        _("The number of changes of %(n)s reorganisations was counted again.")
        % {"n": len(miscounted)}
    ]


def _check_tree() -> list[str]:
    """The tree's numbering is loaded as it was stored; if it does not equal a fresh
    rebuild, rebuild it (the numbering carries no information of its own)."""
    from orgunits.integrity import tree_numbers_problems

    if not tree_numbers_problems():
        return []
    from history.numbering import renumber_tree

    with transaction.atomic():
        renumber_tree()
    return [_("The tree's numbering did not match the placements and was rebuilt.")]
