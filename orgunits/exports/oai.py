"""An OAI-PMH 2.0 data provider at `/oai`: harvesters read the units' authority records with
the protocol archives already speak (https://www.openarchives.org/OAI/openarchivesprotocol.html).

- **Items** are the units on record (`Unit.objects.on_record()`) that have a name, each in
  three formats: `eac-cpf` (EAC-CPF 2010, revised 2018), `eac-cpf-2` (EAC-CPF 2.0), both
  written by `orgunits.exports.eaccpf.export`, and `oai_dc` (simple Dublin Core read off the same
  record).
- **Identifiers** are `oai:socialforvaltning.kk.dk:unit/<slug>`: a fixed repository identifier
  rather than the host a request came in on, so that a unit keeps its identifier whatever
  address the registry is served at; slugs are read-only once given.
- **Datestamps** are record time (UTC): the moment of the latest history row of anything the
  unit's record is read from — the unit, its names, identifiers, placements and those of the
  units placed right below it, reclassifications, the citations on the unit, its names and its
  identifiers, and the changes naming it. One grouped UNION ALL over the history tables reads
  them for every unit at once (`_history_rows`). Other units' names, which a record quotes in
  its relations, do not move its datestamp.
- **Sets**: `kind:<kind>` holds the units that were of that kind at some time (from their
  beginning, or by a reclassification), `targetgroup:<group>` likewise; `kind` and
  `targetgroup` hold all of their subsets. Their names are the registry's Danish labels.
- **Deleted records** are `persistent`, as history is never deleted. A unit that had a name
  on record and is no longer disseminated has a deleted header, dated by its last history row:
  one deleted (a draft never placed, in the admin), one whose creation was withdrawn (its record
  stays, docs/corrections.md, but without the name that creation gave, which no EAC-CPF record
  can be), one that a planned reorganisation places (out of the record until the plan is put in
  force). It has no metadata in any format (ListMetadataFormats: noMetadataFormats). A unit
  only a plan ever named was never on record and is not listed at all: plans are not public.
- **Lists** run in (datestamp, unit id) order, `PAGE_SIZE` items a page. A resumption token
  is the original arguments and the last (datestamp, id) delivered, signed (keyset
  pagination): every page costs what the first does, and a unit edited during a harvest moves
  to the end of the list, where the harvest meets it again. Tokens do not expire.
"""

import dataclasses
import datetime
import re

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.db.models import Exists, F, Min, OuterRef, Q, Subquery, Value
from django.http import HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from lxml import etree

from history.models import Change, Reorganisation
from orgunits.models import (
    Citation,
    Kind,
    TargetGroup,
    Unit,
    UnitClassification,
    UnitIdentifier,
    UnitName,
    UnitNode,
    classification_labels,
)
from orgunits.views import base_url
from socialforvaltning.lib.text import NOT_IN_XML

from .eaccpf import collect, export
from .eaccpf.schemas import NS_1, NS_2, V1, V2, XML
from .eaccpf.writer import xml_text

PAGE_SIZE = 100
REPOSITORY_NAME = "Socialforvaltningens organisationsregister"
# The namespace of the items' identifiers: a setting, fixed once harvesters hold them.
REPOSITORY_IDENTIFIER = settings.REGISTRY_OAI_REPOSITORY_IDENTIFIER
IDENTIFIER_PREFIX = f"oai:{REPOSITORY_IDENTIFIER}:unit/"


def admin_emails() -> list[str]:
    """Who answers for the repository (the protocol requires at least one): the operator's
    REGISTRY_OAI_ADMIN_EMAIL, else the registry's administrators' addresses, else the
    webmaster (RFC 2142) of the repository's own domain."""
    if settings.REGISTRY_OAI_ADMIN_EMAIL:
        return [settings.REGISTRY_OAI_ADMIN_EMAIL]
    from django.contrib.auth import get_user_model

    admins = get_user_model().objects.filter(is_superuser=True, is_active=True)
    found = sorted({e for e in admins.values_list("email", flat=True) if e})
    return found or [f"webmaster@{REPOSITORY_IDENTIFIER}"]


OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONTENT_TYPE = "text/xml; charset=utf-8"


@dataclasses.dataclass(frozen=True)
class Format:
    schema: str
    namespace: str
    version: str | None = None  # of EAC-CPF; None: Dublin Core


