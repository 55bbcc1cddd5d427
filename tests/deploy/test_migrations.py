"""Every service's migrations build exactly the tables its models describe: a model change
without its migration (or a regenerated first migration, which databases already at that
revision never run again) fails here instead of at a deployment's first query."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.common.config import SERVICES
from services.common.db import make_engine
from services.common.migrations import alembic_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_at_head_match_the_models(service, tmp_path):
    metadata = importlib.import_module(f"services.{service}.adapters.orm").metadata
    engine = make_engine(f"sqlite:///{tmp_path}/m.sqlite3")
    cfg = alembic_config(ROOT / "services" / service / "migrations", str(engine.url))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        cfg.attributes["target_metadata"] = metadata
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"{service}: models and migrations differ — add a migration: " \
                       f"python -m deploy.migrate revision {service} -m '…'"


def test_the_check_sees_a_missing_column(tmp_path):
    from sqlalchemy import Column, MetaData, String, Table
    engine = make_engine(f"sqlite:///{tmp_path}/x.sqlite3")
    old, new = MetaData(), MetaData()
    Table("t", old, Column("id", String(10), primary_key=True))
    Table("t", new, Column("id", String(10), primary_key=True), Column("extra", String(5)))
    old.create_all(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), new)
    assert [d[0] for d in diff] == ["add_column"]
