"""Work-order engine rules: definitions, state machines, the SLA clock (pause/resume/restart), extensions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from publicdata.workdays import WorkdayCalendar, shanghai_date
from publicdata.workorders import model
from publicdata.workorders.model import ClockEffect, Party, Transition, WorkflowError, WorkOrderType

CAL = WorkdayCalendar()


def at(day: str, hour: int = 10) -> datetime:
    """10:00 Shanghai time on `day` (as UTC)."""
    y, m, d = (int(x) for x in day.split("-"))
    return datetime(y, m, d, hour - 8, 0, tzinfo=UTC)


def sample_type(**overrides: object) -> WorkOrderType:
    values: dict[str, object] = {
        "name": "sample",
        "label_zh": "示例",
        "label_en": "sample",
        "states": frozenset({"open", "waiting", "returned", "done"}),
        "initial_state": "open",
        "final_states": frozenset({"done"}),
        "transitions": (
            Transition("finish", frozenset({"open"}), "done", Party.RESPONSIBLE, ClockEffect.STOP),
            Transition("ask", frozenset({"open"}), "waiting", Party.RESPONSIBLE, ClockEffect.PAUSE, True),
            Transition("answer", frozenset({"waiting"}), "open", Party.REQUESTER, ClockEffect.RESUME),
            Transition("return", frozenset({"open"}), "returned", Party.RESPONSIBLE, ClockEffect.PAUSE),
            Transition("resubmit", frozenset({"returned"}), "open", Party.REQUESTER, ClockEffect.RESTART),
        ),
        "sla_working_days": {"city": 5, "district": 10},
        "responsible_role": "center",
        "max_extension_days": 5,
    }
    values.update(overrides)
    return WorkOrderType(**values)  # type: ignore[arg-type]


@pytest.mark.req("ACC-4")
def test_sla_is_chosen_by_jurisdiction() -> None:
    t = sample_type()
    assert t.sla_for("city") == 5
    assert t.sla_for("district") == 10
    with pytest.raises(ValueError):
        t.sla_for("county")


@pytest.mark.req("PLT-5")
def test_definitions_are_checked() -> None:
    with pytest.raises(ValueError, match="initial state"):
        sample_type(initial_state="nowhere")
    with pytest.raises(ValueError, match="clock stops exactly"):
        sample_type(transitions=(Transition("x", frozenset({"open"}), "done", Party.RESPONSIBLE),))
    with pytest.raises(ValueError, match="leaves a final state"):
        sample_type(
            transitions=(Transition("reopen", frozenset({"done"}), "open", Party.REQUESTER),),
        )
    with pytest.raises(ValueError, match="positive"):
        sample_type(sla_working_days={"city": 0})


@pytest.mark.req("PLT-5")
def test_state_machine_refuses_actions_not_defined_from_the_state() -> None:
    t = sample_type()
    assert model.apply_transition(t, state="open", action="finish", party_ok=True, note="").target == "done"
    with pytest.raises(WorkflowError) as exc:
        model.apply_transition(t, state="waiting", action="finish", party_ok=True, note="")
    assert exc.value.code == "invalid_action"
    with pytest.raises(WorkflowError) as exc:
        model.apply_transition(t, state="done", action="finish", party_ok=True, note="")
    assert exc.value.code == "order_closed"
    with pytest.raises(WorkflowError) as exc:
        model.apply_transition(t, state="open", action="ask", party_ok=True, note=" ")
    assert exc.value.code == "note_required"
    with pytest.raises(WorkflowError) as exc:
        model.apply_transition(t, state="open", action="finish", party_ok=False, note="")
    assert exc.value.code == "not_your_turn"


@pytest.mark.req("ACC-4")
def test_clock_starts_from_the_day_after_receipt() -> None:
    clock = model.start_clock(CAL, at("2026-09-30"), 5)
    assert clock.deadline.due_date == date(2026, 10, 13)  # National Day; make-up Saturday 10-10 counts


@pytest.mark.req("ACC-4")
def test_pause_and_resume_carry_the_remaining_working_days_over() -> None:
    # Received Mon 2026-03-02, 5 working days: due Mon 03-09. Paused Wed 03-04: Thu, Fri, Mon are left (3).
    clock = model.start_clock(CAL, at("2026-03-02"), 5)
    assert clock.deadline.due_date == date(2026, 3, 9)
    paused = model.pause(clock, at("2026-03-04"))
    assert model.remaining_at_pause(CAL, paused) == 3
    standing = model.standing(CAL, paused, at("2026-04-30"))
    assert standing.paused and not standing.overdue and standing.remaining_working_days == 3
    # Supplement arrives Fri 03-13: three working days after it → Wed 03-18.
    resumed = model.resume(CAL, paused, at("2026-03-13"))
    assert resumed.working_days == 3
    assert resumed.deadline.due_date == date(2026, 3, 18)
    assert resumed.running


@pytest.mark.req("ACC-4")
def test_resume_gives_at_least_one_working_day() -> None:
    clock = model.start_clock(CAL, at("2026-03-02"), 5)  # due Mon 03-09
    paused = model.pause(clock, at("2026-03-09", 20))  # paused on the due date itself
    assert model.remaining_at_pause(CAL, paused) == 1
    resumed = model.resume(CAL, paused, at("2026-03-20"))  # Friday
    assert resumed.deadline.due_date == date(2026, 3, 23)


@pytest.mark.req("ACC-4")
def test_restart_grants_a_fresh_full_sla() -> None:
    t = sample_type()
    clock = model.start_clock(CAL, at("2026-03-02"), 5)
    returned = model.next_clock(
        t, CAL, clock, t.transition("open", "return"), at=at("2026-03-03"), jurisdiction="city"
    )
    assert returned.paused_at is not None
    resubmitted = model.next_clock(
        t, CAL, returned, t.transition("returned", "resubmit"), at=at("2026-03-16"), jurisdiction="city"
    )
    assert resubmitted.deadline.due_date == date(2026, 3, 23) and resubmitted.paused_at is None


@pytest.mark.req("ACC-4")
def test_pausing_twice_or_resuming_a_running_clock_is_refused() -> None:
    clock = model.start_clock(CAL, at("2026-03-02"), 5)
    with pytest.raises(WorkflowError):
        model.resume(CAL, clock, at("2026-03-03"))
    with pytest.raises(WorkflowError):
        model.pause(model.pause(clock, at("2026-03-03")), at("2026-03-04"))


@pytest.mark.req("ACC-4")
def test_extension_is_bounded_once_and_needs_a_reason() -> None:
    t = sample_type()
    model.check_extension_request(t, days=5, reason="数据量大", already_requested=False, closed=False)
    for kwargs, code in (
        ({"days": 6, "reason": "x", "already_requested": False, "closed": False}, "extension_too_long"),
        ({"days": 0, "reason": "x", "already_requested": False, "closed": False}, "extension_too_long"),
        ({"days": 2, "reason": " ", "already_requested": False, "closed": False}, "reason_required"),
        (
            {"days": 2, "reason": "x", "already_requested": True, "closed": False},
            "extension_already_requested",
        ),
        ({"days": 2, "reason": "x", "already_requested": False, "closed": True}, "order_closed"),
    ):
        with pytest.raises(WorkflowError) as exc:
            model.check_extension_request(t, **kwargs)  # type: ignore[arg-type]
        assert exc.value.code == code
    with pytest.raises(WorkflowError) as exc:
        model.check_extension_request(
            sample_type(max_extension_days=0), days=1, reason="x", already_requested=False, closed=False
        )
    assert exc.value.code == "extension_not_allowed"


@pytest.mark.req("ACC-4")
def test_extension_counts_after_the_old_due_date() -> None:
    clock = model.start_clock(CAL, at("2026-09-25"), 3)  # Fri → due Wed 09-30
    assert clock.deadline.due_date == date(2026, 9, 30)
    extended = model.extend(CAL, clock, 2)  # National Day 10-01…10-07 off: Thu 10-08, Fri 10-09
    assert extended.deadline.due_date == CAL.extend(clock.deadline, 2).due_date == date(2026, 10, 9)


@pytest.mark.req("ACC-4")
def test_standing_counts_remaining_and_overdue_working_days() -> None:
    clock = model.start_clock(CAL, at("2026-03-02"), 5)  # due Mon 03-09
    s = model.standing(CAL, clock, at("2026-03-05"))
    assert (s.remaining_working_days, s.overdue) == (2, False)
    s = model.standing(CAL, clock, at("2026-03-11"))
    assert s.overdue and s.overdue_working_days == 2


@pytest.mark.req("ACC-4")
def test_deadline_reaching_an_unknown_year_is_provisional_and_recomputed_when_loaded() -> None:
    from publicdata.workdays import YearSchedule

    clock = model.start_clock(CAL, at("2026-12-25"), 10)
    assert clock.deadline.provisional and clock.deadline.provisional_years == (2027,)
    assert clock.deadline.due_date == date(2027, 1, 8)  # Monday–Friday assumed
    schedule = YearSchedule(
        year=2027,
        holidays=frozenset({date(2027, 1, 1), date(2027, 1, 4), date(2027, 1, 5)}),
        makeup_workdays=frozenset(),
        source="test",
    )
    moved = model.recompute(CAL.with_schedule(schedule), clock)
    assert not moved.deadline.provisional
    assert moved.deadline.due_date == date(2027, 1, 13)
    assert shanghai_date(moved.deadline.due_at) == moved.deadline.due_date
