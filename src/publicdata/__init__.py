"""publicdata: an open-source public data platform."""

__version__ = "0.1.0"
