"""The portal's language layer (PLT-9): every message in the templates has an English translation in
the gettext catalog, dates and numbers follow the locale, and highlighting never lets markup through."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from publicdata.web import i18n
from publicdata.web.content import render_markdown
from publicdata.web.render import highlight

WEB = Path(i18n.__file__).parent


def message_ids() -> set[str]:
    found: set[str] = set()
    sources = [*WEB.glob("templates/**/*.html"), *WEB.glob("*.py")]
    for source in sources:
        found |= {m.group(2) for m in re.finditer(r"""_\((["'])(.+?)\1\)""", source.read_text("utf-8"))}
    return found


@pytest.mark.req("PLT-9")
def test_every_message_has_an_english_translation() -> None:
    ids = message_ids()
    assert len(ids) > 150
    english = i18n.gettext_for("en")
    untranslated = sorted(i for i in ids if english(i) == i)
    assert untranslated == []
    assert i18n.gettext_for("zh")("数据目录") == "数据目录"
    assert english("数据目录") == "Datasets"


@pytest.mark.req("PLT-9")
def test_dates_and_numbers_follow_the_locale() -> None:
    zh, en = i18n.Formatter("zh"), i18n.Formatter("en")
    assert zh.date(date(2026, 11, 23)) == "2026年11月23日"
    assert en.date(date(2026, 11, 23)) == "23 Nov 2026"
    # Datetimes are shown in Shanghai time: 20:00 UTC is the next day there.
    assert zh.date(datetime(2026, 11, 23, 20, 0, tzinfo=UTC)) == "2026年11月24日"
    assert zh.number(1234567) == "1,234,567" and en.number(1234567) == "1,234,567"
    assert en.size(2048) == "2 KB" and zh.date(None) == "—"
    assert en.label(("道路交通", "Roads & transport")) == "Roads & transport"


def test_highlight_and_markdown_escape_markup() -> None:
    marked = str(highlight("<b>公交</b>站点", "公交 <b>"))
    assert "<b>" not in marked and "<mark>公交</mark>" in marked
    html = str(render_markdown("**粗体** <img src=x onerror=alert(1)>"))
    assert "<strong>粗体</strong>" in html and "<img" not in html
