"""The ports to authority registries: what a check needs from them, whatever sits behind.

Adapters (the simulated CHSI today; the real CHSI, the degree registry and the public-security
identity check later) implement these. ``RegistryUnavailable`` means "no answer now" (timeout,
outage): a check that meets it waits and retries; it is never a verdict on the candidate.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


class RegistryUnavailable(Exception):
    """The registry did not answer (timeout, outage, refused connection)."""


@dataclass(frozen=True)
class EducationRecord:
    """One diploma as the education registry (学信网, CHSI) knows it."""
    certificate_number: str
    name: str
    level: str
    school: str
    major: str
    graduation_date: date
    study_mode: str


class EducationRegistry(Protocol):
    name: str

    def lookup(self, certificate_number: str) -> EducationRecord | None:
        """The record with this certificate number, None if there is none.

        Raises RegistryUnavailable when the registry cannot answer now.
        """


@dataclass(frozen=True)
class DegreeRecord:
    """One degree certificate as the degree registry (学位网) knows it."""
    certificate_number: str
    name: str
    level: str  # 学士 | 硕士 | 博士
    degree_type: str  # 工学, 管理学, ...
    school: str
    major: str
    awarded_date: date


class DegreeRegistry(Protocol):
    name: str

    def lookup(self, certificate_number: str) -> DegreeRecord | None:
        """The degree with this certificate number, None if there is none (or unavailable)."""


IDENTITY_ANSWERS = ("match", "name_mismatch", "not_found", "cancelled")


class IdentityRegistry(Protocol):
    """The public-security check (全国公民身份信息系统): does this name go with this number?"""
    name: str

    def verify(self, document_number: str, name: str) -> str:
        """One of ``IDENTITY_ANSWERS``; raises RegistryUnavailable when it cannot answer."""


@dataclass(frozen=True)
class CandidateDocument:
    """A candidate's document as identity holds it (the full number: never logged or kept)."""
    document_type: str
    document_number: str
    name: str

    def __repr__(self) -> str:  # a stray log line must not print the number
        return f"CandidateDocument({self.document_type!r}, name={self.name!r})"


class DocumentsUnavailable(Exception):
    """Identity did not hand over the document now (unreachable, refused, timeout): wait."""


class CandidateDocuments(Protocol):
    """Where the identity check gets the full document number: identity, over HTTP."""

    def fetch(self, candidate_id: str) -> CandidateDocument | None:
        """The document, None when identity has no such candidate; raises
        DocumentsUnavailable when it cannot answer now."""
