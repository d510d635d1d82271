"""Reference data shipped with the platform (administrative divisions)."""

from publicdata.reference.divisions import (
    SHANGHAI_AREA_CODE,
    Division,
    division,
    full_name,
    is_known_code,
    is_known_county_code,
    shanghai_districts,
)

__all__ = [
    "SHANGHAI_AREA_CODE",
    "Division",
    "division",
    "full_name",
    "is_known_code",
    "is_known_county_code",
    "shanghai_districts",
]