FORMATS = {
    "oai_dc": Format("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC),
    "eac-cpf": Format("https://eac.staatsbibliothek-berlin.de/schema/cpf.xsd", NS_1, V1),
    "eac-cpf-2": Format("https://eac.staatsbibliothek-berlin.de/schema/v2/eac.xsd", NS_2, V2),
}

# Per verb: (required, optional, exclusive) arguments besides the verb.
ARGUMENTS = {
    "Identify": (set(), set(), None),
    "ListMetadataFormats": (set(), {"identifier"}, None),
    "ListSets": (set(), set(), "resumptionToken"),
    "GetRecord": ({"identifier", "metadataPrefix"}, set(), None),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}, "resumptionToken"),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}, "resumptionToken"),
}

# The protocol's own patterns (OAI-PMH.xsd), so that every argument echoed is valid there too.
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
# A URI (identifierType is anyURI): ASCII, its escapes well-formed, an authority's port a number.
_URI_REST = r"(?:[A-Za-z0-9\-_.!~*'();/?:@&=+$,]|%[0-9A-Fa-f]{2})"
_IDENTIFIER = re.compile(
    rf"[A-Za-z][A-Za-z0-9+.\-]*:(?://[A-Za-z0-9\-.]+(?::[0-9]{{1,5}})?(?:[/?]{_URI_REST}*)?"
    rf"|(?!//){_URI_REST}+)"
)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SECOND = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
# Characters an XML document cannot hold, and a bound on what a harvester sends (echoed).
MAX_ARGUMENT = 500
MAX_TOKEN = 2000
TOKEN_SALT = "orgunits.exports.oai.resumption"


class OAIError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


# Arguments ---------------------------------------------------------------------------------


def arguments(query: QueryDict) -> tuple[str, dict[str, str]]:
    """The verb and its arguments, checked against the protocol; OAIError (badVerb,
    badArgument) for anything it does not allow."""
    given = dict(query.lists())
    verbs = given.pop("verb", [])
    if len(verbs) != 1 or verbs[0] not in ARGUMENTS:
        raise OAIError("badVerb", "The verb is missing, repeated or not an OAI-PMH verb.")
    verb = verbs[0]
    required, optional, exclusive = ARGUMENTS[verb]
    illegal = sorted(set(given) - required - optional - {exclusive})
    if illegal:
        raise OAIError("badArgument", f"{verb} takes no argument {_shown(illegal[0])}.")
    repeated = sorted(name for name, values in given.items() if len(values) > 1)
    if repeated:
        raise OAIError("badArgument", f"The argument {repeated[0]} is repeated.")
    args = {name: values[0] for name, values in given.items()}
    for name, value in args.items():
        limit = MAX_TOKEN if name == "resumptionToken" else MAX_ARGUMENT
        if not value or len(value) > limit or NOT_IN_XML.search(value):
            raise OAIError("badArgument", f"The argument {name} is empty, too long or unreadable.")
    if exclusive in args:
        if len(args) > 1:
            raise OAIError("badArgument", f"{exclusive} is an exclusive argument.")
        return verb, args
    missing = sorted(required - set(args))
    if missing:
        raise OAIError("badArgument", f"{verb} needs the argument {missing[0]}.")
    if "metadataPrefix" in args and not _PREFIX.fullmatch(args["metadataPrefix"]):
        raise OAIError("badArgument", "The metadataPrefix is not a well-formed prefix.")
    if "identifier" in args and not _IDENTIFIER.fullmatch(args["identifier"]):
        raise OAIError("badArgument", "The identifier is not a URI.")
    if "set" in args and not _SET_SPEC.fullmatch(args["set"]):
        raise OAIError("badArgument", "The set is not a well-formed setSpec.")
    harvest_window(args.get("from"), args.get("until"))  # refuses malformed moments
    return verb, args


def _shown(name: str) -> str:
    return name if _PREFIX.fullmatch(name) and len(name) <= 50 else "of that name"


