"""What the merchant side needs from any payment provider (Alipay, WeChat Pay, the sandbox).

The adapter in ``adapters/`` speaks the provider's protocol; the service layer only sees these
plain values.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from services.payment.domain.model import Payment

TRADE_PAID_STATUSES = ("TRADE_SUCCESS", "TRADE_FINISHED")


class ProviderRefused(Exception):
    """A message that claims to come from the provider but cannot be trusted (signature, app)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered nonsense; try again later."""


@dataclass(frozen=True)
class Checkout:
    order_number: str
    amount_fen: int
    subject: str
    return_url: str
    notify_url: str
    expires_at: datetime


@dataclass(frozen=True)
class TradeStatus:
    """A verified statement from the provider about one order's trade."""
    order_number: str
    status: str  # provider's words: WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_CLOSED, NOT_FOUND
    trade_no: str | None = None
    amount_fen: int | None = None
    paid_at: datetime | None = None
    notify_id: str | None = None

    @property
    def paid(self) -> bool:
        return self.status in TRADE_PAID_STATUSES

    def payment(self, confirmed_by: str) -> Payment:
        assert self.paid and self.trade_no and self.amount_fen is not None and self.paid_at
        return Payment(self.order_number, self.trade_no, self.amount_fen, self.paid_at,
                       confirmed_by)


class RefundRefused(Exception):
    """The provider answered and said no (e.g. more than the trade's balance): do not just retry."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


@dataclass(frozen=True)
class RefundRequest:
    refund_number: str  # the same on every retry (idempotency at the provider)
    order_number: str
    trade_no: str
    amount_fen: int
    reason: str


@dataclass(frozen=True)
class RefundResult:
    refund_number: str
    trade_no: str
    refunded_fen: int  # this refund
    total_refunded_fen: int  # all refunds of the trade so far
    refunded_at: datetime


@dataclass(frozen=True)
class StatementFile:
    """A downloaded daily statement whose checksum was verified; read it line by line."""
    day: str  # yyyy-mm-dd, Beijing
    path: Path
    sha256: str


class StatementNotReady(Exception):
    """The statement of that day is not available yet (statements come T+1)."""


class PaymentProvider(Protocol):
    name: str

    def create_checkout(self, checkout: Checkout) -> str:
        """The URL of the provider's hosted pay page for this order."""

    def verify_notification(self, form: dict[str, str]) -> TradeStatus:
        """Check an asynchronous notification; raise ProviderRefused when it is not genuine."""

    def query(self, order_number: str) -> TradeStatus:
        """Ask the provider now; raise ProviderUnavailable when it cannot answer."""

    def refund(self, request: RefundRequest) -> RefundResult:
        """Return money of a trade; raise RefundRefused (a firm no) or ProviderUnavailable."""

    def download_statement(self, day: str, dest_dir: Path) -> StatementFile:
        """Fetch the day's statement into ``dest_dir`` (streamed) and verify its checksum."""
