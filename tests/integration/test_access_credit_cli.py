"""`publicdata access credit-import FILE.csv` (ACC-8): the center's credit list from a CSV, all rows or none;
resident IDs are kept only as identity's HMAC, so a listed person is matched."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from publicdata.access.credit import credit_hit
from publicdata.access.tables import CreditListEntry
from publicdata.cli import app as cli
from publicdata.config import Settings, get_settings
from publicdata.identity.tables import User
from publicdata.platform import Platform
from tests.helpers import make_actors, valid_credit_code, valid_resident_id


@pytest.mark.req("ACC-8")
def test_credit_import_from_the_cli(
    platform: Platform, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    actors = make_actors(platform)
    good = tmp_path / "list.csv"
    good.write_text(
        "identifier,identifier_kind,name,list_kind,source,listed_on\n"
        f"{valid_credit_code()},credit_code,某公司,abnormal_operation,市场监管局,2026-05-01\n"
        f"{valid_resident_id()},resident_id,张三,dishonest,人民法院,\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("identifier,identifier_kind\n91310115MA1FL3XK2X,credit_code\n", encoding="utf-8")
    monkeypatch.setenv("PUBLICDATA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PUBLICDATA_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv(
        "PUBLICDATA_SECRET_KEY",
        settings.secret_key.get_secret_value()
        if hasattr(settings.secret_key, "get_secret_value")
        else str(settings.secret_key),
    )
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["access", "credit-import", str(good)])
        assert result.exit_code == 0, result.output
        assert "added=2 updated=0" in result.output
        again = CliRunner().invoke(cli, ["access", "credit-import", str(good)])
        assert "added=0 updated=2" in again.output
        refused = CliRunner().invoke(cli, ["access", "credit-import", str(bad)])
        assert refused.exit_code == 1
    finally:
        get_settings.cache_clear()
    with platform.db.reading() as session:
        entries = list(session.scalars(select(CreditListEntry)))
        assert len(entries) == 2
        assert all(valid_resident_id() != e.identifier for e in entries)
        person = session.get(User, actors.user_ids["person_l1"])
        assert person is not None
        hit = credit_hit(session, person)
        assert hit is not None and hit.list_kind == "dishonest" and hit.name == "张三"
        other = session.get(User, actors.user_ids["person_l0"])
        assert other is not None and credit_hit(session, other) is None
