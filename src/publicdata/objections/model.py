"""Objections (QUA-3) and rights complaints (QUA-4) in plain Python: kinds, states, the rules of each
decision, and the leak-trace aggregation. No database, no web.

Objections (异议)
-----------------
Anyone signed in objects to an error, omission or infringement in a dataset. Two deadlines run from
receipt, both in Chinese working days (the Shanghai day of receipt is not counted):

- **mark** within 1 working day: the center puts a visible "objection pending" marker on the dataset.
  Tracked on the objection itself (`mark_due_at`); `tick` flags a missed marking once.
- **decide or forward** within 2 working days: the clock of the center's work order
  (`objection_review`, SLA 2). The center decides a correction in its own scope (uphold / dismiss
  with the result), or forwards to the provider: a second order (`objection_verification`, SLA 5
  from forwarding) in which the provider verifies and decides.

An upheld objection leads to a corrected data version through the normal routes (a new upload in the
data store, or an open-list change order); the link (version number and/or change order id) is
recorded on the objection, which is then `corrected`. The dataset's marker stays until the objection
is dismissed or corrected.

Rights complaints (权利人投诉)
-------------------------------
A rights-holder complains that a dataset infringes a trade secret or privacy. The provider may suspend
opening at once (the dataset leaves the published state: the data store serves it to no one), verifies,
then decides: withdraw, restore (reopen as it was; publication gates apply) or reprocess (a newer,
desensitized version is made, then the dataset reopens).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ObjectionKind(StrEnum):
    ERROR = "error"  # 数据错误
    OMISSION = "omission"  # 数据遗漏
    INFRINGEMENT = "infringement"  # 侵犯权益


OBJECTION_KIND_LABELS: dict[ObjectionKind, tuple[str, str]] = {
    ObjectionKind.ERROR: ("数据错误", "error"),
    ObjectionKind.OMISSION: ("数据遗漏", "omission"),
    ObjectionKind.INFRINGEMENT: ("侵犯合法权益", "infringement"),
}


class ObjectionStatus(StrEnum):
    RECEIVED = "received"  # not yet marked
    MARKED = "marked"  # the dataset shows "objection pending"; the center decides or forwards
    FORWARDED = "forwarded"  # the provider verifies and decides
    UPHELD = "upheld"  # decided: a correction is due (marker stays)
    CORRECTED = "corrected"  # the correcting version / change order is recorded
    DISMISSED = "dismissed"


OBJECTION_STATUS_LABELS: dict[ObjectionStatus, tuple[str, str]] = {
    ObjectionStatus.RECEIVED: ("已受理，待标注", "received"),
    ObjectionStatus.MARKED: ("已标注，待处理", "marked, pending"),
    ObjectionStatus.FORWARDED: ("已转数据提供方核实", "forwarded to the provider"),
    ObjectionStatus.UPHELD: ("异议成立，待更正", "upheld, correction pending"),
    ObjectionStatus.CORRECTED: ("已更正", "corrected"),
    ObjectionStatus.DISMISSED: ("异议不成立", "dismissed"),
}

# States in which the dataset carries the "objection pending" marker (set by marking).
MARKER_STATES = frozenset({ObjectionStatus.MARKED, ObjectionStatus.FORWARDED, ObjectionStatus.UPHELD})
OPEN_STATES = frozenset(
    {ObjectionStatus.RECEIVED, ObjectionStatus.MARKED, ObjectionStatus.FORWARDED, ObjectionStatus.UPHELD}
)
CENTER_DECIDES_FROM = frozenset({ObjectionStatus.RECEIVED, ObjectionStatus.MARKED})


class Outcome(StrEnum):
    UPHELD = "upheld"
    DISMISSED = "dismissed"


OUTCOME_LABELS: dict[Outcome, tuple[str, str]] = {
    Outcome.UPHELD: ("异议成立", "upheld"),
    Outcome.DISMISSED: ("异议不成立", "dismissed"),
}

MARK_WORKING_DAYS = 1  # QUA-3: the center marks within 1 working day
CENTER_DECISION_WORKING_DAYS = 2  # ... decides or forwards within 2
PROVIDER_DECISION_WORKING_DAYS = 5  # the provider verifies and decides within 5 from forwarding
COMPLAINT_WORKING_DAYS = 5  # rights complaint: verify and decide (suspension itself is at once)


class RightKind(StrEnum):
    TRADE_SECRET = "trade_secret"  # 商业秘密
    PRIVACY = "privacy"  # 个人隐私


RIGHT_KIND_LABELS: dict[RightKind, tuple[str, str]] = {
    RightKind.TRADE_SECRET: ("商业秘密", "trade secret"),
    RightKind.PRIVACY: ("个人隐私", "privacy"),
}


class ComplaintStatus(StrEnum):
    RECEIVED = "received"
    SUSPENDED = "suspended"  # opening suspended at once; being verified
    WITHDRAWN = "withdrawn"  # the dataset is withdrawn from the open list
    RESTORED = "restored"  # no infringement: reopened as it was (or never suspended)
    REPROCESSED = "reprocessed"  # desensitized into a newer version and reopened


COMPLAINT_STATUS_LABELS: dict[ComplaintStatus, tuple[str, str]] = {
    ComplaintStatus.RECEIVED: ("已受理，待核实", "received"),
    ComplaintStatus.SUSPENDED: ("已暂停开放，核实中", "suspended, being verified"),
    ComplaintStatus.WITHDRAWN: ("已撤回数据", "withdrawn"),
    ComplaintStatus.RESTORED: ("已恢复开放", "restored"),
    ComplaintStatus.REPROCESSED: ("已重新脱敏并开放", "reprocessed and reopened"),
}


class ComplaintDecision(StrEnum):
    WITHDRAW = "withdraw"
    RESTORE = "restore"
    REPROCESS = "reprocess"


DECISION_STATUS: dict[ComplaintDecision, ComplaintStatus] = {
    ComplaintDecision.WITHDRAW: ComplaintStatus.WITHDRAWN,
    ComplaintDecision.RESTORE: ComplaintStatus.RESTORED,
    ComplaintDecision.REPROCESS: ComplaintStatus.REPROCESSED,
}
COMPLAINT_OPEN = frozenset({ComplaintStatus.RECEIVED, ComplaintStatus.SUSPENDED})


class RuleError(ValueError):
    """A step the objection or complaint rules do not allow; code is a stable string."""

    def __init__(self, code: str, message_en: str, message_zh: str, field: str | None = None) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh
        self.field = field


def check_text(value: str, *, field: str, minimum: int, label_zh: str) -> str:
    text = value.strip()
    if len(text) < minimum:
        raise RuleError(
            "text_required",
            f"{field} needs at least {minimum} characters",
            f"{label_zh}至少{minimum}个字",
            field,
        )
    return text


def check_field_hints(hints: Iterable[str], known: Iterable[str]) -> list[str]:
    """Field hints must name the dataset's data items (by name); duplicates are dropped."""
    names = set(known)
    chosen = list(dict.fromkeys(h.strip() for h in hints if h.strip()))
    unknown = [h for h in chosen if h not in names]
    if unknown:
        raise RuleError(
            "unknown_field",
            "unknown data items: " + ", ".join(unknown),
            "数据项不存在：" + "、".join(unknown),
            "fields",
        )
    return chosen


