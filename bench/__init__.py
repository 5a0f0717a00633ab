"""The benchmark and the load test (see run.py and load.py)."""
