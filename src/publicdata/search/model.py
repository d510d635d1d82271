"""Search rules in plain Python: Chinese analysis with jieba, query parsing, match expressions.

How text becomes index terms (the same on SQLite and PostgreSQL):

- `words(text)`: jieba's search-mode segmentation (a custom dictionary adds the domain taxonomy and
  provider names), lower-cased; Latin letters and digits become their own terms ("PM2.5" → "pm2.5",
  "SH-JTW-001" → "sh", "jtw", "001").
- `grams(text)`: for every run of Chinese characters, its character bigrams in order followed by the
  run's last character. A phrase of consecutive bigrams matches exactly the texts that contain the
  query run as a substring, whatever jieba made of either side; the trailing single character lets a
  one-character query match at the end of a run, and also breaks false adjacency between runs.

Terms are joined with spaces and stored pre-segmented; the database tokenizer only splits on spaces
(SQLite FTS5 `unicode61` with '.' as a token character; PostgreSQL `to_tsvector('simple', …)`).

A query is split on whitespace; every part must match (AND). A Chinese run matches as an exact
substring (bigram phrase) OR as all of its jieba words (each as a word term or a substring); a Latin
or digit term matches as a prefix ("pm2" finds "pm2.5", "123" finds "12345").
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import jieba

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PIECE = re.compile(rf"[{CJK}]+|[0-9a-z]+(?:\.[0-9a-z]+)*")
_CJK_RUN = re.compile(rf"[{CJK}]+")
STOPWORDS = frozenset(["的", "和", "与", "及", "或", "等", "之", "在", "了", "是", "对", "为", "其"])

_lock = threading.Lock()
_tokenizer = jieba.Tokenizer()
_tokenizer_words: set[str] = set()
jieba.setLogLevel(60)


def add_words(words: Iterable[str]) -> None:
    """Teach the segmenter domain words (taxonomy labels, provider names); idempotent."""
    with _lock:
        for word in words:
            word = word.strip()
            if len(word) >= 2 and word not in _tokenizer_words:
                _tokenizer.add_word(word, freq=50_000)
                _tokenizer_words.add(word)


def _cut(text: str, *, for_search: bool) -> list[str]:
    with _lock:
        if for_search:
            return list(_tokenizer.cut_for_search(text))
        return list(_tokenizer.cut(text))


def normalize(text: str) -> str:
    return text.lower().replace("\u3000", " ")


def _pieces(segment: str) -> list[str]:
    return _PIECE.findall(normalize(segment))


def words(text: str) -> list[str]:
    """jieba words (search mode) and Latin/digit terms of `text`, in order."""
    out: list[str] = []
    for segment in _cut(normalize(text), for_search=True):
        out.extend(_pieces(segment))
    return out


def grams(text: str) -> list[str]:
    """Character bigrams of each Chinese run, then the run's last character."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
        out.append(run[-1])
    return out


