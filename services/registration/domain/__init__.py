"""Registration's domain: catalog rules, the application state machine, review and scores.

Plain Python only (no flask, sqlalchemy or broker)."""
