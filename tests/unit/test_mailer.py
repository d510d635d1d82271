"""The mail edge: configured from settings; without SMTP nothing is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from publicdata.config import Settings
from publicdata.notifications.mailer import SkippingMailer, SmtpMailer, mailer_from_settings


@pytest.mark.req("PLT-5")
def test_mailer_from_settings(tmp_path: Path) -> None:
    assert isinstance(mailer_from_settings(Settings(var_dir=tmp_path)), SkippingMailer)
    smtp = mailer_from_settings(
        Settings(
            var_dir=tmp_path,
            smtp_host="smtp.example.gov.cn",
            smtp_port=465,
            smtp_username="notify",
            smtp_password="secret",  # type: ignore[arg-type]
            mail_from="data@example.gov.cn",
        )
    )
    assert isinstance(smtp, SmtpMailer)
    assert (smtp.host, smtp.port, smtp.username, smtp.password, smtp.sender) == (
        "smtp.example.gov.cn",
        465,
        "notify",
        "secret",
        "data@example.gov.cn",
    )
