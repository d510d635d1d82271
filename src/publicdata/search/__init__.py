"""Chinese full-text search over the catalog (jieba + SQLite FTS5 / PostgreSQL full text)."""
