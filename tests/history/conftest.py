import datetime

import pytest

from history.changes import Create
from history.services import apply_reorganisation

D0 = datetime.date(2000, 1, 1)
D1 = datetime.date(2001, 1, 1)
D2 = datetime.date(2002, 1, 1)
D3 = datetime.date(2003, 1, 1)


@pytest.fixture
def tree(archivist):
    """A small organisation from 2000, beside the seed registry:

    t-root ─┬─ t-a ── t-a1 ── t-a1x
            └─ t-b
    """
    return apply_reorganisation(
        title="Testorganisation",
        date=D0,
        user=archivist,
        reason="Testopbygning",
        changes=[
            Create(slug="t-root", name="Testforvaltning", parent=None, kind="forvaltning"),
            Create(slug="t-a", name="Kontor A", parent="t-root", kind="kontor"),
            Create(slug="t-b", name="Kontor B", parent="t-root", kind="kontor"),
            Create(slug="t-a1", name="Enhed A1", parent="t-a", kind="enhed"),
            Create(slug="t-a1x", name="Gruppe A1x", parent="t-a1", kind="enhed"),
        ],
    )
