"""Pure search rules: analysis (jieba words + bigrams), query parsing, match expressions, highlights."""

from __future__ import annotations

import pytest

from publicdata.search import model


@pytest.mark.req("PLT-3")
def test_analysis_keeps_words_bigrams_and_latin_terms() -> None:
    terms = model.analyze("上海市公交线路站点信息 PM2.5 SH-JTW-0001").split()
    assert {"公交", "站点", "线路"} <= set(terms)  # jieba words
    assert {"公交", "交线", "线路", "路站", "站点", "息"} <= set(terms)  # bigrams + last character
    assert {"pm2.5", "sh", "jtw", "0001"} <= set(terms)
    assert all(t == t.lower() and " " not in t for t in terms)


@pytest.mark.req("PLT-3")
def test_custom_dictionary_keeps_provider_names_whole() -> None:
    model.add_words(["浦东新区科技和经济委员会"])
    assert "浦东新区科技和经济委员会" in model.words("浦东新区科技和经济委员会发布")


@pytest.mark.req("PLT-3")
def test_query_parts_become_substring_or_word_matches() -> None:
    query = model.parse_query("公交站点  PM2.5 水")
    assert [r.text for r in query.runs] == ["公交站点", "水"]
    assert query.prefixes == ("pm2.5",)
    match = model.fts5_match(query)
    assert '"公交 交站 站点"' in match  # exact substring as a bigram phrase
    assert '("公交" AND "站点")' in match  # or its two-character words anywhere
    assert '"水"*' in match and '"pm2.5"*' in match
    ts = model.tsquery(query)
    assert "'公交' <-> '交站' <-> '站点'" in ts and "'pm2.5':*" in ts and "'水':*" in ts


@pytest.mark.req("PLT-3")
def test_queries_are_safe_against_syntax() -> None:
    query = model.parse_query('"公交" OR (站点) NEAR* \' ; --')
    assert model.fts5_match(query) == model.fts5_match(model.parse_query("公交 or 站点 near"))
    assert model.parse_query("，。！").empty


@pytest.mark.req("PLT-3")
def test_highlight_escapes_and_marks() -> None:
    query = model.parse_query("空气质量 aqi")
    marked = model.highlight("<b>空气质量</b>指数AQI", query)
    assert marked == "&lt;b&gt;<mark>空气质量</mark>&lt;/b&gt;指数<mark>AQI</mark>"
    long = "甲" * 200 + "空气质量" + "乙" * 200
    snippet = model.highlight(long, query, width=60)
    assert snippet.startswith("…") and snippet.endswith("…") and "<mark>空气质量</mark>" in snippet
