"""Resumption tokens: the original arguments and the last (datestamp, id) delivered, signed."""

import dataclasses
import datetime

from django.core import signing

from .protocol import FORMATS, TOKEN_SALT, OAIError


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
