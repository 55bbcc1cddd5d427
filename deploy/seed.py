"""Prepare every service's database (create, migrate) and seed demo data; print demo accounts.

Run once before the production processes start (``make up`` does), so gunicorn workers booting
side by side find migrated, seeded databases.
"""
from __future__ import annotations

import importlib
import logging

from services.common.config import SERVICES, Settings


def main() -> list[tuple[str, str, str]]:
    logging.basicConfig(level=logging.WARNING)
    runtimes = {}
    for name in SERVICES:
        bootstrap = importlib.import_module(f"services.{name}.bootstrap").bootstrap
        runtimes[name] = bootstrap(Settings(name))
        runtimes[name].declare_queues()
    accounts = importlib.import_module("services.identity.demo").seed(runtimes["identity"])
    for rt in runtimes.values():
        rt.engine.dispose()
    print("Demo accounts (user name / password / role):")
    for username, password, roles in accounts:
        print(f"  {username:<16} {password:<14} {roles}")
    return accounts


if __name__ == "__main__":
    main()
