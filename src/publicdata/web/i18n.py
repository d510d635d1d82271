"""Portal language: Chinese by default (the message ids), English from a gettext catalog.

The English catalogs are read from `locale/en/LC_MESSAGES/*.po` at start-up (no compile step on a
fresh machine); dates and numbers are formatted with Babel for the page's locale.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from fastapi import Request

LOCALE_DIR = Path(__file__).parent / "locale"
BABEL_LOCALES = {"zh": "zh_Hans_CN", "en": "en_GB"}
SHANGHAI = ZoneInfo("Asia/Shanghai")
LANG_COOKIE = "lang"


@lru_cache(maxsize=4)
def translations(lang: str) -> Translations:
    """The catalog for a language; Chinese needs none (message ids are Chinese). Every `*.po` file of
    the language is read (`messages.po` plus one per domain's pages), so domains keep their own files."""
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    result = Translations()
    if lang == "zh" or not folder.is_dir():
        return result
    for po_path in sorted(folder.glob("*.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        for message in catalog:
            msgid, text = message.id, message.string
            if isinstance(msgid, str) and isinstance(text, str) and text and not message.fuzzy:
                result._catalog[msgid] = text
    return result


def page_language(request: Request) -> str:
    """Chinese unless the visitor switched (?lang=en, remembered in a cookie): the portal of a Chinese
    government speaks Chinese first, whatever language the browser happens to be set to."""
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return "en" if lang.lower().startswith("en") else "zh"


def gettext_for(lang: str) -> Callable[[str], str]:
    return translations(lang).gettext


class Formatter:
    """Locale-aware dates and numbers for templates."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = BABEL_LOCALES.get(lang, "zh_Hans_CN")

    def date(self, value: date | datetime | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, datetime):
            value = value.astimezone(SHANGHAI).date()
        return format_date(value, format="long" if self.lang == "zh" else "medium", locale=self.locale)

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return format_datetime(value.astimezone(SHANGHAI), format="medium", locale=self.locale)

    def number(self, value: int | float | None) -> str:
        if value is None:
            return "—"
        return format_decimal(value, locale=self.locale)

    def size(self, value: int | None) -> str:
        if value is None:
            return "—"
        units = ["B", "KB", "MB", "GB"]
        size = float(value)
        unit = units[0]
        for unit in units:
            if size < 1024 or unit == units[-1]:
                break
            size /= 1024
        return f"{format_decimal(round(size, 1), locale=self.locale)} {unit}"

    def label(self, pair: tuple[str, str] | None) -> str:
        """A (zh, en) label pair from the domain models."""
        if pair is None:
            return ""
        return pair[1] if self.lang == "en" else pair[0]
