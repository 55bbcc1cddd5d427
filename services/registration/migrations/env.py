from alembic import context

from services.common.migrations import run_env
from services.registration.adapters.orm import metadata

run_env(context, metadata)
