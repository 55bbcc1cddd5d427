from alembic import context

from services.certificates.adapters.orm import metadata
from services.common.migrations import run_env

run_env(context, metadata)
