"""Benchmarks of the sync engine against the twins: ``python -m bench [--quick]`` (results in RESULTS.md)."""