def _moment(name: str, value: str) -> tuple[datetime.datetime, datetime.timedelta]:
    """A `from` or `until` value as a UTC moment and its granularity (a day, a second)."""
    try:
        if _DAY.fullmatch(value):
            day = datetime.datetime.strptime(value, "%Y-%m-%d")
            return day.replace(tzinfo=datetime.UTC), datetime.timedelta(days=1)
        if _SECOND.fullmatch(value):
            moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
            return moment.replace(tzinfo=datetime.UTC), datetime.timedelta(seconds=1)
    except ValueError:
        pass  # 2011-02-30, 25:00:00
    raise OAIError(
        "badArgument", f"{name} is not a date YYYY-MM-DD or a moment YYYY-MM-DDThh:mm:ssZ."
    )


def harvest_window(since: str | None, until: str | None):
    """(first moment, first moment after) a selective harvest covers, None for no bound: both
    inclusive at their granularity (a datestamp shown as 12:00:00 is within until=12:00:00Z,
    also when recorded at 12:00:00.5)."""
    start = end = None
    if since is not None:
        start, since_step = _moment("from", since)
    if until is not None:
        last, until_step = _moment("until", until)
        if since is not None and since_step != until_step:
            raise OAIError("badArgument", "from and until have different granularities.")
        if start is not None and start > last:
            raise OAIError("badArgument", "from is later than until.")
        try:
            end = last + until_step
        except OverflowError:
            end = None  # until=9999-12-31: no bound
    return start, end


# Resumption tokens -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Listing:
    """What a list request asks for, and how far a harvest has got (`after`, `cursor`)."""

    verb: str
    prefix: str
    since: str | None = None
    until: str | None = None
    set_spec: str | None = None
    after: tuple[datetime.datetime, int] | None = None
    cursor: int = 0

    def token(self, after, delivered: int) -> str:
        stamp, pk = after
        payload = {
            "verb": self.verb,
            "prefix": self.prefix,
            "from": self.since,
            "until": self.until,
            "set": self.set_spec,
            "after": [stamp.isoformat(), pk],
            "cursor": self.cursor + delivered,
        }
        return signing.dumps(payload, salt=TOKEN_SALT, compress=True)

    @classmethod
    def resumed(cls, verb: str, token: str) -> "Listing":
        """The listing a token of ours continues; badResumptionToken for any other token."""
        try:
            data = signing.loads(token, salt=TOKEN_SALT)
            stamp, pk = data["after"]
            listing = cls(
                verb=data["verb"],
                prefix=data["prefix"],
                since=data["from"],
                until=data["until"],
                set_spec=data["set"],
                after=(datetime.datetime.fromisoformat(stamp), int(pk)),
                cursor=int(data["cursor"]),
            )
        except (signing.BadSignature, ValueError, TypeError, KeyError):
            raise OAIError("badResumptionToken", "The resumption token is not valid.") from None
        if listing.verb != verb or listing.prefix not in FORMATS:
            raise OAIError("badResumptionToken", f"The resumption token is not one of {verb}.")
        return listing


# Items and their datestamps ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Item:
    pk: int
    slug: str
    deleted: bool
    kind: str
    target_group: str
    datestamp: datetime.datetime

    @property
    def identifier(self) -> str:
        return IDENTIFIER_PREFIX + self.slug


def slug_of(identifier: str) -> str | None:
    if not identifier.startswith(IDENTIFIER_PREFIX):
        return None
    return identifier.removeprefix(IDENTIFIER_PREFIX) or None


def _history_rows():
    """(unit_pk, moment) for every history row that changes what a unit's record says."""
    types = ContentType.objects.get_for_models(Unit, UnitName, UnitIdentifier)

    trials = Reorganisation.objects.trial_moments()

    def rows(history, unit):
        history = history.exclude(history_date__in=trials)  # a plan's trial is no edit
        return history.order_by().annotate(unit_pk=unit, moment=F("history_date"))

    def unit_of(model, field: str):
        # A name, identifier or placement belongs to one unit all its life.
        same = model.history.filter(id=OuterRef(field)).order_by()
        return Subquery(same.values("unit_id")[:1])

    def cited(model, unit):
        return rows(Citation.history.filter(content_type_id=types[model].pk), unit)

    parts = [
        rows(Unit.history.all(), F("id")),
        rows(UnitName.history.all(), F("unit_id")),
        rows(UnitIdentifier.history.all(), F("unit_id")),
        rows(UnitClassification.history.all(), F("unit_id")),
        rows(UnitNode.history.all(), F("unit_id")),
        rows(UnitNode.history.filter(parent_id__isnull=False), unit_of(UnitNode, "parent_id")),
        cited(Unit, F("object_id")),
        cited(UnitName, unit_of(UnitName, "object_id")),
        cited(UnitIdentifier, unit_of(UnitIdentifier, "object_id")),
        rows(Change.history.all(), F("unit_id")),
        rows(Change.history.filter(target_id__isnull=False), F("target_id")),
    ]
    columns = ("unit_pk", "moment")
    return (
        parts[0]
        .values_list(*columns)
        .union(*(p.values_list(*columns) for p in parts[1:]), all=True)
    )


