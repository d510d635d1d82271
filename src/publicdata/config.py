"""One Settings object: PUBLICDATA_* environment variables and an optional .env file."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Jurisdiction(StrEnum):
    """Selects the SLA numbers: the city rules (002) or the district rules (004, Changning)."""

    CITY = "city"
    DISTRICT = "district"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PUBLICDATA_", env_file=".env", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="Folder for the SQLite file, data and keys.")
    database_url: str = Field(default="", description="SQLAlchemy URL; default: SQLite in var_dir.")
    data_dir: Path | None = Field(default=None, description="Data store folder; default: var_dir/data.")
    secret_key: SecretStr | None = Field(
        default=None, description="Signs sessions and CSRF tokens; generated and kept in var_dir if unset."
    )
    jurisdiction: Jurisdiction = Jurisdiction.CITY
    public_base_url: str = "http://127.0.0.1:8000"
    default_language: str = "zh"
    # Login lockout (SEC-1): failures within the window lock the account for lock_minutes.
    login_max_failures: int = 5
    login_window_minutes: int = 15
    login_lock_minutes: int = 15
    token_max_days: int = 365
    # argon2id cost (RFC 9106 second recommendation by default); tests lower it to keep the suite fast.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    session_max_age_hours: int = 12
    # E-mail (notifications): an empty smtp_host keeps mail in the outbox table, marked "skipped".
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "publicdata@localhost"
    # Scheduled duties (`publicdata tick`; `serve` runs it in-process every tick_interval_minutes; 0 = off).
    tick_interval_minutes: int = 5
    # Audit log retention floors (SHR-6, PLT-8): the purge never removes records younger than
    # audit_retention_days (>= 3 years), nor network / API-call logs (api.call, auth.*) younger than
    # audit_network_log_retention_days (>= 6 months). Values below the legal minimum are refused.
    audit_retention_days: int = Field(default=1096, ge=1096)
    audit_network_log_retention_days: int = Field(default=183, ge=183)
    # Data store (issue 4). Uploads stream to disk up to datastore_upload_max_bytes; DuckDB spills to
    # var_dir/data/.duckdb-tmp beyond duckdb_memory_limit. Rate limits are per process (an in-process
    # token bucket): with several app servers each enforces its own limit (no shared store yet).
    datastore_upload_max_bytes: int = 2 * 1024 * 1024 * 1024
    datastore_xlsx_max_uncompressed_bytes: int = 1024 * 1024 * 1024
    datastore_xlsx_max_ratio: int = 200
    duckdb_memory_limit: str = "512MB"
    duckdb_threads: int = 0  # 0 = DuckDB's default (all cores)
    datastore_records_max_limit: int = 1000
    # Records queries of versions up to this many rows (in total, least recently used evicted) run on an
    # in-memory DuckDB copy of the Parquet file rather than the file itself; 0 = always read the file.
    datastore_query_cache_rows: int = 2_000_000
    # Answers of records queries kept per process (versions are immutable, so they never go stale).
    datastore_result_cache_entries: int = 1024
    datastore_sql_max_rows: int = 10000
    datastore_sql_timeout_seconds: float = 10.0
    datastore_ingest_max_attempts: int = 3
    datastore_rate_limit_anonymous_per_minute: int = 120  # 0 = no limit
    datastore_rate_limit_token_per_minute: int = 1200  # 0 = no limit
    # Privacy and quality (issue 5). Raw (pre-desensitization) files are deleted unless policy allows
    # keeping them; they are never served. A version scoring below quality_work_order_below opens a
    # work order to its provider.
    privacy_keep_raw: bool = False
    quality_work_order_below: int = 60
    sample_default_rows: int = 3000
    # Conditional access (issue 7): usage reports are due every access_report_interval_days of a grant;
    # a report overdue by more than access_report_grace_working_days suspends the grant. Grants without
    # their own quota get access_default_daily_quota calls (records/SQL/download) per day.
    access_report_interval_days: int = 90
    access_report_grace_working_days: int = 10
    access_default_daily_quota: int = 1000

    @field_validator("var_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("data_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        # `PUBLICDATA_DATA_DIR=` (empty) means "the default", not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'publicdata.sqlite3'}"

    @property
    def resolved_data_dir(self) -> Path:
        return _resolved_path(self.data_dir or self.var_dir / "data")

    @property
    def keys_dir(self) -> Path:
        return self.var_dir / "keys"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated on first run and kept (mode 0600) under var_dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return self.persisted_secret("secret_key")

    def persisted_secret(self, name: str) -> str:
        """A random key generated once and kept under var_dir/keys (e.g. the PII hashing key, which
        must not change when the session key is rotated)."""
        path = self.keys_dir / name
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # O_EXCL: two processes starting together must not write two different keys.
        try:
            with open(path, "x", encoding="ascii") as handle:
                handle.write(key)
            path.chmod(0o600)
        except FileExistsError:
            return path.read_text().strip()
        return key


@cache
def get_settings() -> Settings:
    return Settings()


@lru_cache(maxsize=64)
def _resolved_path(path: Path) -> Path:
    # Resolving touches the file system; every data-store read asks for it, so it is resolved once.
    return path.expanduser().resolve()
