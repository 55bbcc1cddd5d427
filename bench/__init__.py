"""Measurements (not tests) of the shared platform pieces; see bench/README.md."""
