"""The benchmark's floor of the zip (bench/zip_floor.py) writes the records the worker's build
writes, byte for byte, on the seed and the 1,000 generated units: so that the build's time
over the floor's measures the build's overhead, not a different amount of work. Something a
record says that the floor does not follow fails here."""

import pytest

from bench.zip_floor import compare


@pytest.mark.django_db
def test_the_zip_floor_writes_the_records_of_the_zip_byte_for_byte():
    found = compare()
    assert found["members"] > 2_000
    assert found["same_names"]
    assert found["first_differing"] == []
