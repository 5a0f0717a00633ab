"""The API's reorganisations (`/api/v1/reorganisations`) and its change feed
(`/api/v1/changes`): what changed in the organisation (valid time), and what changed in the
record (record time), for clients that keep a copy in step."""

import datetime
from urllib.parse import urlencode

from django.core import signing
from django.core.exceptions import BadRequest
from django.db import OperationalError, connection, transaction
from django.db.models import Count, F, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from orgunits.api import DatingOut
from orgunits.recorded import latest_versions
from socialforvaltning.api import (
    DATE,
    PAGE,
    PAGE_SIZE,
    PAGE_SIZE_MAX,
    RECORDED,
    SIZE,
    AsOfOut,
    PageOut,
    as_of_out,
    page_links,
    read,
)
from socialforvaltning.asof import AsOf
from socialforvaltning.lib.dates import parse_moment
from socialforvaltning.lib.people import public_name
from socialforvaltning.version import data_version

from .feed import entries_after, written_after
from .models import Change, Reorganisation

router = Router(tags=["Reorganisations and the change feed"])


class ReorganisationOut(Schema):
    id: int
    url: str
    api_url: str
    title: str
    date: DatingOut
    status: str
    withdrawn_at: str | None
    withdrawal_reason: str | None
    change_count: int


class ReorganisationPage(PageOut):
    as_of: AsOfOut
    results: list[ReorganisationOut]


class ChangeOut(Schema):
    id: int
    kind: str
    unit: str | None
    target: str | None
    previous_parent: str | None
    name: str | None
    short_name: str | None
    unit_kind: str | None
    target_group: str | None
    role: str | None
    inferred: bool
    note: str


class ReorganisationDetail(ReorganisationOut):
    as_of: AsOfOut
    description: str
    changes: list[ChangeOut]
    changes_page: PageOut


STATUS = Query(
    None,
    description="Only reorganisations with this status (in_force, withdrawn).",
    pattern="^(in_force|withdrawn)$",
)


def _reorganisations(when):
    """The reorganisations staff see (planned ones are not yet decided), as recorded at
    `when.recorded` if given: their status, title and date then."""
    if when.recorded is None:
        return Reorganisation.objects.on_record()
    recorded = latest_versions(Reorganisation, when.recorded)
    return recorded.exclude(status=Reorganisation.Status.PLANNED)


def _as_recorded(rows) -> list:
    """Rows of `_reorganisations` as reorganisations (a version as its model instance)."""
    return [getattr(row, "instance", row) for row in rows]


def _reorganisation_out(request, r, change_count: int) -> dict:
    return {
        "id": r.pk,
        "url": request.build_absolute_uri(reverse("history:detail", args=[r.pk])),
        "api_url": request.build_absolute_uri(reverse("api:reorganisation", args=[r.pk])),
        "title": r.title,
        "date": r.dating.as_json(),
        "status": r.status,
        "withdrawn_at": timezone.localtime(r.withdrawn_at).isoformat() if r.withdrawn_at else None,
        "withdrawal_reason": r.withdrawal_reason or None,
        "change_count": change_count,
    }


@read(
    router,
    "/reorganisations",
    ReorganisationPage,
    name="reorganisations",
    summary="The reorganisations",
)
def reorganisations(
    request,
    date: str = DATE,
    recorded: str = RECORDED,
    status: str = STATUS,
    page: int = PAGE,
    page_size: int = SIZE,
):
    """The reorganisations in force and withdrawn, in order of date (planned ones are not
    shown until they are put in force). With `date`, only those that took effect by it; with
    `recorded`, as the registry recorded them then."""
    when = AsOf.from_request(request)
    found = _reorganisations(when)
    if request.GET.get("date"):
        found = found.filter(Q(date__lte=when.date) | Q(date__isnull=True))
    if status:
        found = found.filter(status=status)
    links = page_links(request, page, page_size, found.count())
    start = (page - 1) * page_size
    rows = _as_recorded(
        found.order_by(F("date").asc(nulls_first=True), "id")[start : start + page_size]
    )
    counts = _change_counts(when, rows)
    return {
        **links,
        "as_of": as_of_out(when),
        "results": [_reorganisation_out(request, r, counts.get(r.pk, 0)) for r in rows],
    }


def _changes_of(when, ids):
    if when.recorded is None:
        return Change.objects.filter(reorganisation_id__in=ids)
    return latest_versions(Change, when.recorded).filter(reorganisation_id__in=ids)


