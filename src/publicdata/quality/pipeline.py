"""Registers the quality steps of version making (to be filled)."""