ITEM_COLUMNS = ("item_pk", "item_slug", "item_deleted", "item_kind", "item_group")


def _in_set_q(set_spec: str | None, reclassified) -> Q:
    """Units of `set_spec`: by their own kind or group, or (`reclassified(q)`: whether a
    reclassification of the unit matches `q`; None where there are none) a later one."""
    if set_spec is None:
        return Q()
    family, _colon, value = set_spec.partition(":")
    if family == "kind" and not value:
        return Q()  # every unit has a kind
    field = "kind" if family == "kind" else "target_group"
    own = Q(**{field: value}) if value else ~Q(**{field: ""})
    return own if reclassified is None else own | reclassified(own)


def was_named(unit: str) -> Exists:
    """Whether the unit (`unit` names its id) ever had a name that a write kept: a plan is
    written and taken back in one moment, so a unit only a plan named was never on record."""
    taken_back = UnitName.history.filter(
        id=OuterRef("id"), history_type="-", history_date=OuterRef("history_date")
    )
    kept = UnitName.history.filter(unit_id=OuterRef(unit), history_type="+")
    return Exists(kept.exclude(Exists(taken_back)))


def _items(set_spec: str | None, slug: str | None):
    """Every item, with `ITEM_COLUMNS`: the units on record, and the deleted ones."""

    def reclassified(q: Q) -> Exists:
        return Exists(UnitClassification.objects.filter(q, unit=OuterRef("pk")))

    units = Unit.objects.filter(_in_set_q(set_spec, reclassified))
    history = Unit.history.filter(_in_set_q(set_spec, None))
    if slug is not None:
        units, history = units.filter(slug=slug), history.filter(slug=slug)
    disseminated = Unit.objects.with_a_record()
    # Deleted: every other unit that had a name before, whether its row is still there or
    # only its history (the last version of each slug no unit has any more).
    last_of_slug = Unit.history.filter(slug=OuterRef("slug")).order_by(
        "-history_date", "-history_id"
    )
    gone = (
        history.filter(history_id=Subquery(last_of_slug.values("history_id")[:1]))
        .exclude(id__in=Unit.objects.values("pk"))
        .exclude(slug__in=Unit.objects.values("slug"))
    )
    live = units.filter(pk__in=disseminated.values("pk"))
    left = units.exclude(pk__in=disseminated.values("pk")).filter(was_named("pk"))
    gone = gone.filter(was_named("id"))

    def columns(queryset, pk: str, deleted: bool):
        return (
            queryset.order_by()
            .annotate(
                item_pk=F(pk),
                item_slug=F("slug"),
                item_deleted=Value(deleted),
                item_kind=F("kind"),
                item_group=F("target_group"),
            )
            .values_list(*ITEM_COLUMNS)
        )

    return columns(live, "pk", False).union(
        columns(left, "pk", True), columns(gone, "id", True), all=True
    )


