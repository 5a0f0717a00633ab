"""Finding tasks by the words a manager types.

Task names, synonyms and descriptions are stored lower-cased and stripped of punctuation
(`Task.search_text`), so one case-sensitive `contains` per word matches the same way on SQLite
(whose LIKE folds only ASCII, not æ, ø, å) and PostgreSQL.
"""

import difflib
import re
from collections.abc import Iterable

from django.db.models import Q

# Words this short match only at the start of a word, so that "LUS" does not find "inklusion";
# longer ones match anywhere, so that "forhandling" finds the Danish compound
# "lønforhandlinger".
PREFIX_ONLY_BELOW = 4

_NOT_A_WORD = re.compile(r"[\W_]+")


def words(text: str) -> list[str]:
    return [w for w in _NOT_A_WORD.split(text.casefold()) if w]


def normalise(text: str) -> str:
    """Lower-case words separated by single spaces, with a space at either end."""
    return f" {' '.join(words(text))} "


def word_filter(field: str, query: str) -> Q:
    """Rows whose normalised `field` contains every word of `query`."""
    terms = words(query)
    if not terms:
        return Q(pk__in=[])
    condition = Q()
    for term in terms:
        needle = term if len(term) >= PREFIX_ONLY_BELOW else f" {term}"
        condition &= Q(**{f"{field}__contains": needle})
    return condition


def close_names(query: str, entries: Iterable[tuple[str, Iterable[str]]], limit: int = 5):
    """Task names close to `query`, for "did you mean". `entries` are (name, synonyms)."""
    names_of: dict[str, list[str]] = {}
    for name, synonyms in entries:
        for term in (name, *synonyms):
            names_of.setdefault(" ".join(words(term)), []).append(name)
    keys = difflib.get_close_matches(" ".join(words(query)), names_of, n=limit, cutoff=0.6)
    if not keys:
        # A typo in one word of several: compare word by word.
        vocabulary: dict[str, list[str]] = {}
        for key in names_of:
            for word in key.split():
                vocabulary.setdefault(word, []).append(key)
        for term in words(query):
            for word in difflib.get_close_matches(term, vocabulary, n=3, cutoff=0.75):
                keys.extend(vocabulary[word])
    names: list[str] = []
    for key in keys:
        names.extend(name for name in names_of[key] if name not in names)
    return names[:limit]
