"""The admin is Danish from the login to a revert: no page of an archivist's flow shows a
string that Django's admin, django-simple-history or the registry itself has in English, and
English is one switch away.

Each page's visible text (text, button labels, placeholders, tooltips) is compared with the
English msgids of those three catalogs; a msgid with placeholders matches as a pattern. Images'
alternative texts are not: Django writes its own icons' as English ("Search", and "True" or
"False" for a yes/no icon), which no catalog can change."""

import re
from functools import cache
from pathlib import Path

import django.contrib.admin
import lxml.html
import polib
import pytest
import simple_history
from django.conf import settings
from django.urls import reverse

from history.models import Reorganisation
from orgunits.models import Citation, Unit

pytestmark = pytest.mark.django_db

PASSWORD = "x-test-only-x"

# Msgids spelt the same in Danish (as their Danish translations are): a page showing one of
# these is Danish already. "Socialforvaltningen" is a name; Django's Danish for
# "%(app)s administration" keeps the word.
SAME_IN_DANISH = {
    "dansk",
    "english",
    "minimal",
    "note",
    "partner",
    "passage",
    "socialforvaltningen",
    "status",
    "type",
    "version",
    "%(app)s administration",
    "%(counter)s version",
    "under %(parent)s, %(period)s",
}

CATALOGS = [
    Path(django.contrib.admin.__file__).parent / "locale/en/LC_MESSAGES/django.po",
    # simple-history has no Danish or English catalog; any language's lists its msgids.
    Path(simple_history.__file__).parent / "locale/de/LC_MESSAGES/django.po",
    Path(settings.BASE_DIR) / "locale/en/LC_MESSAGES/django.po",
]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{\s*\w+\s*\}\}")
# Python's words for a value, which a page should say in Danish ("ja", "—").
PYTHON_WORDS = re.compile(r"\b(True|False|None)\b")
INVISIBLE = {"script", "style", "template"}
BUTTONS = {"submit", "button", "reset"}


def normalised(text: str) -> str:
    return " ".join(text.split()).rstrip(":").strip().casefold()


@cache
def english() -> tuple[frozenset[str], re.Pattern, int]:
    """The catalogs' msgids: the plain ones, the ones with placeholders as one pattern, and
    the length of the longest (a longer text is no msgid, however its placeholders fill)."""
    plain, patterns, longest = set(), [], 0
    for catalog in CATALOGS:
        for entry in polib.pofile(str(catalog)):
            for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
                text = normalised(msgid)
                if sum(c.isalpha() for c in PLACEHOLDER.sub("", text)) < 3:
                    continue  # "%s", "—": no words to be English in
                if text in SAME_IN_DANISH:
                    continue
                longest = max(longest, len(text))
                if PLACEHOLDER.search(text):
                    patterns.append(".+".join(map(re.escape, PLACEHOLDER.split(text))))
                else:
                    plain.add(text)
    return frozenset(plain), re.compile("|".join(f"(?:{p})" for p in patterns)), longest


def visible_texts(html: str, within: str = "/html") -> set[str]:
    """Each text node, each element's whole text, and the text of buttons and hints."""
    texts = set()
    for element in lxml.html.document_fromstring(html).xpath(within)[0].iter():
        if not isinstance(element.tag, str) or element.tag in INVISIBLE:
            continue
        if any(ancestor.tag in INVISIBLE for ancestor in element.iterancestors()):
            continue
        texts.update([element.text or "", element.tail or ""])
        if element.tag != "html":
            texts.add(element.text_content())
        if element.tag == "input" and element.get("type") in BUTTONS:
            texts.add(element.get("value") or "")
        texts.update(element.get(attr) or "" for attr in ("placeholder", "title"))
    return {" ".join(text.split()) for text in texts if text.strip()}


def english_on(html: str, within: str = "/html") -> list[str]:
    plain, pattern, longest = english()
    found = []
    for text in visible_texts(html, within):
        key = normalised(text)
        if key in SAME_IN_DANISH or len(key) > 2 * longest:
            continue
        if key in plain or pattern.fullmatch(key) or PYTHON_WORDS.search(text):
            found.append(text)
    return sorted(found)


def form_values(response, button: str) -> dict:
    """What the form with `button` on the page sends as it stands, pressing `button`."""
    root = lxml.html.document_fromstring(response.content.decode())
    form = next(form for form in root.forms if form.xpath(f".//*[@name='{button}']"))
    return {**dict(form.form_values()), button: "1"}


class Walk:
    """A client going through the admin, noting every English string on every page (or in
    the part of it `within` finds)."""

    def __init__(self, client, within: str = "/html"):
        self.client, self.english, self.within = client, {}, within

    def page(self, url, data=None):
        if data is None:
            response = self.client.get(url, follow=True)
        else:
            response = self.client.post(url, data, follow=True)
        assert response.status_code == 200, (url, response.status_code)
        found = english_on(response.content.decode(), self.within)
        if found:
            self.english[f"{'POST' if data else 'GET'} {url}"] = found
        return response


def test_an_archivist_sees_no_english_from_login_to_revert(client, staff_archivist):
    walk = Walk(client)
    walk.page(reverse("admin:login"))
    walk.page(
        reverse("admin:login") + "?next=/admin/",
        {"username": staff_archivist.username, "password": PASSWORD},
    )
    walk.page(reverse("admin:index"))
    walk.page(reverse("admin:app_list", args=["orgunits"]))
    walk_the_units(walk)
    walk_the_reorganisations(walk)
    walk.page(reverse("admin:logout"), {})
    assert walk.english == {}


