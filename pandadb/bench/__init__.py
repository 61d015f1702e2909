"""Benchmarks behind `pandadb bench`."""
