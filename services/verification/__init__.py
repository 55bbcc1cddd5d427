"""Verification: checks of candidates' claims against authority registries."""
