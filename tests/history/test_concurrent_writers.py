"""Concurrent writers queue rather than corrupt the tree (PostgreSQL only).

`bench/stress.py` runs in a subprocess on a fresh, bootstrapped database: 8 writer
processes apply random valid and invalid reorganisations and corrections for STRESS_SECONDS
(30 by default) while 8 readers render pages; then it checks the tree against a fresh rebuild
(rolled back), every invariant, every accepted write with its history rows, that every refused
write left nothing and that no write undid another's. The counts are printed (`-s` not needed)
and kept as test properties (`--junitxml`)."""

import json
import os

import pytest

from tests.fresh_databases import manage_ok, on_postgres, postgres_database, run_script

STRESS_SECONDS = os.environ.get("STRESS_SECONDS", "30")
SHOWN = (
    "seconds",
    "writes_accepted",
    "writes_refused",
    "lock_waits",
    "max_queued_for_lock",
    "history_rows",
    "corrections_accepted",
    "corrections_refused",
    "reads",
    "nodes",
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not on_postgres(), reason="the stress test runs on PostgreSQL"),
]


def test_concurrent_writers_queue_and_leave_an_intact_registry(capsys, record_property):
    with postgres_database("sf_stress") as url:
        manage_ok(url, "bootstrap")
        result = run_script(
            url,
            "bench/stress.py",
            "--writers=8",
            "--readers=8",
            f"--seconds={STRESS_SECONDS}",
            "--seed=2008",
            timeout=float(STRESS_SECONDS) + 900,
        )
    lines = [line for line in result.stdout.splitlines() if line.startswith("STRESS_RESULT ")]
    assert lines, f"no result:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    counts = json.loads(lines[-1].removeprefix("STRESS_RESULT "))
    with capsys.disabled():
        print("\nbench/stress.py, 8 writers and 8 readers on PostgreSQL:")
        for key in SHOWN:
            print(f"  {key:<22} {counts[key]}")
    for key in SHOWN:
        record_property(key, counts[key])

    problems = [line for line in result.stdout.splitlines() if line.startswith("- ")]
    assert result.returncode == 0 and counts["problems"] == 0, "\n".join(problems[:50])
    assert counts["errors"] == 0 and counts["failures"] == 0
    assert counts["writes_accepted"] > 0
    assert counts["writes_refused"] > 0
    assert counts["lock_waits"] > 0
    assert counts["corrections_accepted"] > 0
    assert counts["history_rows"] > counts["writes_accepted"]
