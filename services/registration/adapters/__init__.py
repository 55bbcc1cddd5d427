"""Registration's edges: tables, demo catalog, PDF rendering."""
