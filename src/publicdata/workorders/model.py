"""The work-order engine's rules in plain Python: type definitions, state machines, the SLA clock.

A work order (工单) is a typed request with a subject, a requester and a responsible side, moved
through a state machine that its *type* defines. The engine never names a concrete type: workflows
register a :class:`WorkOrderType` (see ``registry.py``).

The clock — the exact rules
---------------------------
- **Start.** ``due = calendar.deadline(received_at, sla)``: the Shanghai day of receipt is not
  counted; due at 23:59:59.999999 Shanghai time on the SLA-th working day after it. The clock is
  kept as a *basis* (``started_at``, ``working_days``) so the due date can be recomputed exactly when
  a year's holiday schedule is loaded later.
- **Pause** (e.g. waiting for the requester's supplement): the clock stops at ``paused_at``; a
  paused order is never overdue.
- **Resume** (the supplement arrives at ``resumed_at``): the working days that were still left at
  the pause are carried over — ``remaining = working days d with date(paused_at) < d <= due date``
  (the day of the pause counts as used) — with a floor of 1, so the responsible side always gets at
  least one full working day. The new basis is ``(resumed_at, remaining)``: due at the end of the
  remaining-th working day after the day the supplement arrived.
- **Restart** (e.g. a returned request is amended and resubmitted): a fresh full SLA from the
  moment of resubmission, as for a new request.
- **Extension**: requested once by the responsible side with a reason, approved by the supervising
  authority, at most the type's ``max_extension_days``; approval adds the days to the basis (the
  same as counting them after the old due date). While paused, the days are added to what is left.
- **Overdue**: ``now > due_at`` while running and not closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from publicdata.workdays.model import Countdown, Deadline, WorkdayCalendar, shanghai_date


class Party(StrEnum):
    """Who may take an action on an order."""

    REQUESTER = "requester"  # the user who opened it, or staff of the requester organization
    RESPONSIBLE = "responsible"  # staff holding the responsible role (in the responsible organization)
    AUTHORITY = "authority"  # the supervising authority (extensions, escalations)


class ClockEffect(StrEnum):
    KEEP = "keep"
    PAUSE = "pause"
    RESUME = "resume"  # carry over the remaining working days
    RESTART = "restart"  # a fresh full SLA
    STOP = "stop"  # the order is closed


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    party: Party
    clock: ClockEffect = ClockEffect.KEEP
    note_required: bool = False
    label_zh: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class WorkOrderType:
    """A registered kind of work order: its states, transitions, SLA and who is responsible."""

    name: str
    label_zh: str
    label_en: str
    states: frozenset[str]
    initial_state: str
    final_states: frozenset[str]
    transitions: tuple[Transition, ...]
    # Working days to handle an order, per jurisdiction profile ("city" / "district").
    sla_working_days: Mapping[str, int]
    responsible_role: str
    requester_role: str | None = None  # staff of the requester org in this role act for the requester
    max_extension_days: int = 0  # 0: no extension possible
    state_labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = definition_problems(self)
        if problems:
            raise ValueError(f"work-order type '{self.name}': " + "; ".join(problems))

    def sla_for(self, jurisdiction: str) -> int:
        try:
            return self.sla_working_days[jurisdiction]
        except KeyError as exc:
            raise ValueError(f"work-order type '{self.name}' has no SLA for '{jurisdiction}'") from exc

    def transition(self, state: str, action: str) -> Transition | None:
        for t in self.transitions:
            if t.action == action and state in t.sources:
                return t
        return None

    def actions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def is_final(self, state: str) -> bool:
        return state in self.final_states


def definition_problems(t: WorkOrderType) -> list[str]:
    problems: list[str] = []
    if t.initial_state not in t.states:
        problems.append(f"initial state '{t.initial_state}' is not a state")
    if not t.final_states <= t.states:
        problems.append("final states must be states")
    if t.initial_state in t.final_states:
        problems.append("the initial state cannot be final")
    if not t.sla_working_days:
        problems.append("an SLA is needed for at least one jurisdiction")
    for name, days in t.sla_working_days.items():
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            problems.append(f"SLA for '{name}' must be a positive number of working days")
    if t.max_extension_days < 0:
        problems.append("max_extension_days cannot be negative")
    seen: set[tuple[str, str]] = set()
    for tr in t.transitions:
        if not tr.sources <= t.states or tr.target not in t.states:
            problems.append(f"transition '{tr.action}' uses unknown states")
        if tr.sources & t.final_states:
            problems.append(f"transition '{tr.action}' leaves a final state")
        if (tr.clock is ClockEffect.STOP) != (tr.target in t.final_states):
            problems.append(
                f"transition '{tr.action}': the clock stops exactly when a final state is reached"
            )
        for source in tr.sources:
            if (source, tr.action) in seen:
                problems.append(f"action '{tr.action}' defined twice from '{source}'")
            seen.add((source, tr.action))
    return problems


class WorkflowError(ValueError):
    """An action that the order's state machine or rules do not allow; code is a stable string."""

    def __init__(self, code: str, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh


# ---------------------------------------------------------------------------------------------
# The clock
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    started_at: datetime  # basis: the moment counting (re)started
    working_days: int  # basis: working days granted from started_at (SLA, carried days, extension)
    deadline: Deadline
    paused_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.paused_at is None and self.stopped_at is None


def start_clock(calendar: WorkdayCalendar, at: datetime, working_days: int) -> Clock:
    return Clock(started_at=at, working_days=working_days, deadline=calendar.deadline(at, working_days))


def recompute(calendar: WorkdayCalendar, clock: Clock) -> Clock:
    """The same basis over a (possibly newer) calendar."""
    return replace(clock, deadline=calendar.deadline(clock.started_at, clock.working_days))


def pause(clock: Clock, at: datetime) -> Clock:
    if not clock.running:
        raise WorkflowError("clock_not_running", "the clock is not running", "计时未在进行中")
    return replace(clock, paused_at=at)


def remaining_at_pause(calendar: WorkdayCalendar, clock: Clock) -> int:
    """Working days carried over by a paused clock (see the module doc): at least 1."""
    if clock.paused_at is None:
        raise ValueError("the clock is not paused")
    due_date = calendar.deadline(clock.started_at, clock.working_days).due_date
    return max(1, calendar.count_working_days(shanghai_date(clock.paused_at), due_date))


def resume(calendar: WorkdayCalendar, clock: Clock, at: datetime) -> Clock:
    if clock.paused_at is None:
        raise WorkflowError("clock_not_paused", "the clock is not paused", "计时未暂停")
    carried = remaining_at_pause(calendar, clock)
    return start_clock(calendar, at, carried)


def restart(calendar: WorkdayCalendar, at: datetime, sla: int) -> Clock:
    return start_clock(calendar, at, sla)


def stop(clock: Clock, at: datetime) -> Clock:
    return replace(clock, stopped_at=at)


def extend(calendar: WorkdayCalendar, clock: Clock, days: int) -> Clock:
    """Add approved extension days to the basis (same as counting them after the old due date)."""
    if days < 1:
        raise ValueError("an extension is at least one working day")
    return recompute(calendar, replace(clock, working_days=clock.working_days + days))


def check_extension_request(
    order_type: WorkOrderType, *, days: int, reason: str, already_requested: bool, closed: bool
) -> None:
    """Bounded extension: requested once, with a reason, at most the type's maximum."""
    if closed:
        raise WorkflowError("order_closed", "the order is closed", "工单已办结")
    if order_type.max_extension_days == 0:
        raise WorkflowError(
            "extension_not_allowed", "this type of order cannot be extended", "该类工单不可延期"
        )
    if already_requested:
        raise WorkflowError(
            "extension_already_requested", "an order may be extended only once", "每个工单只能申请一次延期"
        )
    if not 1 <= days <= order_type.max_extension_days:
        raise WorkflowError(
            "extension_too_long",
            f"an extension is 1 to {order_type.max_extension_days} working days",
            f"延期天数应为1至{order_type.max_extension_days}个工作日",
        )
    if not reason.strip():
        raise WorkflowError("reason_required", "an extension needs a reason", "申请延期须说明理由")


@dataclass(frozen=True)
class Standing:
    """An order's position against its deadline at a moment (for lists and the detail view)."""

    remaining_working_days: int
    overdue: bool
    overdue_working_days: int
    paused: bool
    provisional: bool


def standing(calendar: WorkdayCalendar, clock: Clock, now: datetime) -> Standing:
    if clock.stopped_at is not None:
        closed_late = clock.stopped_at > clock.deadline.due_at
        return Standing(0, closed_late, 0, False, clock.deadline.provisional)
    if clock.paused_at is not None:
        carried = remaining_at_pause(calendar, clock)
        return Standing(carried, False, 0, True, clock.deadline.provisional)
    cd: Countdown = calendar.countdown(clock.deadline.due_at, now)
    return Standing(
        cd.remaining_working_days,
        cd.overdue,
        cd.overdue_working_days,
        False,
        clock.deadline.provisional or cd.provisional,
    )


def apply_transition(
    order_type: WorkOrderType,
    *,
    state: str,
    action: str,
    party_ok: bool,
    note: str,
) -> Transition:
    """Check that `action` is allowed from `state` for this caller; return the transition."""
    if order_type.is_final(state):
        raise WorkflowError("order_closed", "the order is closed", "工单已办结")
    transition = order_type.transition(state, action)
    if transition is None:
        allowed = ", ".join(t.action for t in order_type.actions_from(state)) or "none"
        raise WorkflowError(
            "invalid_action",
            f"'{action}' is not possible in state '{state}' (possible: {allowed})",
            f"工单当前状态不允许执行“{action}”",
        )
    if not party_ok:
        raise WorkflowError(
            "not_your_turn", f"only the {transition.party.value} may '{action}'", "无权执行该工单操作"
        )
    if transition.note_required and not note.strip():
        raise WorkflowError("note_required", f"'{action}' needs a note", "该操作须填写说明")
    return transition


def next_clock(
    order_type: WorkOrderType,
    calendar: WorkdayCalendar,
    clock: Clock,
    transition: Transition,
    *,
    at: datetime,
    jurisdiction: str,
) -> Clock:
    effect = transition.clock
    if effect is ClockEffect.PAUSE:
        return pause(clock, at)
    if effect is ClockEffect.RESUME:
        return resume(calendar, clock, at)
    if effect is ClockEffect.RESTART:
        return restart(calendar, at, order_type.sla_for(jurisdiction))
    if effect is ClockEffect.STOP:
        return stop(clock, at)
    return clock