def items(
    *,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    set_spec: str | None = None,
    slug: str | None = None,
    after: tuple[datetime.datetime, int] | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Item], int]:
    """The items in (datestamp, id) order with a datestamp in [since, until) and after
    `after`, at most `limit`; and how many there are from `after` on, in one query."""
    items_sql, items_params = _items(set_spec, slug).query.sql_with_params()
    rows_sql, rows_params = _history_rows().query.sql_with_params()
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    unit_history = quote(Unit.history.model._meta.db_table)
    conditions, params = [], [*items_params, *rows_params]
    if since is not None:
        conditions.append("datestamp >= %s")
        params.append(adapt(since))
    if until is not None:
        conditions.append("datestamp < %s")
        params.append(adapt(until))
    if after is not None:
        conditions.append("(datestamp > %s OR (datestamp = %s AND item_pk > %s))")
        params += [adapt(after[0]), adapt(after[0]), after[1]]
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    # A unit without any history row (none is written outside simple-history) is dated by
    # the first one, which keeps earliestDatestamp a lower bound.
    sql = f"""
        SELECT {", ".join(ITEM_COLUMNS)}, datestamp, COUNT(*) OVER ()
        FROM (
            SELECT listed.*, COALESCE(
                stamps.stamp, (SELECT MIN(history_date) FROM {unit_history})
            ) AS datestamp
            FROM ({items_sql}) listed
            LEFT JOIN (
                SELECT unit_pk, MAX(moment) AS stamp FROM ({rows_sql}) history_rows
                GROUP BY unit_pk
            ) stamps ON stamps.unit_pk = listed.item_pk
        ) dated
        {where}
        ORDER BY datestamp, item_pk
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        rows = cursor.fetchall()
    found = [
        Item(pk, slug, bool(deleted), kind, group, _utc(stamp))
        for pk, slug, deleted, kind, group, stamp, _count in rows
    ]
    return found, rows[0][-1] if rows else 0


def _utc(value) -> datetime.datetime:
    """A moment read by raw SQL: an aware datetime (PostgreSQL) or text in UTC (SQLite)."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if timezone.is_naive(value):
        return value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


def item(identifier: str) -> Item:
    slug = slug_of(identifier)
    found = items(slug=slug, limit=1)[0] if slug else []
    if not found:
        raise OAIError("idDoesNotExist", "No record has that identifier here.")
    return found[0]


def earliest_datestamp() -> datetime.datetime:
    first = Unit.history.aggregate(first=Min("history_date"))["first"]
    return first or timezone.now()


def datestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Sets --------------------------------------------------------------------------------------


def sets() -> list[tuple[str, str]]:
    """(setSpec, setName in Danish) of every set."""
    with translation.override("da"):
        kind, group = _("Kind"), _("Target group")
        return [
            ("kind", kind),
            *((f"kind:{value}", f"{kind}: {label}") for value, label in Kind.choices),
            ("targetgroup", group),
            *(
                (f"targetgroup:{value}", f"{group}: {label}")
                for value, label in TargetGroup.choices
            ),
        ]


def set_specs(page: list[Item]) -> dict[int, list[str]]:
    """The sets each item of a page is in (its own kind and group, and those of its
    reclassifications), in one query."""
    found = {i.pk: {("kind", i.kind), ("targetgroup", i.target_group)} for i in page}
    reclassified = UnitClassification.objects.filter(unit_id__in=list(found))
    for pk, kind, group in reclassified.values_list("unit_id", "kind", "target_group"):
        found[pk] |= {("kind", kind), ("targetgroup", group)}
    return {
        pk: sorted(f"{family}:{value}" for family, value in pairs if value)
        for pk, pairs in found.items()
    }


# Metadata ----------------------------------------------------------------------------------


def metadata(record, prefix: str, base: str) -> etree._Element:
    """A record's metadata in the format of `prefix`, with where its schema is."""
    form = FORMATS[prefix]
    if form.version is None:
        root = dublin_core(record, base)
    else:
        root = export.to_xml(record, form.version, base_url=base).getroot()
        _ids_of_its_own(root, record.slug, form.version)
    root.set(f"{{{XSI}}}schemaLocation", f"{form.namespace} {form.schema}")
    return root


def _ids_of_its_own(root, slug: str, version: str):
    """The ids of a record are unique only within it, and a list of records would repeat
    `source-1` in one document, which parsers (1.x: xml:id) and validators (2.0: xs:ID)
    refuse: each becomes the record's own (`unit-<slug>.source-1`), and so does every
    reference to it, the passages' "about" spans (which the importer reads back) included."""
    key = f"{{{XML}}}id" if version == V1 else "id"
    own = {}
    for element in root.iter():
        if key in element.attrib:
            own[element.get(key)] = f"unit-{slug}.{element.get(key)}"
            element.set(key, own[element.get(key)])
    for element in root.iter():
        for name, value in element.attrib.items():
            if name.endswith("Reference"):  # sourceReference, conventionDeclarationReference
                element.set(name, " ".join(own.get(ref, ref) for ref in value.split()))
        if (element.get("localType") or "").endswith("#about") and element.text in own:
            element.text = own[element.text]


