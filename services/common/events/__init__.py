"""CloudEvents envelope and the registry of event contracts (pure Python + marshmallow)."""
from services.common.events.envelope import CloudEvent, new_event
from services.common.events.registry import (
    REGISTRY,
    EventContract,
    EventValidationError,
    contract,
    validate_data,
)

__all__ = ["CloudEvent", "new_event", "REGISTRY", "EventContract", "EventValidationError",
           "contract", "validate_data"]
