"""Pure Python rules of payment: money, orders, refunds (no framework, no database)."""
