"""Verification's domain: checks, the rules that decide them, registry ports. Plain Python only."""
