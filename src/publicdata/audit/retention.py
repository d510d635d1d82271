"""Audit log retention in plain Python: which floor holds which entry, and how far a purge may go.

SHR-6, PLT-8: records are kept at least 3 years; network logs (API calls, sign-in/out and other
authentication events) at least 6 months. The chain can only lose a prefix (entries 1..N, anchored by a
signed checkpoint of entry N), so a purge removes the longest prefix in which *every* entry is older than
both the requested cutoff and its own floor. The first entry still under its floor stops the purge, even
if later entries are older: an old network log behind a young publication record stays until that record
may go too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# Network / API-call logs (the 6-month floor); every other action is a record (the 3-year floor).
NETWORK_LOG_ACTIONS = frozenset({"api.call"})
NETWORK_LOG_PREFIXES = ("api.call.", "auth.")
LEGAL_MIN_RECORD_DAYS = 1096  # 3 years including a leap day
LEGAL_MIN_NETWORK_DAYS = 183  # 6 months


class RetentionFloorError(ValueError):
    """The requested cutoff would remove entries younger than every retention floor."""

    def __init__(self, before: datetime, earliest_allowed: datetime) -> None:
        self.before, self.earliest_allowed = before, earliest_allowed
        super().__init__(
            f"cutoff {before.isoformat()} is within the retention floor: "
            f"nothing newer than {earliest_allowed.isoformat()} may be purged"
        )


def is_network_log(action: str) -> bool:
    return action in NETWORK_LOG_ACTIONS or action.startswith(NETWORK_LOG_PREFIXES)


@dataclass(frozen=True)
class RetentionPolicy:
    record_days: int = LEGAL_MIN_RECORD_DAYS
    network_log_days: int = LEGAL_MIN_NETWORK_DAYS

    def __post_init__(self) -> None:
        if self.record_days < LEGAL_MIN_RECORD_DAYS or self.network_log_days < LEGAL_MIN_NETWORK_DAYS:
            raise ValueError(
                f"retention below the legal minimum ({LEGAL_MIN_RECORD_DAYS} days for records, "
                f"{LEGAL_MIN_NETWORK_DAYS} for network logs)"
            )

    def floor(self, action: str) -> timedelta:
        return timedelta(days=self.network_log_days if is_network_log(action) else self.record_days)

    def keep_until(self, action: str, occurred_at: datetime) -> datetime:
        return occurred_at + self.floor(action)

    def check_cutoff(self, before: datetime, now: datetime) -> None:
        """Refuse a cutoff no entry of any kind could be purged by (younger than the shortest floor)."""
        earliest = now - timedelta(days=min(self.record_days, self.network_log_days))
        if before > earliest:
            raise RetentionFloorError(before, earliest)


@dataclass(frozen=True)
class Held:
    """The entry that stopped a purge: it is younger than the cutoff or still under its floor."""

    seq: int
    action: str
    occurred_at: datetime
    keep_until: datetime | None  # None: it is simply not older than the cutoff


@dataclass(frozen=True)
class PrefixPlan:
    through_seq: int  # purge entries up to and including this seq (== the anchor seq: nothing to purge)
    count: int
    held_by: Held | None  # None: every entry qualifies


def plan_purge(
    entries: Iterable[tuple[int, datetime, str]],
    *,
    anchor_seq: int,
    before: datetime,
    now: datetime,
    policy: RetentionPolicy,
) -> PrefixPlan:
    """`entries`: (seq, occurred_at, action) in seq order, starting right after `anchor_seq`."""
    policy.check_cutoff(before, now)
    through, count = anchor_seq, 0
    for seq, occurred_at, action in entries:
        if occurred_at >= before:
            return PrefixPlan(through, count, Held(seq, action, occurred_at, None))
        until = policy.keep_until(action, occurred_at)
        if until > now:
            return PrefixPlan(through, count, Held(seq, action, occurred_at, until))
        through, count = seq, count + 1
    return PrefixPlan(through, count, None)
