"""Text the registry derives from what people write."""

import re

from django.utils.text import slugify

# Danish letters as Danish addresses and the seed's slugs write them in ASCII ("Mål og
# Rammer" → "maal-og-rammer", "København" → "koebenhavn"); slugify alone drops æ and ø.
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def danish_slug(text: str) -> str:
    return slugify(text.translate(_DANISH))


# What an XML document cannot hold (XML 1.0's Char production): control characters but tab
# and line breaks, lone surrogates and the two noncharacters. What the registry writes as XML
# (EAC-CPF, OAI-PMH, the chart's SVG) leaves them out or refuses them.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# Characters no one types into a name, a note or a reason, which show as something other
# than what was stored: control characters (tab and line breaks aside), the direction
# overrides that reorder what follows them, and the noncharacters.
_HIDDEN = {
    *(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"),
    *(chr(c) for c in range(0x7F, 0xA0)),
    *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufffe\uffff",
}


def hidden_characters(text: str) -> list[str]:
    """The characters of `text` that would not show as typed, as U+XXXX."""
    return sorted({f"U+{ord(c):04X}" for c in text if c in _HIDDEN})
