"""Use cases of registration: each runs in one unit of work."""
