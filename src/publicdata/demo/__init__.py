"""Demo content: real Shanghai organizations, open-list datasets and deterministic sample rows.

``organizations.ORGANIZATIONS`` and ``datasets.DATASETS`` are plain specifications (no database);
``tables.generate_rows`` produces the rows of one dataset, seeded from its code, so every load of the
demo shows the same data.
"""
