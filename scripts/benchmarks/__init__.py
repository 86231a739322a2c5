"""Benchmarks of the running local stack (`scripts/bench`). Figures only, never asserts."""
