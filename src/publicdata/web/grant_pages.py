"""Portal pages of grants, usage reports, violations and misuse reports (to be filled)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
