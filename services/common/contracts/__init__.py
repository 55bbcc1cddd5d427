"""The public event catalog: one module per producing service, loaded together.

These are contracts (schemas), not domain logic: producers validate against them before an event
enters the outbox, consumers load with them tolerantly, and the AsyncAPI document is generated
from them. Changing a published event means adding a new version here, never editing one.
"""
from services.common.contracts import (  # noqa: F401  (registration happens on import)
    certificates,
    identity,
    payment,
    registration,
    verification,
)
