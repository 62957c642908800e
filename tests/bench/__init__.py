"""Benchmarks run as plain scripts (not collected by pytest)."""
