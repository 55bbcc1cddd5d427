"""Migrations for any service: ``python -m deploy.migrate upgrade|revision <service> [-m msg]``.

``revision`` autogenerates against a scratch SQLite database brought to head first, so the new
file holds only what the models added.
"""
from __future__ import annotations

import argparse
import importlib
import tempfile
from pathlib import Path

from alembic import command

from services.common.config import SERVICES
from services.common.db import make_engine
from services.common.migrations import alembic_config


def _service(name: str):
    orm = importlib.import_module(f"services.{name}.adapters.orm")
    return orm.metadata, Path(__file__).resolve().parent.parent / "services" / name / "migrations"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("action", choices=["upgrade", "revision"])
    p.add_argument("service", choices=SERVICES)
    p.add_argument("-m", "--message", default="change")
    p.add_argument("--url")
    a = p.parse_args()
    metadata, mdir = _service(a.service)
    if a.action == "upgrade":
        bootstrap = importlib.import_module(f"services.{a.service}.bootstrap").bootstrap
        bootstrap()
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = a.url or f"sqlite:///{tmp}/scratch.sqlite3"
        cfg = alembic_config(mdir, url)
        engine = make_engine(url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            cfg.attributes["target_metadata"] = metadata
            command.upgrade(cfg, "head")
            (mdir / "versions").mkdir(exist_ok=True)
            rev_id = f"{len(list((mdir / 'versions').glob('*.py'))) + 1:04d}"
            command.revision(cfg, message=a.message, autogenerate=True, rev_id=rev_id)


if __name__ == "__main__":
    main()
