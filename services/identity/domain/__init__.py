"""Identity's domain: accounts, credentials rules and documents. Plain Python only."""
