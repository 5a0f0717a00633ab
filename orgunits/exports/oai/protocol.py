"""The protocol's vocabulary: the repository, the namespaces and metadata formats, the verbs'
arguments as the protocol allows them, and its errors."""

import dataclasses
import datetime
import re

from django.conf import settings
from django.http import QueryDict

from socialforvaltning.lib.text import NOT_IN_XML

from ..eaccpf.schemas import NS_1, NS_2, V1, V2

PAGE_SIZE = 100
REPOSITORY_NAME = "Socialforvaltningens organisationsregister"
# The namespace of the items' identifiers: a setting, fixed once harvesters hold them.
REPOSITORY_IDENTIFIER = settings.REGISTRY_OAI_REPOSITORY_IDENTIFIER
IDENTIFIER_PREFIX = f"oai:{REPOSITORY_IDENTIFIER}:unit/"


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