def _change_counts(when, reorganisations) -> dict:
    """How many changes each of `reorganisations` has: as stored, or as recorded then."""
    if when.recorded is None:
        return {r.pk: r.change_count for r in reorganisations}
    counts = _changes_of(when, [r.pk for r in reorganisations]).order_by()
    counts = counts.values("reorganisation_id").annotate(n=Count("id"))
    return dict(counts.values_list("reorganisation_id", "n"))


@read(
    router,
    "/reorganisations/{pk}",
    ReorganisationDetail,
    name="reorganisation",
    summary="One reorganisation and its changes",
)
def reorganisation(
    request,
    pk: int,
    date: str = DATE,
    recorded: str = RECORDED,
    page: int = PAGE,
    page_size: int = SIZE,
):
    """A reorganisation, its status and dating, and its changes (paged: a generated
    reorganisation may hold thousands), each naming the units by slug."""
    when = AsOf.from_request(request)
    found = next(iter(_as_recorded(_reorganisations(when).filter(id=pk)[:1])), None)
    if found is None:
        raise Http404(_("The registry has no reorganisation number %(pk)s.") % {"pk": pk})
    changes = _changes_of(when, [found.pk]).order_by("id")
    links = page_links(request, page, page_size, _change_counts(when, [found]).get(found.pk, 0))
    start = (page - 1) * page_size
    return {
        **_reorganisation_out(request, found, links["count"]),
        "as_of": as_of_out(when),
        "description": found.description,
        "changes": [_change_out(c) for c in _change_rows(changes)[start : start + page_size]],
        "changes_page": links,
    }


def _change_rows(changes):
    """`changes` (now or as recorded) as rows of what the API shows, the units by slug."""
    return changes.values(
        "id",
        "kind",
        "name",
        "short_name",
        "unit_kind",
        "target_group",
        "role",
        "inferred",
        "note",
        unit_slug=F("unit__slug"),
        target_slug=F("target__slug"),
        previous_parent_slug=F("previous_parent__slug"),
    )


def _change_out(c: dict) -> dict:
    return {
        "id": c["id"],
        "kind": c["kind"],
        "unit": c["unit_slug"],
        "target": c["target_slug"],
        "previous_parent": c["previous_parent_slug"],
        "name": c["name"] or None,
        "short_name": c["short_name"] or None,
        "unit_kind": c["unit_kind"] or None,
        "target_group": c["target_group"] or None,
        "role": c["role"] or None,
        "inferred": c["inferred"],
        "note": c["note"],
    }


# The change feed ---------------------------------------------------------------------


class RecordChangeOut(Schema):
    recorded_at: str
    operation: str
    record: str
    id: int
    unit: str | None
    task: str | None
    reorganisation: int | None
    by: str
    reason: str | None


class FeedOut(Schema):
    data_version: str
    since: str | None
    results: list[RecordChangeOut]
    next: str | None
    cursor: str | None


OPERATIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _encode(cursor: tuple) -> str:
    """The position of the last entry given, signed: a cursor the feed did not give is
    refused rather than followed."""
    return signing.dumps([cursor[0].isoformat(), cursor[1], cursor[2]], salt="change-feed")


def _decode(text: str) -> tuple:
    try:
        moment, label, history_id = signing.loads(text, salt="change-feed")
        moment = datetime.datetime.fromisoformat(moment).astimezone(datetime.UTC)
        if not isinstance(label, str) or not isinstance(history_id, int):
            raise ValueError
    except (signing.BadSignature, ValueError, TypeError, OverflowError):
        raise BadRequest(
            _("“after” is not a cursor this feed gave: start again from a moment (since).")
        ) from None
    return moment, label, history_id


# How long a write may take between the moment it stamps its history rows and the moment it
# waits for the data version's lock; the feed leaves the last of it for the next request.
SETTLE = datetime.timedelta(seconds=2)


# How long the feed waits for the writes ahead of it before it answers 503.
WAIT_FOR_WRITERS = "5s"


