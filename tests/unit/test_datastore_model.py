"""Pure data-store rules: query language, cursors, export hygiene, rate limits, geometry, SQL guard."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from publicdata.datastore import access
from publicdata.datastore.geometry import geojson_to_wkt, wkt_to_geojson
from publicdata.datastore.model import (
    Column,
    ColumnType,
    HeaderProblem,
    QueryProblem,
    SortKey,
    TokenBucket,
    check_header,
    content_disposition,
    decode_cursor,
    encode_cursor,
    neutralize_formula,
    parse_records_query,
)
from publicdata.datastore.sqlguard import SqlRefused, check_sql
from publicdata.identity.model import Role
from publicdata.identity.permissions import ANONYMOUS, SYSTEM, Principal

COLUMNS = [
    Column("name", ColumnType.TEXT, "VARCHAR"),
    Column("n", ColumnType.INTEGER, "BIGINT"),
    Column("day", ColumnType.DATE, "DATE"),
    Column("limit", ColumnType.TEXT, "VARCHAR"),
]


def test_query_language() -> None:
    q = parse_records_query(
        [
            ("name", "甲"),
            ("name", "乙"),
            ("n__gte", "3"),
            ("n__in", "1,2"),
            ("day__lt", "2024-01-02"),
            ("filter.limit", "x"),
            ("sort", "-n,name"),
            ("fields", "name"),
            ("limit", "5"),
        ],
        COLUMNS,
        max_limit=10,
    )
    conditions = {(c.column, c.op): c.values for c in q.conditions}
    assert conditions == {
        ("name", "eq"): ("甲", "乙"),
        ("n", "gte"): (3,),
        ("n", "eq"): (1, 2),
        ("day", "lt"): (date(2024, 1, 2),),
        ("limit", "eq"): ("x",),
    }
    assert q.sort == (SortKey("n", True), SortKey("name")) and q.fields == ("name",) and q.limit == 5


@pytest.mark.parametrize(
    "params", [[("x", "1")], [("n", "abc")], [("limit", "11")], [("sort", "zz")], [("offset", "-1")]]
)
def test_query_language_refusals(params: list[tuple[str, str]]) -> None:
    with pytest.raises(QueryProblem):
        parse_records_query(params, COLUMNS, max_limit=10)


def test_cursor_round_trip_and_tamper() -> None:
    sort = (SortKey("day", True), SortKey("name"))
    token = encode_cursor([date(2024, 1, 2), None], 41, sort)
    by_name = {c.name: c for c in COLUMNS}
    cursor = decode_cursor(token, sort, by_name)
    assert cursor.values == (date(2024, 1, 2), None) and cursor.row == 41
    with pytest.raises(QueryProblem):
        decode_cursor(token, (SortKey("n"),), by_name)


def test_header_checks_name_the_column() -> None:
    with pytest.raises(HeaderProblem) as dup:
        check_header(["a", "B", "b"])
    assert dup.value.code == "duplicate_column_name" and dup.value.column == 3
    with pytest.raises(HeaderProblem) as empty:
        check_header(["a", " "])
    assert empty.value.column == 2


def test_formula_neutralization_and_file_names() -> None:
    assert [neutralize_formula(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "ok", 5)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "ok",
        5,
    ]
    header = content_disposition("公交站点.csv")
    assert (
        header
        == "attachment; filename=\"____.csv\"; filename*=UTF-8''%E5%85%AC%E4%BA%A4%E7%AB%99%E7%82%B9.csv"
    )


def test_token_bucket_refills_and_says_how_long_to_wait() -> None:
    now = [0.0]
    bucket = TokenBucket(per_minute=2, clock=lambda: now[0])
    assert [bucket.take("a"), bucket.take("a")] == [0, 0]
    assert bucket.take("a") == 30
    assert bucket.take("b") == 0
    now[0] = 30.0
    assert bucket.take("a") == 0


def test_geometry_round_trip() -> None:
    for geometry in (
        {"type": "Point", "coordinates": [121.47, 31.23]},
        {"type": "MultiPolygon", "coordinates": [[[[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]]]]},
        {"type": "MultiPoint", "coordinates": [[1.0, 2.0], [3.0, 4.0]]},
    ):
        assert wkt_to_geojson(geojson_to_wkt(geometry)) == geometry


@pytest.mark.req("ACC-1")
def test_read_rule() -> None:
    def ds(open_class: str, state: str = "published") -> access.ReadableDataset:
        return access.ReadableDataset("d1", "SH-1", "orga", open_class, state)

    staff = Principal(user_id="u1", roles=frozenset({(Role.PROVIDER_STAFF, "orga")}))
    center = Principal(user_id="u2", roles=frozenset({(Role.CENTER, "c")}))
    person = Principal(user_id="u3")
    assert access.can_read(ANONYMOUS, ds("unconditional"))
    assert access.can_read(ANONYMOUS, ds("unconditional", "static"))
    assert not access.can_read(ANONYMOUS, ds("unconditional", "draft"))
    assert access.can_read(ANONYMOUS, ds("conditional")).needs_sign_in
    assert not access.can_read(person, ds("conditional"))
    assert not access.can_read(center, ds("not_open"))
    assert access.can_read(center, ds("not_open", "in_review"))
    assert access.can_read(staff, ds("not_open")) and access.can_read(SYSTEM, ds("not_open"))
    assert not access.can_read(person, ds("unconditional", "suspended"))


def test_sql_guard_rewrites_dataset_names_and_refuses_the_rest() -> None:
    checked = check_sql('SELECT "SH-A-1".x, count(*) FROM "SH-A-1" WHERE x LIKE \'%甲%\' GROUP BY 1')
    assert checked.tables == ("sh_a_1",)
    assert '"sh_a_1" AS "SH-A-1"' in checked.sql
    for sql in ("SELECT * FROM read_parquet('x')", "SELECT getenv('x')", "PRAGMA x", "SELECT 1; SELECT 2"):
        with pytest.raises(SqlRefused):
            check_sql(sql)


@pytest.mark.req("PLT-12")
def test_an_empty_data_dir_setting_means_the_default_folder(tmp_path: Path) -> None:
    from publicdata.config import Settings

    settings = Settings(var_dir=tmp_path, data_dir="")  # type: ignore[arg-type]
    assert settings.resolved_data_dir == (tmp_path / "data").resolve()
