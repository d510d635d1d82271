"""Catalog rules in plain Python: the open-list vocabulary, grading → open class, lifecycle.

Sources: 002 §9 (open-list fields), §13–15 (grading, classes, conditions); 001 §7 (not-open
reasons), §10; 004 §21–23. No web or database imports here.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum


class Domain(StrEnum):
    """数据领域: the fixed domain taxonomy used by the Shanghai open-data portal."""

    ECONOMY = "economy"
    ENVIRONMENT = "environment"
    TRANSPORT = "transport"
    HEALTH = "health"
    EDUCATION = "education"
    LIVELIHOOD = "livelihood"
    URBAN = "urban"
    SAFETY = "safety"
    SOCIAL = "social"
    INSTITUTIONS = "institutions"
    CREDIT = "credit"
    CULTURE = "culture"


DOMAIN_LABELS: dict[Domain, tuple[str, str]] = {
    Domain.ECONOMY: ("经济建设", "Economy"),
    Domain.ENVIRONMENT: ("资源环境", "Resources & environment"),
    Domain.TRANSPORT: ("道路交通", "Roads & transport"),
    Domain.HEALTH: ("卫生健康", "Health"),
    Domain.EDUCATION: ("教育科技", "Education & science"),
    Domain.LIVELIHOOD: ("民生服务", "Public services"),
    Domain.URBAN: ("城市建设", "Urban development"),
    Domain.SAFETY: ("公共安全", "Public safety"),
    Domain.SOCIAL: ("社会发展", "Social development"),
    Domain.INSTITUTIONS: ("机构团体", "Institutions"),
    Domain.CREDIT: ("信用服务", "Credit"),
    Domain.CULTURE: ("文化休闲", "Culture & leisure"),
}


class OpenClass(StrEnum):
    """开放类型 (002 §14)."""

    UNCONDITIONAL = "unconditional"  # 无条件开放
    CONDITIONAL = "conditional"  # 有条件开放
    NOT_OPEN = "not_open"  # 非开放


OPEN_CLASS_LABELS: dict[OpenClass, tuple[str, str]] = {
    OpenClass.UNCONDITIONAL: ("无条件开放", "Unconditional"),
    OpenClass.CONDITIONAL: ("有条件开放", "Conditional"),
    OpenClass.NOT_OPEN: ("非开放", "Not open"),
}

# Ordering from most open to least open, used to compare a declared class with the graded one.
_OPENNESS = {OpenClass.UNCONDITIONAL: 0, OpenClass.CONDITIONAL: 1, OpenClass.NOT_OPEN: 2}


class UpdateFrequency(StrEnum):
    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    IRREGULAR = "irregular"
    STATIC = "static"


FREQUENCY_LABELS: dict[UpdateFrequency, tuple[str, str]] = {
    UpdateFrequency.REALTIME: ("实时", "Real-time"),
    UpdateFrequency.DAILY: ("每日", "Daily"),
    UpdateFrequency.WEEKLY: ("每周", "Weekly"),
    UpdateFrequency.MONTHLY: ("每月", "Monthly"),
    UpdateFrequency.QUARTERLY: ("每季度", "Quarterly"),
    UpdateFrequency.YEARLY: ("每年", "Yearly"),
    UpdateFrequency.IRREGULAR: ("不定期", "Irregular"),
    UpdateFrequency.STATIC: ("静态", "Static"),
}


class DataFormat(StrEnum):
    """Formats a provider may declare. Proprietary formats are deliberately absent (CAT-2)."""

    API = "api"
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"
    GEOJSON = "geojson"
    PARQUET = "parquet"
    XML = "xml"
    PDF = "pdf"


class FieldType(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    GEOMETRY = "geometry"


class ConditionKind(StrEnum):
    """开放条件 kinds (002 §15, 004 §23)."""

    SCENARIO = "scenario"  # 应用场景要求
    SECURITY = "security"  # 数据安全要求
    FEEDBACK = "feedback"  # 数据利用反馈要求
    TECHNICAL = "technical"  # 技术能力要求
    CREDIT = "credit"  # 信用要求
    OTHER = "other"  # 其他


CONDITION_LABELS: dict[ConditionKind, tuple[str, str]] = {
    ConditionKind.SCENARIO: ("应用场景要求", "Use-scenario limits"),
    ConditionKind.SECURITY: ("数据安全要求", "Data-security capability"),
    ConditionKind.FEEDBACK: ("数据利用反馈要求", "Usage feedback duties"),
    ConditionKind.TECHNICAL: ("技术能力要求", "Technical capability"),
    ConditionKind.CREDIT: ("信用要求", "Credit standing"),
    ConditionKind.OTHER: ("其他条件", "Other conditions"),
}


class NotOpenReason(StrEnum):
    """The closed list of reasons a dataset may be kept not open (001 §7)."""

    STATE_SECRET = "state_secret"  # 涉及国家秘密
    SECURITY = "security"  # 危及国家安全、公共安全、经济安全和社会稳定
    TRADE_SECRET_PRIVACY = "trade_secret_privacy"  # 商业秘密、个人隐私
    INTERNAL_AFFAIRS = "internal_affairs"  # 内部人事、财务等管理信息
    AGREEMENT_IP = "agreement_ip"  # 协议约定或知识产权限制
    LAW = "law"  # 法律法规规定不得开放


NOT_OPEN_REASON_LABELS: dict[NotOpenReason, tuple[str, str]] = {
    NotOpenReason.STATE_SECRET: ("涉及国家秘密", "State secret"),
    NotOpenReason.SECURITY: (
        "开放后可能危及国家安全、公共安全、经济安全和社会稳定",
        "Endangers national, public or economic security",
    ),
    NotOpenReason.TRADE_SECRET_PRIVACY: ("涉及商业秘密、个人隐私", "Trade secret or personal privacy"),
    NotOpenReason.INTERNAL_AFFAIRS: ("属于内部人事、财务等管理信息", "Internal personnel or finance"),
    NotOpenReason.AGREEMENT_IP: ("受协议约定或知识产权保护限制", "Agreement or intellectual property"),
    NotOpenReason.LAW: ("法律、法规规定不得开放", "Prohibited by law"),
}


class DatasetState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    STATIC = "static"


# Lifecycle: the review step (workorders) drives draft → in_review → published; a rights complaint
# suspends at once (QUA-4); data that can no longer be updated becomes static with its history open
# (CAT-7); withdrawal is final for the open list but the record is kept.
_TRANSITIONS: dict[DatasetState, frozenset[DatasetState]] = {
    DatasetState.DRAFT: frozenset({DatasetState.IN_REVIEW, DatasetState.PUBLISHED, DatasetState.WITHDRAWN}),
    DatasetState.IN_REVIEW: frozenset({DatasetState.DRAFT, DatasetState.PUBLISHED}),
    DatasetState.PUBLISHED: frozenset(
        {DatasetState.SUSPENDED, DatasetState.WITHDRAWN, DatasetState.STATIC, DatasetState.IN_REVIEW}
    ),
    DatasetState.SUSPENDED: frozenset({DatasetState.PUBLISHED, DatasetState.WITHDRAWN, DatasetState.STATIC}),
    DatasetState.STATIC: frozenset({DatasetState.SUSPENDED, DatasetState.WITHDRAWN, DatasetState.PUBLISHED}),
    DatasetState.WITHDRAWN: frozenset({DatasetState.DRAFT}),
}

# States in which a dataset is visible on the portal and its data may be served.
VISIBLE_STATES = frozenset({DatasetState.PUBLISHED, DatasetState.STATIC})


class LifecycleError(ValueError):
    def __init__(self, current: DatasetState, target: DatasetState) -> None:
        super().__init__(f"cannot move a dataset from {current} to {target}")
        self.current = current
        self.target = target


def can_transition(current: DatasetState, target: DatasetState) -> bool:
    return target in _TRANSITIONS[current]


def check_transition(current: DatasetState, target: DatasetState) -> None:
    if not can_transition(current, target):
        raise LifecycleError(current, target)


# ---------------------------------------------------------------------------------------------
# Grading (分级) → open class (分类). 002 §14: data is graded along personal, organizational and
# object dimensions, and the combination of levels puts it in one of three classes. The seeds do
# not reproduce the 2019 guide's tables, so the rule is explicit here and documented in
# docs/grading.md: four levels per dimension; the highest level decides.
# ---------------------------------------------------------------------------------------------

GRADE_MIN, GRADE_MAX = 1, 4

GRADE_LEVEL_MEANINGS: dict[str, dict[int, str]] = {
    "personal": {
        1: "不涉及个人信息",
        2: "经汇总统计、无法识别特定个人的信息",
        3: "经去标识化的个人级记录，存在重识别风险",
        4: "可识别特定个人的信息或个人敏感信息",
    },
    "organizational": {
        1: "依法公开的组织信息",
        2: "一般经营管理信息，泄露影响轻微",
        3: "较敏感的经营信息，需控制使用范围",
        4: "商业秘密或保密商务信息",
    },
    "object": {
        1: "一般公共事物信息",
        2: "滥用可能对公共秩序造成轻微影响",
        3: "关键设施或精细时空信息，需持续安全管控",
        4: "涉及国家安全、公共安全的客体信息",
    },
}


@dataclass(frozen=True)
class Grading:
    """Levels on the three dimensions of the grading guide (1 = lowest risk, 4 = highest)."""

    personal: int = 1
    organizational: int = 1
    object: int = 1

    def __post_init__(self) -> None:
        for name in ("personal", "organizational", "object"):
            level = getattr(self, name)
            if not isinstance(level, int) or not GRADE_MIN <= level <= GRADE_MAX:
                raise ValueError(f"grading level {name}={level!r} must be an integer {GRADE_MIN}–{GRADE_MAX}")

    @property
    def highest(self) -> int:
        return max(self.personal, self.organizational, self.object)


def class_for_grading(grading: Grading) -> OpenClass:
    """The open class the grading rule assigns: 1–2 unconditional, 3 conditional, 4 not open."""
    if grading.highest >= 4:
        return OpenClass.NOT_OPEN
    if grading.highest == 3:
        return OpenClass.CONDITIONAL
    return OpenClass.UNCONDITIONAL


class OpeningBasis(StrEnum):
    """Why a dataset may be more open than its grading says (002 §14(1))."""

    DESENSITIZED = "desensitized"  # 脱密、脱敏处理
    CONSENT = "consent"  # 相关权利人同意开放


@dataclass(frozen=True)
class Condition:
    kind: ConditionKind
    description: str


@dataclass(frozen=True)
class Classification:
    """The open-class decision of a dataset, checked as a whole."""

    open_class: OpenClass
    grading: Grading
    conditions: tuple[Condition, ...] = ()
    not_open_reason: NotOpenReason | None = None
    opening_basis: OpeningBasis | None = None
    note: str = ""


class ClassificationError(ValueError):
    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        # Every problem at once (the regulations ask reviewers and checks to name all reasons).
        super().__init__("; ".join(message for _, message in problems))
        self.problems = list(problems)


def classification_problems(c: Classification) -> list[tuple[str, str]]:
    """All reasons a classification breaks the rules (CAT-4, CAT-5, ACC-8), as (field, message)."""
    problems: list[tuple[str, str]] = []
    graded = class_for_grading(c.grading)
    if _OPENNESS[c.open_class] < _OPENNESS[graded] and c.opening_basis is None:
        problems.append(
            (
                "open_class",
                f"grading levels put this dataset in class '{graded}'; opening it as '{c.open_class}' "
                "needs an opening basis (desensitized, or the rights-holder's consent)",
            )
        )
    if c.open_class is OpenClass.NOT_OPEN and c.not_open_reason is None:
        problems.append(("not_open_reason", "a not-open decision must name one of the listed reasons"))
    if c.open_class is not OpenClass.NOT_OPEN and c.not_open_reason is not None:
        problems.append(("not_open_reason", "only not-open datasets carry a not-open reason"))
    if c.open_class is OpenClass.CONDITIONAL and not c.conditions:
        problems.append(("conditions", "conditional data must state its open conditions"))
    if c.open_class is OpenClass.UNCONDITIONAL and c.conditions:
        problems.append(("conditions", "unconditional data carries no open conditions"))
    for cond in c.conditions:
        if not cond.description.strip():
            problems.append(("conditions", f"condition '{cond.kind}' needs a description"))
    kinds = [cond.kind for cond in c.conditions]
    if len(kinds) != len(set(kinds)):
        problems.append(("conditions", "each condition kind may be stated once"))
    return problems


def check_classification(c: Classification) -> None:
    problems = classification_problems(c)
    if problems:
        raise ClassificationError(problems)


# ---------------------------------------------------------------------------------------------
# Data items (数据项): every field needs a clear description and no unexplained abbreviation.
# ---------------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# An all-capitals Latin token of 2–6 letters (e.g. "AQI", "GDP") counts as an abbreviation and must be
# explained in the label or description text, e.g. "AQI（空气质量指数）".
_ABBREVIATION = re.compile(r"(?<![A-Za-z])[A-Z]{2,6}(?![A-Za-z])")
_EXPLAINED = re.compile(r"[（(][^）)]*[\u4e00-\u9fff][^）)]*[）)]")
# Widely known abbreviations that need no explanation for Chinese readers.
KNOWN_ABBREVIATIONS = frozenset({"ID", "URL", "API", "GPS", "WGS", "GCJ", "PM", "CSV", "IP"})


@dataclass(frozen=True)
class DataItem:
    name: str  # column name in the data, e.g. "station_name"
    label: str  # Chinese label, e.g. "站点名称"
    type: FieldType
    description: str
    unit: str = ""
    catalog_source: str = ""  # CAT-3: the resource-catalog item this field comes from
    label_en: str = ""


def data_item_problems(items: Iterable[DataItem]) -> list[tuple[str, str]]:
    """Problems with a dataset's field table (CAT-2), as (field path, message)."""
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    item_list = list(items)
    if not item_list:
        problems.append(("fields", "a dataset lists at least one data item"))
    for i, item in enumerate(item_list):
        path = f"fields[{i}]"
        if not _IDENTIFIER.match(item.name):
            problems.append(
                (f"{path}.name", f"'{item.name}' is not a valid column name (letters, digits, _)")
            )
        if item.name.lower() in seen:
            problems.append((f"{path}.name", f"duplicate column name '{item.name}'"))
        seen.add(item.name.lower())
        if not item.label.strip():
            problems.append((f"{path}.label", f"'{item.name}' needs a Chinese label"))
        if len(item.description.strip()) < 4:
            problems.append((f"{path}.description", f"'{item.name}' needs a clear description"))
        for abbr in unexplained_abbreviations(f"{item.label} {item.description}"):
            problems.append((f"{path}.description", f"'{item.name}': abbreviation '{abbr}' is not explained"))
    return problems


