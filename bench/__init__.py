"""Benchmarks and the data they run on (not part of the installed service)."""
