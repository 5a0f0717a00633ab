"""Finding tasks by the words a manager types.

Task names, synonyms and descriptions are stored lower-cased and stripped of punctuation
(`Task.search_text`), so one case-sensitive `contains` per word matches the same way on SQLite
(whose LIKE folds only ASCII, not æ, ø, å) and PostgreSQL. Danish inflects by endings
("visitationen", "kantinen"), so a word also matches through its Snowball stem, computed here
in Python rather than by PostgreSQL's 'danish' text search, for the same answer on both.
"""

import difflib
import re
import unicodedata
from collections.abc import Iterable

import snowballstemmer
from django.db.models import Q

# Words this short match only at the start of a word, so that "LUS" does not find "inklusion";
# longer ones match anywhere, so that "forhandling" finds the Danish compound
# "lønforhandlinger".
PREFIX_ONLY_BELOW = 4
# A stem shorter than this is not used, only the word itself. A stem is matched anywhere, like
# a long word; the seed's three-letter stems are short words ("dets" → "det", "deres" → "der")
# or pieces of many ("ledelsen" → "led"), found anywhere in a third to two thirds of all tasks
# and, at the start of a word, still in a quarter to a third of them.
SHORTEST_STEM = 4

_NOT_A_WORD = re.compile(r"[\W_]+")


def words(text: str) -> list[str]:
    # Composed first (NFC): "å" typed as a + combining ring is the "å" stored.
    return [w for w in _NOT_A_WORD.split(unicodedata.normalize("NFC", text).casefold()) if w]


def normalise(text: str) -> str:
    """Lower-case words separated by single spaces, with a space at either end."""
    return f" {' '.join(words(text))} "


def stem(word: str) -> str:
    # A stemmer keeps the word it works on: one shared between threads could mix two
    # requests' words, and a new one costs a microsecond.
    return snowballstemmer.stemmer("danish").stemWord(word)


def word_filter(field: str, query: str, *, stems: bool = True) -> Q:
    """Rows whose normalised `field` contains every word of `query`, or with `stems` the
    word's Danish stem (when it has at least `SHORTEST_STEM` letters)."""
    terms = words(query)
    if not terms:
        return Q(pk__in=[])
    condition = Q()
    for term in terms:
        needle = term if len(term) >= PREFIX_ONLY_BELOW else f" {term}"
        match = Q(**{f"{field}__contains": needle})
        if stems:
            root = stem(term)
            if root != term and len(root) >= SHORTEST_STEM:
                match |= Q(**{f"{field}__contains": root})
        condition &= match
    return condition


def ranking(query: str) -> list[Q]:
    """The order of the tasks matching `query`: those whose name or synonyms have every word,
    then those with every word in their description, and only then those found through a
    stem (again those with it in their name or synonyms first)."""
    return [
        word_filter("name_text", query, stems=False),
        word_filter("search_text", query, stems=False),
        word_filter("name_text", query),
    ]


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
    # In order, each once, and no more than asked for: a word close to one in every task's
    # name gives every task (300,000 at 100,000 units, compared each to each before).
    names: dict[str, None] = {}
    for key in keys:
        for name in names_of[key]:
            names.setdefault(name)
            if len(names) == limit:
                return list(names)
    return list(names)
