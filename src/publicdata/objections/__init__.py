"""Objections to errors and omissions (QUA-3) and rights complaints (QUA-4)."""
