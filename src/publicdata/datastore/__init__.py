"""The data store: ingest (DuckDB → Parquet versions), records query, SQL, downloads (issue 4)."""
