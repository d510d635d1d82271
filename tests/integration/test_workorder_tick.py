"""`tick`: overdue orders are flagged, the responsible side notified, the authority escalated to once,
mail goes through the outbox (fake at the edge); CAT-8 overdue updates; CAT-7 yearly reviews."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from publicdata.audit.tables import AuditRecord
from publicdata.catalog.review import ChangeKind, submit_open_list_change
from publicdata.catalog.schemas import DatasetIn
from publicdata.catalog.service import create_dataset, get_dataset, publish_dataset
from publicdata.catalog.tables import Dataset
from publicdata.config import Settings
from publicdata.errors import AppError
from publicdata.identity import auth
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.identity.tables import User
from publicdata.notifications.mailer import OutboxMailer
from publicdata.notifications.service import list_inbox
from publicdata.platform import Platform
from publicdata.workorders.scheduled import tick
from publicdata.workorders.service import act_on_order, get_order, list_orders
from tests.helpers import PASSWORD, Actors, dataset_document, make_actors


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def who(platform: Platform, username: str) -> Principal:
    return auth.authenticate(platform, username=username, password=PASSWORD)


def set_email(platform: Platform, username: str) -> str:
    address = f"{username}@example.gov.cn"
    with platform.db.transaction() as session:
        session.execute(update(User).where(User.username == username).values(email=address))
    return address


def inbox_kinds(platform: Platform, username: str) -> list[str]:
    _total, _unread, items = list_inbox(platform, actor=who(platform, username), limit=200)
    return [n.kind for n in items]


@pytest.mark.req("CAT-6", "PLT-5", "ACC-4")
def test_tick_flags_overdue_notifies_and_escalates_once(platform: Platform, actors: Actors) -> None:
    staff = who(platform, "staff_a")
    dataset = create_dataset(platform, actor=staff, data=DatasetIn.model_validate(dataset_document("ORGA")))
    received = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Mon 10:00 Shanghai → due Mon 03-09
    order = submit_open_list_change(
        platform, actor=staff, dataset_ref=dataset.code, change=ChangeKind.ADD, reason="新增", now=received
    )
    assert order.deadline.due_date.isoformat() == "2026-03-09"
    authority_mail = set_email(platform, "authority")
    set_email(platform, "center")
    mailer = OutboxMailer()

    before_due = tick(platform, datetime(2026, 3, 9, 12, 0, tzinfo=UTC), mailer=mailer)
    assert before_due["overdue"] == 0 and before_due["escalated"] == 0

    late = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    counts = tick(platform, late, mailer=mailer)
    assert counts["overdue"] == 1 and counts["escalated"] == 1
    shown = get_order(platform, actor=who(platform, "center"), order_id=order.id, now=late)
    assert shown.overdue and shown.overdue_working_days == 1 and shown.escalated
    assert shown.overdue_at == late
    assert [e.action for e in shown.history][-2:] == ["overdue", "escalate"]
    assert "workorder.overdue" in inbox_kinds(platform, "center")
    assert "workorder.escalated" in inbox_kinds(platform, "authority")
    assert any(m.to == authority_mail and "超期" in m.subject for m in mailer.sent)
    assert counts["mail.sent"] >= 2

    # Once: a second tick neither re-flags nor re-escalates nor re-sends.
    sent = len(mailer.sent)
    again = tick(platform, late + timedelta(days=1), mailer=mailer)
    assert again["overdue"] == 0 and again["escalated"] == 0 and len(mailer.sent) == sent
    with platform.db.reading() as session:
        actions = list(
            session.scalars(
                select(AuditRecord.action).where(AuditRecord.subject_id == order.id).order_by(AuditRecord.seq)
            )
        )
    assert actions == ["workorder.open", "workorder.overdue", "workorder.escalate"]

    total, items = list_orders(
        platform, actor=who(platform, "center"), scope="queue", overdue_only=True, now=late
    )
    assert total == 1 and items[0].overdue


@pytest.mark.req("CAT-8")
def test_overdue_updates_are_flagged_and_the_provider_told_once(platform: Platform, actors: Actors) -> None:
    staff = who(platform, "staff_a")
    monthly = create_dataset(platform, actor=staff, data=DatasetIn.model_validate(dataset_document("ORGA")))
    publish_dataset(platform, actor=SYSTEM, ref=monthly.code)
    fresh = get_dataset(platform, actor=staff, ref=monthly.code)
    assert fresh.update_due_date is not None and fresh.update_overdue is False
    with platform.db.transaction() as session:
        session.execute(
            update(Dataset)
            .where(Dataset.id == monthly.id)
            .values(published_at=datetime(2026, 1, 15, 2, 0, tzinfo=UTC))
        )
    stale = get_dataset(platform, actor=staff, ref=monthly.code)
    assert stale.update_due_date is not None and stale.update_due_date.isoformat() == "2026-02-15"
    assert stale.update_overdue is True

    counts = tick(platform, mailer=OutboxMailer())
    assert counts["catalog.update_overdue.overdue"] == 1
    assert counts["catalog.update_overdue.notified"] == 1
    assert inbox_kinds(platform, "staff_a").count("dataset.update_overdue") == 1
    assert tick(platform, mailer=OutboxMailer())["catalog.update_overdue.notified"] == 0


@pytest.mark.req("CAT-7")
def test_tick_opens_one_yearly_review_per_provider_list(platform: Platform, actors: Actors) -> None:
    staff_a, staff_b = who(platform, "staff_a"), who(platform, "staff_b")
    create_dataset(platform, actor=staff_a, data=DatasetIn.model_validate(dataset_document("ORGA")))
    create_dataset(platform, actor=staff_b, data=DatasetIn.model_validate(dataset_document("ORGB")))
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    counts = tick(platform, now, mailer=OutboxMailer())
    assert counts["catalog.yearly_review.opened"] == 2
    assert tick(platform, now + timedelta(days=1), mailer=OutboxMailer())["catalog.yearly_review.opened"] == 0
    total, items = list_orders(
        platform, actor=staff_a, scope="queue", type="open_list_yearly_review", now=now
    )
    assert total == 1 and items[0].title.startswith("2026年度开放清单评估")
    assert items[0].deadline.working_days == 20
    assert "workorder.opened" in inbox_kinds(platform, "staff_a")
    with pytest.raises(AppError):  # the review needs a written conclusion
        act_on_order(platform, actor=staff_a, order_id=items[0].id, action="complete", now=now)
    with pytest.raises(AppError):  # another provider's review is not theirs
        act_on_order(platform, actor=staff_b, order_id=items[0].id, action="complete", note="ok", now=now)
    done = act_on_order(
        platform,
        actor=staff_a,
        order_id=items[0].id,
        action="complete",
        note="清单已逐项评估，无需调整",
        now=now,
    )
    assert done.closed and done.state == "completed" and not done.overdue
    next_year = tick(platform, datetime(2027, 1, 4, 2, 0, tzinfo=UTC), mailer=OutboxMailer())
    assert next_year["catalog.yearly_review.opened"] == 2


@pytest.mark.req("PLT-5")
def test_tick_command_runs_once_from_the_cli(
    platform: Platform, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer
    from typer.testing import CliRunner

    from publicdata.config import get_settings
    from publicdata.workorders.cli import tick_command

    cli = typer.Typer()
    cli.command("tick")(tick_command)
    cli.command("noop")(lambda: None)  # more than one command: Typer keeps the "tick" name
    monkeypatch.setenv("PUBLICDATA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PUBLICDATA_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["tick", "--now", "2026-12-01T09:00:00+08:00"])
        assert result.exit_code == 0, result.output
        assert "overdue=0" in result.output
        naive = CliRunner().invoke(cli, ["tick", "--now", "2026-12-01T09:00:00"])
        assert naive.exit_code != 0
    finally:
        get_settings.cache_clear()


@pytest.mark.req("PLT-5")
def test_a_failing_duty_does_not_stop_the_others_and_failed_mail_is_retried(
    platform: Platform, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publicdata.notifications.mailer import MailMessage
    from publicdata.notifications.service import Message, deliver_outbox, notify_user
    from publicdata.notifications.tables import OutboundMail
    from publicdata.workorders import registry

    def broken(session: object, context: object) -> dict[str, int]:
        raise RuntimeError("boom")

    monkeypatch.setitem(registry._JOBS, "aa.broken", broken)
    counts = tick(platform, mailer=OutboxMailer())
    assert counts["aa.broken.failed"] == 1 and "catalog.yearly_review.opened" in counts

    address = set_email(platform, "staff_a")
    with platform.db.transaction() as session:
        notify_user(
            session, actors.user_ids["staff_a"], Message(kind="test.ping", title_zh="测试", title_en="test")
        )

    class Down:
        def send(self, message: MailMessage) -> None:
            raise ConnectionRefusedError("smtp down")

    assert deliver_outbox(platform, mailer=Down())["failed"] == 1
    recorder = OutboxMailer()
    assert deliver_outbox(platform, mailer=recorder)["sent"] == 1
    assert [m.to for m in recorder.sent] == [address]
    with platform.db.reading() as session:
        mail = session.scalars(select(OutboundMail)).one()
        assert (mail.status, mail.attempts) == ("sent", 2)
