import datetime

import pytest
from django.utils import translation

from socialforvaltning.lib.dates import InvalidDate, parse_date


def test_an_iso_date_is_read():
    assert parse_date("2011-03-01") == datetime.date(2011, 3, 1)


def test_an_empty_date_means_the_default():
    assert parse_date("", default=datetime.date(2000, 1, 1)) == datetime.date(2000, 1, 1)
    assert parse_date(None) == datetime.date.today()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2011-02-29", "2011-02-29 er ikke en dato, der findes i kalenderen."),
        ("2011-3-1", "«2011-3-1» er ikke en dato: skriv den som ÅÅÅÅ-MM-DD, fx 2008-09-01."),
        ("1. marts 2011", "er ikke en dato"),
        ("9999-01-01", "ligger uden for de år, registret dækker (1800–2200)"),
    ],
)
def test_a_bad_date_says_what_is_wrong_in_danish(value, message):
    with translation.override("da"), pytest.raises(InvalidDate) as excinfo:
        parse_date(value)
    assert message in str(excinfo.value)
