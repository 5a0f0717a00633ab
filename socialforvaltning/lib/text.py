"""Text the registry derives from what people write."""

from django.utils.text import slugify

# Danish letters as Danish addresses and the seed's slugs write them in ASCII ("Mål og
# Rammer" → "maal-og-rammer", "København" → "koebenhavn"); slugify alone drops æ and ø.
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def danish_slug(text: str) -> str:
    return slugify(text.translate(_DANISH))
