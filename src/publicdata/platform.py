"""The platform context every service receives: settings, database, and outside-edge adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from argon2 import PasswordHasher
from itsdangerous import URLSafeSerializer

from publicdata.config import Settings
from publicdata.db import Database
from publicdata.identity.adapters import IdentityVerifier, OfflineIdentityVerifier


@dataclass
class Platform:
    settings: Settings
    db: Database
    identity_verifier: IdentityVerifier = field(default_factory=OfflineIdentityVerifier)

    @classmethod
    def from_settings(cls, settings: Settings) -> Platform:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        salt = settings.persisted_secret("ip_salt").encode()
        return cls(
            settings=settings, db=Database(settings.resolved_database_url, session_info={"ip_salt": salt})
        )

    @cached_property
    def password_hasher(self) -> PasswordHasher:
        s = self.settings
        return PasswordHasher(
            time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib, parallelism=s.argon2_parallelism
        )

    @cached_property
    def session_serializer(self) -> URLSafeSerializer:
        """Signs session cookies; built once, so the key file is not read on every request."""
        return URLSafeSerializer(self.settings.resolved_secret_key(), salt="publicdata.session")

    @cached_property
    def dummy_password_hash(self) -> str:
        """A real hash of a random password, verified for unknown users so timing reveals nothing."""
        import secrets

        return self.password_hasher.hash(secrets.token_urlsafe(16))

    @property
    def uploads_dir(self) -> Path:
        path = self.settings.var_dir / "uploads"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        self.db.dispose()
