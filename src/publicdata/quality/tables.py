"""Tables of this domain (to be filled)."""

from __future__ import annotations

from publicdata.db import Base

__all__ = ["Base"]
