"""Shared test configuration. Fixtures for databases live in tests/fixtures.py."""
