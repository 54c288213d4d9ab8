"""The load test of issue 15: ``make bench-load`` (``python -m bench.load --help``)."""