def unexplained_abbreviations(text: str) -> list[str]:
    """Capital-letter abbreviations in text that are neither well known nor explained in brackets."""
    if _EXPLAINED.search(text):
        # An explanation in full-width or ASCII brackets containing Chinese covers the text's acronyms.
        return []
    found = []
    for match in _ABBREVIATION.finditer(text):
        token = match.group(0)
        if token not in KNOWN_ABBREVIATIONS and token not in found:
            found.append(token)
    return found


@dataclass
class OpenListEntry:
    """The open-list fields of 002 §9 that the catalog checks together before review."""

    name: str
    summary: str
    domain: Domain
    fields: list[DataItem]
    formats: list[DataFormat]
    update_frequency: UpdateFrequency
    classification: Classification
    tags: list[str] = field(default_factory=list)


def open_list_problems(entry: OpenListEntry) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if len(entry.name.strip()) < 4:
        problems.append(("name", "the name must be concise but show key fields, time range or area"))
    if len(entry.summary.strip()) < 10:
        problems.append(("summary", "the summary must describe the data (at least 10 characters)"))
    if not entry.formats:
        problems.append(("formats", "declare at least one open format (API or CSV preferred)"))
    problems.extend(data_item_problems(entry.fields))
    problems.extend(classification_problems(entry.classification))
    return problems


