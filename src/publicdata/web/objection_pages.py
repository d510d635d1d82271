"""Portal pages and dataset-page panel of this domain (to be filled)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
