"""The SMS and mail gateways. The sandbox adapters "send" by writing to outbound_messages.

Staff read that log in the identity dashboard and developers on the gateway's /dev/mailbox page,
so a code that "never arrived" can be looked up. A production adapter would call a carrier
and still write the log row (with the body redacted) for support.
"""
from __future__ import annotations

import uuid

from sqlalchemy import insert

from services.common import clock
from services.identity.adapters.orm import outbound_messages
from services.identity.domain import documents


def mask_email(address: str) -> str:
    user, _, domain = address.partition("@")
    return (user[:1] + "***" + user[-1:] if len(user) > 2 else user[:1] + "***") + "@" + domain


class SandboxGateway:
    """One adapter for both channels: same log, different masking."""

    def send(self, uow, channel: str, recipient: str, purpose: str, body: str) -> None:
        masked = documents.mask_phone(recipient) if channel == "sms" else mask_email(recipient)
        uow.session.execute(insert(outbound_messages).values(
            id=str(uuid.uuid4()), channel=channel, recipient=recipient, recipient_masked=masked,
            purpose=purpose, body=body, created_at=clock.now()))