def _settled_moment() -> datetime.datetime:
    """The moment up to which every write that stamped history rows has committed.

    Writes are ordered by the data version's row lock, which each takes with its first
    history row and holds until it commits; a write that stamped its rows earlier may still
    be waiting for it. On PostgreSQL the feed waits (up to 5 s) for the writes holding or
    waiting for the lock, and answers 503 if they take longer; on SQLite, where a write waits
    for the database instead, the last SETTLE seconds are left for the next request."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{WAIT_FOR_WRITERS}'")
            try:
                cursor.execute("SELECT counter FROM registry_data_version WHERE id = 1 FOR SHARE")
            except OperationalError:
                message = _("A write is in progress; ask again in a few seconds.")
                raise HttpError(503, message) from None
    return timezone.now() - SETTLE


def _position(request) -> str:
    """Where in the feed a request asks from: its cursor, or its moment."""
    after, since = request.GET.get("after"), request.GET.get("since")
    return after or (f"since {since}" if since else "start")


SINCE = Query(
    None,
    description="Start after this moment of record time (YYYY-MM-DDTHH:MM[:SS]); "
    "from the first record if left out.",
)
AFTER = Query(
    None, max_length=300, description="The cursor the previous answer gave: go on from it."
)
ENTRIES = Query(PAGE_SIZE, ge=1, le=PAGE_SIZE_MAX, description="Entries per page.")


@read(
    router,
    "/changes",
    FeedOut,
    name="feed",
    summary="What changed in the record",
    position=_position,
    hints=dict.fromkeys(
        ("date", "recorded", "page"),
        _lazy(
            "The change feed lists writes in the order they were recorded and takes no "
            "%(names)s: start at a moment with since=, and go on with next or after=."
        ),
    ),
)
def feed(request, since: str = SINCE, after: str = AFTER, page_size: int = ENTRIES):
    """Every write to the registry's records (units, names, placements, identifiers,
    reorganisations and their changes, tasks, responsibilities, sources), in the order it was
    recorded: when, what, created / changed / deleted, by whom and why; what is not yet
    published (a planned reorganisation) is left out. To keep a copy in step: read from
    `since`, follow `next` until it is null, keep the last `cursor` and ETag, and later ask
    with `after=<cursor>` and If-None-Match: a 304 means nothing was written."""
    cursor = _decode(after) if after else _start(since)
    with transaction.atomic():
        settled = _settled_moment()
        version = data_version()
        rows = entries_after(cursor, until=settled, limit=page_size + 1)
        unsettled = written_after(settled)
    more, rows = len(rows) > page_size, rows[:page_size]
    last = (rows[-1]["history_date"], rows[-1]["record"], rows[-1]["history_id"]) if rows else None
    _tag_position(request, last, more=more, unsettled=unsettled)
    return {
        "data_version": version,
        "since": cursor[0].isoformat() if since and not after else None,
        "results": _entries_out(rows),
        "next": _next_page(request, last, page_size) if more else None,
        "cursor": _encode(last) if last else (after or None),
    }


def _start(since: str | None) -> tuple:
    """The cursor just after the moment `since`, or before the first record."""
    if since:
        return (parse_moment(since, name="since"), "\uffff", 0)  # strictly after it
    return (datetime.datetime(1, 1, 1, tzinfo=datetime.UTC), "", 0)


def _tag_position(request, last: tuple | None, *, more: bool, unsettled: bool) -> None:
    """The ETag of the last page stands for the next request (after its cursor), so that the
    client's next poll is a 304 while nothing is written; while a write is still settling,
    there is no ETag, so that the poll after it is answered in full."""
    if unsettled:
        request.answer_position = None
    elif not more:
        request.answer_position = _encode(last) if last else _position(request)


def _next_page(request, last: tuple, page_size: int) -> str:
    query = urlencode({"after": _encode(last), "page_size": page_size})
    return request.build_absolute_uri(f"{request.path}?{query}")


def _entries_out(rows: list[dict]) -> list[dict]:
    users = _people({r["history_user_id"] for r in rows} - {None})
    return [
        {
            "recorded_at": timezone.localtime(r["history_date"]).isoformat(),
            "operation": OPERATIONS.get(r["history_type"], r["history_type"]),
            "record": r["record"],
            "id": r["id"],
            "unit": r["about_unit"],
            "task": r["about_task"],
            "reorganisation": r["about_reorganisation"],
            "by": users.get(r["history_user_id"]) or public_name(None),
            "reason": r["history_change_reason"] or None,
        }
        for r in rows
    ]


def _people(ids: set) -> dict:
    from django.contrib.auth import get_user_model

    return {user.pk: public_name(user) for user in get_user_model().objects.filter(pk__in=ids)}