def walk_the_units(walk):
    """The list, a record, an edit with its reason (and one refused), the record's history, a
    version to revert to, two versions compared, a new draft unit; names and citations."""
    unit = Unit.objects.get(slug="mr-voksne")
    change_url = reverse("admin:orgunits_unit_change", args=[unit.pk])
    walk.page(reverse("admin:orgunits_unit_changelist"))
    walk.page(reverse("admin:orgunits_unit_changelist") + "?on=2011-03-01&kind=kontor")
    walk.page(reverse("admin:orgunits_unit_changelist") + "?q=voksne")
    edit = form_values(walk.page(change_url), "_save")
    walk.page(change_url, {**edit, "change_reason": ""})
    walk.page(
        change_url,
        {**edit, "description": "Rettet beskrivelse", "kind_inferred": "on", "change_reason": "Ny"},
    )
    walk.page(reverse("admin:orgunits_unit_history", args=[unit.pk]))
    older, newer = unit.history.order_by("history_date", "history_id")[:2]
    revert_url = reverse("admin:orgunits_unit_simple_history", args=[unit.pk, older.history_id])
    revert = walk.page(revert_url)
    walk.page(revert_url, {**form_values(revert, "_save"), "change_reason": "Tilbage"})
    walk.page(
        reverse("admin:orgunits_unit_history_compare", args=[unit.pk])
        + f"?a={older.history_id}&b={newer.history_id}"
    )
    add = walk.page(reverse("admin:orgunits_unit_add"))
    walk.page(
        reverse("admin:orgunits_unit_add"),
        {**form_values(add, "_save"), "slug": "ny", "kind": "kontor", "change_reason": "Ny enhed"},
    )

    name = unit.names.first()
    walk.page(reverse("admin:orgunits_unitname_changelist"))
    walk.page(reverse("admin:orgunits_unitname_change", args=[name.pk]))
    walk.page(reverse("admin:orgunits_unitname_history", args=[name.pk]))

    citation = Citation.objects.first()
    walk.page(reverse("admin:orgunits_citation_changelist"))
    walk.page(reverse("admin:orgunits_citation_change", args=[citation.pk]))
    walk.page(reverse("admin:orgunits_citation_history", args=[citation.pk]))
    walk.page(reverse("admin:orgunits_citation_add"))


def walk_the_reorganisations(walk):
    """The list, one with its changes, its history and a version, a dated change previewed
    and applied, a correction and a revision; the changes."""
    merger = Reorganisation.objects.get(title__contains="lægges sammen til MR Voksne")
    walk.page(reverse("admin:history_reorganisation_changelist"))
    walk.page(reverse("admin:history_reorganisation_change", args=[merger.pk]))
    walk.page(reverse("admin:history_reorganisation_history", args=[merger.pk]))
    version = merger.history.first()
    walk.page(reverse("admin:history_reorganisation_simple_history", args=[merger.pk, version.pk]))
    apply = walk.page(reverse("admin:history_reorganisation_apply"))
    rename = {
        **form_values(apply, "_preview"),
        "title": "MR Børn omdøbes",
        "date": "2009-01-01",
        "reason": "Fundet i referat",
        "changes-0-kind": "rename",
        "changes-0-unit": "mr-born",
        "changes-0-name": "Børnekontoret",
    }
    preview = walk.page(reverse("admin:history_reorganisation_apply"), rename)
    walk.page(reverse("admin:history_reorganisation_apply"), form_values(preview, "_apply"))
    walk.page(reverse("admin:history_reorganisation_correct", args=[merger.pk]))
    walk.page(reverse("admin:history_reorganisation_revise", args=[merger.pk]))

    change = merger.changes.first()
    walk.page(reverse("admin:history_change_changelist"))
    walk.page(reverse("admin:history_change_change", args=[change.pk]))
    walk.page(reverse("admin:history_change_history", args=[change.pk]))
    version = change.history.first()
    walk.page(reverse("admin:history_change_simple_history", args=[change.pk, version.pk]))


def test_deleting_a_draft_unit_is_asked_and_told_in_danish(client, superuser):
    client.force_login(superuser)
    # The page without its sidebar, which lists other apps' admins for a superuser (the
    # login log and the job queue, whose apps have no Danish).
    walk = Walk(client, within="//main")
    add = walk.page(reverse("admin:orgunits_unit_add"))
    walk.page(
        reverse("admin:orgunits_unit_add"),
        {**form_values(add, "_save"), "slug": "kladde", "kind": "kontor", "change_reason": "Prøve"},
    )
    draft = Unit.objects.get(slug="kladde")
    asked = walk.page(reverse("admin:orgunits_unit_delete", args=[draft.pk]))
    told = walk.page(reverse("admin:orgunits_unit_delete", args=[draft.pk]), {"post": "yes"})
    assert "Er du sikker" in asked.content.decode()
    assert "blev slettet" in told.content.decode()
    assert walk.english == {}


def test_english_is_one_switch_away(client, staff_archivist):
    client.force_login(staff_archivist)
    unit = Unit.objects.get(slug="mr-voksne")
    history = reverse("admin:orgunits_unit_history", args=[unit.pk])
    switch = f'href="/language/en/?next={history}"'
    assert switch in client.get(history).content.decode()

    client.get(f"/language/en/?next={history}")
    texts = visible_texts(client.get(history).content.decode())
    assert {"Changed by", "Reason", "Organisation registry"} <= texts
    assert "Ændret af" not in texts