def dublin_core(record, base: str) -> etree._Element:
    """The record in simple Dublin Core: its names (the current authorised one first),
    page and outside identifiers, dates of existence, description, and related units."""
    root = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    language = export.UI_LANGUAGES.get(record.record_language, "da")

    def add(tag: str, text: str, lang: str | None = None):
        text = xml_text(text).strip()
        if text:
            element = etree.SubElement(root, f"{{{DC}}}{tag}")
            element.text = text
            if lang:
                element.set(XML_LANG, lang)

    authorised = [n for n in record.names if n.kind == UnitName.Kind.AUTHORISED]
    names = [*reversed(authorised), *(n for n in record.names if n not in authorised)]
    for name, lang in dict.fromkeys((n.name, n.language) for n in names):
        add("title", name, lang)
    add("identifier", export.unit_url(base, record.slug))
    for identifier in record.identifiers:
        add("identifier", f"{identifier.scheme}:{identifier.value}")
    if record.has_exist_dates:
        add("date", _edtf_interval(record.exists_from, record.exists_to))
    with translation.override(language):
        kind, group = classification_labels(record.kind, record.target_group)
    add("type", kind, language)
    add("subject", group if record.target_group else "", language)
    for text in (record.description, record.functions):
        add("description", text, language)
    for url in dict.fromkeys(export.unit_url(base, r.slug) for r in record.relations):
        add("relation", url)
    add("publisher", export.AGENCY_NAME, "da")
    add("language", record.record_language)
    for title in dict.fromkeys(source.title for source in record.sources):
        add("source", title)
    return root


def _edtf(bound) -> str:
    """A date as EDTF, no more precise than known: empty where unknown or within a range."""
    if bound is None or bound.date is None or bound.certainty not in ("exact", "approximate"):
        return ""
    return bound.date.isoformat() + ("~" if bound.certainty == "approximate" else "")


def _edtf_interval(start, end) -> str:
    """From the first day to the last (the day before the change that ended it); `..`: open."""
    first = _edtf(start)
    last = ".." if end is None else _edtf(end.shifted(-1))
    return "" if not first and last == ".." else f"{first}/{last}"


# Responses ---------------------------------------------------------------------------------


def respond(request) -> bytes:
    """The OAI-PMH response to `request`, as XML; whatever the request, a protocol error is
    an <error> in it."""
    base = base_url(request)
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
    _sub(root, "responseDate", datestamp(timezone.now()))
    echo = _sub(root, "request", base + reverse("oai"))
    try:
        verb, args = arguments(_query(request))
        for name, value in {"verb": verb, **args}.items():
            echo.set(name, value)
        VERBS[verb](root, args, base)
    except OAIError as error:
        del root[2:]  # the error alone after the request, whatever was begun
        if error.code in ("badVerb", "badArgument"):
            echo.attrib.clear()  # the protocol echoes only a request that was understood
        _sub(root, "error", error.message).set("code", error.code)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _query(request) -> QueryDict:
    """The arguments: a POST's form body, else the query string."""
    try:
        return request.POST if request.method == "POST" else request.GET
    except SuspiciousOperation:  # too many fields, a body too large
        raise OAIError("badArgument", "The request has too many or too large arguments.") from None


def _sub(parent, tag: str, text: str | None = None, namespace: str = OAI):
    element = etree.SubElement(parent, f"{{{namespace}}}{tag}")
    if text is not None:
        element.text = text
    return element


def identify(root, args: dict, base: str):
    element = _sub(root, "Identify")
    _sub(element, "repositoryName", REPOSITORY_NAME)
    _sub(element, "baseURL", base + reverse("oai"))
    _sub(element, "protocolVersion", "2.0")
    for address in admin_emails():
        _sub(element, "adminEmail", address)
    _sub(element, "earliestDatestamp", datestamp(earliest_datestamp()))
    _sub(element, "deletedRecord", "persistent")
    _sub(element, "granularity", "YYYY-MM-DDThh:mm:ssZ")
    description = _sub(element, "description")
    scheme = etree.SubElement(
        description, f"{{{OAI_IDENTIFIER}}}oai-identifier", nsmap={None: OAI_IDENTIFIER}
    )
    scheme.set(f"{{{XSI}}}schemaLocation", f"{OAI_IDENTIFIER} {OAI_IDENTIFIER}.xsd")
    sample = Unit.objects.on_record().order_by("pk").values_list("slug", flat=True).first()
    for tag, text in (
        ("scheme", "oai"),
        ("repositoryIdentifier", REPOSITORY_IDENTIFIER),
        ("delimiter", ":"),
        ("sampleIdentifier", IDENTIFIER_PREFIX + (sample or "slug")),
    ):
        _sub(scheme, tag, text, OAI_IDENTIFIER)


