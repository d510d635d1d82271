"""The outside edge: the national identity service that confirms a person's real name.

Production plugs in the government service portal (一网通办) here. The embedded default checks only
what can be checked locally (ID checksum, birth date, area code, mobile format) and says so; tests
use a fake service with a fixed registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PersonCheck:
    matched: bool
    source: str
    reason: str = ""


class IdentityVerifier(Protocol):
    def check_person(self, *, real_name: str, resident_id: str, mobile: str) -> PersonCheck: ...


class OfflineIdentityVerifier:
    """Accepts identifiers that pass the local checks; records that no national check was made."""

    source = "offline"

    def check_person(self, *, real_name: str, resident_id: str, mobile: str) -> PersonCheck:
        return PersonCheck(
            matched=True,
            source=self.source,
            reason="format, checksum, birth date and area code checked locally; no national service",
        )
