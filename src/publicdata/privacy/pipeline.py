"""Registers the privacy steps of version making (to be filled)."""