def list_metadata_formats(root, args: dict, base: str):
    if "identifier" in args and item(args["identifier"]).deleted:
        raise OAIError("noMetadataFormats", "A deleted record has no metadata in any format.")
    element = _sub(root, "ListMetadataFormats")
    for prefix, form in FORMATS.items():
        entry = _sub(element, "metadataFormat")
        _sub(entry, "metadataPrefix", prefix)
        _sub(entry, "schema", form.schema)
        _sub(entry, "metadataNamespace", form.namespace)


def list_sets(root, args: dict, base: str):
    if "resumptionToken" in args:
        raise OAIError("badResumptionToken", "ListSets is never split: it has no tokens.")
    element = _sub(root, "ListSets")
    for spec, name in sets():
        entry = _sub(element, "set")
        _sub(entry, "setSpec", spec)
        _sub(entry, "setName", name)


def get_record(root, args: dict, base: str):
    prefix = _format(args["metadataPrefix"])
    found = item(args["identifier"])
    _records(_sub(root, "GetRecord"), [found], prefix, base, with_metadata=True)


def list_identifiers(root, args: dict, base: str):
    _list(root, "ListIdentifiers", args, base)


def list_records(root, args: dict, base: str):
    _list(root, "ListRecords", args, base)


def _list(root, verb: str, args: dict, base: str):
    if "resumptionToken" in args:
        listing = Listing.resumed(verb, args["resumptionToken"])
    else:
        listing = Listing(
            verb,
            _format(args["metadataPrefix"]),
            args.get("from"),
            args.get("until"),
            args.get("set"),
        )
    since, until = harvest_window(listing.since, listing.until)
    known = listing.set_spec is None or listing.set_spec in dict(sets())
    page, remaining = (
        items(since=since, until=until, set_spec=listing.set_spec, after=listing.after)
        if known
        else ([], 0)
    )
    if not page:
        raise OAIError("noRecordsMatch", "No record matches these arguments.")
    element = _sub(root, verb)
    _records(element, page, listing.prefix, base, with_metadata=verb == "ListRecords")
    if len(page) < remaining or listing.cursor:
        more = len(page) < remaining
        token = _sub(
            element, "resumptionToken", listing.token(_key(page[-1]), len(page)) if more else None
        )
        token.set("completeListSize", str(listing.cursor + remaining))
        token.set("cursor", str(listing.cursor))


def _key(last: Item) -> tuple[datetime.datetime, int]:
    return last.datestamp, last.pk


def _format(prefix: str) -> str:
    if prefix not in FORMATS:
        raise OAIError("cannotDisseminateFormat", f"Records are in {', '.join(FORMATS)}.")
    return prefix


def _records(parent, page: list[Item], prefix: str, base: str, *, with_metadata: bool):
    specs = set_specs(page)
    live = [i.pk for i in page if not i.deleted]
    records = {}
    if with_metadata and live:
        records = {r.slug: r for r in collect.records_for(Unit.objects.filter(pk__in=live))}
    for found in page:
        entry = _sub(parent, "record") if with_metadata else parent
        header = _sub(entry, "header")
        if found.deleted:
            header.set("status", "deleted")
        _sub(header, "identifier", found.identifier)
        _sub(header, "datestamp", datestamp(found.datestamp))
        for spec in specs[found.pk]:
            _sub(header, "setSpec", spec)
        if with_metadata and not found.deleted:
            _sub(entry, "metadata").append(metadata(records[found.slug], prefix, base))


VERBS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
}


@csrf_exempt  # harvesters POST without a session; the endpoint writes nothing
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint(request):
    from socialforvaltning.api import refusal_of_reader

    refused = refusal_of_reader(request)
    if refused is not None:
        return refused
    return HttpResponse(respond(request), content_type=CONTENT_TYPE)
