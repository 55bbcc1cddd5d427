"""Edges of payment: tables, keys, signatures and the payment-provider adapter."""
