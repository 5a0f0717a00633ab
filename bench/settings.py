"""The production settings with STATIC_ROOT in a folder of the load test's own, so that its
`collectstatic` leaves the working tree's `staticfiles/` (and every other process's choice of
storage backend, which looks there) alone. Nothing else differs."""

import os
from pathlib import Path

from socialforvaltning.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