def slugify_code(prefix: str, number: int) -> str:
    """Stable human-readable identifiers such as 'SH-JTW-0003'."""
    return f"{prefix}-{number:04d}"


# ---------------------------------------------------------------------------------------------
# CAT-8: data is updated as often as declared. The next update is due one declared period after the
# last data update (calendar periods, not working days); real-time and daily data are due the next
# day. Irregular and static data have no due date.
# ---------------------------------------------------------------------------------------------

_PERIOD_MONTHS = {UpdateFrequency.MONTHLY: 1, UpdateFrequency.QUARTERLY: 3, UpdateFrequency.YEARLY: 12}
_PERIOD_DAYS = {UpdateFrequency.REALTIME: 1, UpdateFrequency.DAILY: 1, UpdateFrequency.WEEKLY: 7}


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def next_update_due(frequency: UpdateFrequency, last_update: date) -> date | None:
    """The date by which the next data update is due (None for irregular and static data)."""
    if frequency in _PERIOD_DAYS:
        return last_update + timedelta(days=_PERIOD_DAYS[frequency])
    if frequency in _PERIOD_MONTHS:
        return _add_months(last_update, _PERIOD_MONTHS[frequency])
    return None


def update_overdue(due: date | None, today: date) -> bool:
    """Overdue once the whole due date has passed without an update."""
    return due is not None and today > due
