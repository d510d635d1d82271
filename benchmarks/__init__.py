"""Benchmarks of the data store against its peers (issue 4): ``./dev bench`` = ``python -m benchmarks``.

P1 ingest, P2 query API under load, P4 downloads; the peers (DuckDB raw, sqlite-utils + Datasette,
PostgreSQL ``COPY``) run side by side on the same generated file. These are measurements, not tests:
the suite only checks the data generator and the report writer (tests/unit/test_benchmarks_support.py).
"""