def analyze(*texts: str) -> str:
    """The index text of some fields: words then grams of each field, space-joined."""
    terms: list[str] = []
    for text in texts:
        if text:
            terms.extend(words(text))
            terms.extend(grams(normalize(text)))
    return " ".join(terms)


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A Chinese run of a query part: matched as a substring, or as all its jieba words, or as all
    its two-character chunks ("公交站点" → 公交, 站点), each word anywhere in the document."""

    text: str
    words: tuple[str, ...]
    chunks: tuple[str, ...] = ()

    @property
    def bigrams(self) -> tuple[str, ...]:
        return tuple(self.text[i : i + 2] for i in range(len(self.text) - 1))


@dataclass(frozen=True)
class Query:
    """A parsed query: every run and every Latin/digit prefix must match."""

    runs: tuple[Run, ...] = ()
    prefixes: tuple[str, ...] = ()
    raw: str = ""
    marks: tuple[str, ...] = field(default=(), compare=False)

    @property
    def empty(self) -> bool:
        return not self.runs and not self.prefixes


def parse_query(text: str) -> Query:
    runs: list[Run] = []
    prefixes: list[str] = []
    for piece in _pieces(text):
        if _CJK_RUN.fullmatch(piece):
            run_words = tuple(w for w in _cut(piece, for_search=False) if w not in STOPWORDS and w != piece)
            chunks = tuple(piece[i : i + 2] for i in range(0, len(piece), 2)) if len(piece) > 3 else ()
            runs.append(Run(piece, run_words, chunks if chunks != run_words else ()))
        elif piece not in prefixes:
            prefixes.append(piece)
    marks = {r.text for r in runs} | set(prefixes)
    marks |= {w for r in runs for w in (*r.words, *r.chunks) if len(w) >= 2}
    return Query(tuple(runs), tuple(prefixes), text, tuple(sorted(marks, key=len, reverse=True)))


def _fts_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _fts_substring(text: str) -> str:
    if len(text) == 1:
        return _fts_quote(text) + "*"
    return _fts_quote(" ".join(text[i : i + 2] for i in range(len(text) - 1)))


def _fts_word(word: str) -> str:
    """A query word: the word itself (a jieba term) or, if longer than a bigram, as a substring."""
    if len(word) <= 2:
        return _fts_substring(word)
    return f"({_fts_quote(word)} OR {_fts_substring(word)})"


def fts5_match(query: Query) -> str:
    """The FTS5 MATCH expression of a query (terms are pre-normalized, so quoting is enough)."""
    parts: list[str] = []
    for run in query.runs:
        exact = _fts_substring(run.text)
        if len(run.words) > 1:
            each = " AND ".join(_fts_word(w) for w in run.words)
            exact = f"{exact} OR ({each})"
        if run.chunks:
            exact += " OR (" + " AND ".join(_fts_substring(c) for c in run.chunks) + ")"
        parts.append(f"({exact})")
    parts.extend(_fts_quote(p) + "*" for p in query.prefixes)
    return " AND ".join(parts)


def _ts_quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts_substring(text: str) -> str:
    if len(text) == 1:
        return _ts_quote(text) + ":*"
    bigrams = [text[i : i + 2] for i in range(len(text) - 1)]
    return "(" + " <-> ".join(_ts_quote(b) for b in bigrams) + ")"


def _ts_word(word: str) -> str:
    if len(word) <= 2:
        return _ts_substring(word)
    return f"({_ts_quote(word)} | {_ts_substring(word)})"


def tsquery(query: Query) -> str:
    """The PostgreSQL tsquery text (literal lexemes, no parser) of a query: same logic as FTS5."""
    parts: list[str] = []
    for run in query.runs:
        exact = _ts_substring(run.text)
        if len(run.words) > 1:
            each = " & ".join(_ts_word(w) for w in run.words)
            exact = f"{exact} | ({each})"
        if run.chunks:
            exact += " | (" + " & ".join(_ts_substring(c) for c in run.chunks) + ")"
        parts.append(f"({exact})")
    parts.extend(_ts_quote(p) + ":*" for p in query.prefixes)
    return " & ".join(parts)


# ---------------------------------------------------------------------------------------------
# Highlighting
# ---------------------------------------------------------------------------------------------


def highlight(text: str, query: Query, *, width: int | None = None) -> str:
    """HTML-escaped `text` with query matches wrapped in <mark>; with `width`, a snippet around
    the first match (ellipses mark cut ends)."""
    if not query.marks:
        return html.escape(text[:width] if width else text)
    pattern = re.compile("|".join(re.escape(m) for m in query.marks), re.IGNORECASE)
    if width and len(text) > width:
        first = pattern.search(text)
        start = max((first.start() if first else 0) - width // 4, 0)
        end = min(start + width, len(text))
        start = max(min(start, end - width), 0)
        text = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    out: list[str] = []
    position = 0
    for found in pattern.finditer(text):
        out.append(html.escape(text[position : found.start()]))
        out.append(f"<mark>{html.escape(found.group())}</mark>")
        position = found.end()
    out.append(html.escape(text[position:]))
    return "".join(out)
