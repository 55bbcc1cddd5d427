"""Alembic for every service: one shared env, one versions folder per service."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.types import TypeDecorator


def alembic_config(migrations_dir: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(runtime, revision: str = "head") -> None:
    cfg = alembic_config(runtime.migrations_dir, runtime.settings.database_url)
    with runtime.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several processes start together (gunicorn workers, replicas): one migrates at a time.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7215573)")
        cfg.attributes["connection"] = conn
        cfg.attributes["target_metadata"] = runtime.metadata
        command.upgrade(cfg, revision)


def run_env(context, target_metadata) -> None:
    """Body of every service's ``migrations/env.py``."""
    connection = context.config.attributes.get("connection")
    metadata = context.config.attributes.get("target_metadata", target_metadata)
    if connection is None:
        from services.common.db import make_engine
        engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _run(context, connection, metadata)
        return
    _run(context, connection, metadata)


def _render_item(type_, obj, autogen_context):
    """Render our TypeDecorators as their plain SQL type, so migrations import nothing of ours."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _run(context, connection, metadata) -> None:
    # compare_type: a changed column length needs a migration too (the check in
    # tests/deploy/test_migrations.py compares types, so ``revision`` must see them).
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True, render_item=_render_item)
    with context.begin_transaction():
        context.run_migrations()
