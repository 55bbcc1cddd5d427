"""Flask plumbing shared by every service: app factory, API routes, ops pages, metrics."""