def check_correction(
    *,
    version: int | None,
    known_versions: Iterable[int],
    baseline_version: int | None,
    change_order_id: str | None,
    change_order_ok: bool,
) -> None:
    """A correction names a newer data version of the dataset and/or its open-list change order."""
    if version is None and not change_order_id:
        raise RuleError(
            "correction_required",
            "name the corrected data version or the open-list change order",
            "请填写更正后的数据版本号或开放清单调整工单号",
            "version",
        )
    if version is not None:
        check_newer_version(version=version, known_versions=known_versions, baseline=baseline_version)
    if change_order_id and not change_order_ok:
        raise RuleError(
            "unknown_change_order",
            "the change order is not an open-list change of this dataset",
            "该工单不是本数据集的开放清单调整工单",
            "change_order_id",
        )


def check_newer_version(*, version: int, known_versions: Iterable[int], baseline: int | None) -> None:
    if version not in set(known_versions):
        raise RuleError(
            "unknown_version", f"data version {version} does not exist", f"数据版本{version}不存在", "version"
        )
    if baseline is not None and version <= baseline:
        raise RuleError(
            "version_not_newer",
            f"version {version} is not newer than version {baseline} (the one complained about)",
            f"数据版本{version}不晚于被投诉时的版本{baseline}",
            "version",
        )


# ---------------------------------------------------------------------------------------------
# Leak trace: who read the affected data, from audit entries
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessEvent:
    """One audit entry that served the dataset's data to someone."""

    occurred_at: datetime
    actor_kind: str  # user | token | anonymous | system
    actor_id: str | None  # user id, or the salted IP hash for anonymous callers
    action: str
    version: int | None = None


@dataclass
class AccessorSummary:
    key: str
    actor_kind: str  # user | anonymous
    actor_id: str | None
    first_access: datetime
    last_access: datetime
    counts: dict[str, int] = field(default_factory=dict)
    versions: set[int] = field(default_factory=set)
    via_token: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def summarize_access(events: Iterable[AccessEvent]) -> list[AccessorSummary]:
    """Group access events per user (user sessions and their tokens together) and per anonymous IP hash.

    System reads (scheduled jobs) are not users and are left out. Sorted by first access.
    """
    groups: dict[str, AccessorSummary] = {}
    for event in events:
        if event.actor_kind == "system":
            continue
        if event.actor_kind in ("user", "token"):
            key, kind = f"user:{event.actor_id}", "user"
        else:
            key, kind = f"anonymous:{event.actor_id or '-'}", "anonymous"
        summary = groups.get(key)
        if summary is None:
            summary = groups[key] = AccessorSummary(
                key=key,
                actor_kind=kind,
                actor_id=event.actor_id,
                first_access=event.occurred_at,
                last_access=event.occurred_at,
            )
        summary.first_access = min(summary.first_access, event.occurred_at)
        summary.last_access = max(summary.last_access, event.occurred_at)
        summary.counts[event.action] = summary.counts.get(event.action, 0) + 1
        if event.version is not None:
            summary.versions.add(event.version)
        summary.via_token = summary.via_token or event.actor_kind == "token"
    return sorted(groups.values(), key=lambda s: (s.first_access, s.key))


def api_path_reads_dataset(path: str, refs: Iterable[str]) -> bool:
    """Does an API path read a dataset's data (records, downloads, versions, resource files)?"""
    for ref in refs:
        prefix = f"/api/v1/datasets/{ref}/"
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            return rest.startswith(("records", "download", "versions", "resources"))
    return False
