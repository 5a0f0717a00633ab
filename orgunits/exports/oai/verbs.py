"""The responses: one function per verb, each writing its element into the response."""

import datetime

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from orgunits.models import Unit
from orgunits.views import base_url

from ..eaccpf import collect
from .items import Item, datestamp, earliest_datestamp, item, items, set_specs, sets
from .metadata import metadata
from .protocol import (
    FORMATS,
    IDENTIFIER_PREFIX,
    OAI,
    OAI_IDENTIFIER,
    REPOSITORY_IDENTIFIER,
    REPOSITORY_NAME,
    XSI,
    OAIError,
    arguments,
    harvest_window,
)
from .tokens import Listing


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
