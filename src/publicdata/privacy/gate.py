"""Registers the privacy publication gate (to be filled)."""
