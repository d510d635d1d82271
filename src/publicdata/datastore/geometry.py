"""GeoJSON geometry ↔ WKT, in plain Python (geometry columns are stored as WKT text)."""

from __future__ import annotations

import json
import re
from typing import Any


def _num(value: float) -> str:
    return repr(float(value)).removesuffix(".0") if float(value).is_integer() else repr(float(value))


def _pos(p: list[float]) -> str:
    return " ".join(_num(c) for c in p)


def _ring(coords: list[list[float]]) -> str:
    return "(" + ", ".join(_pos(p) for p in coords) + ")"


def _poly(rings: list[list[list[float]]]) -> str:
    return "(" + ", ".join(_ring(r) for r in rings) + ")"


def geojson_to_wkt(geometry: dict[str, Any] | str | None) -> str | None:
    if geometry is None:
        return None
    if isinstance(geometry, str):
        if geometry in ("", "null"):
            return None
        geometry = json.loads(geometry)
    if not isinstance(geometry, dict):
        raise ValueError("a geometry is a JSON object")
    kind = geometry.get("type")
    c: Any = geometry.get("coordinates")
    if kind == "Point":
        return f"POINT ({_pos(c)})"
    if kind == "LineString":
        return "LINESTRING " + _ring(c)
    if kind == "Polygon":
        return "POLYGON " + _poly(c)
    if kind == "MultiPoint":
        return "MULTIPOINT (" + ", ".join("(" + _pos(p) + ")" for p in c) + ")"
    if kind == "MultiLineString":
        return "MULTILINESTRING " + _poly(c)
    if kind == "MultiPolygon":
        return "MULTIPOLYGON (" + ", ".join(_poly(p) for p in c) + ")"
    if kind == "GeometryCollection":
        parts = [geojson_to_wkt(g) for g in geometry.get("geometries", [])]
        return "GEOMETRYCOLLECTION (" + ", ".join(p for p in parts if p) + ")"
    raise ValueError(f"unknown geometry type {kind!r}")


_TOKEN = re.compile(r"\s*([A-Za-z]+|\(|\)|,|[-+0-9.eE]+)")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"not WKT near {text[pos : pos + 20]!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.t = _tokens(text)
        self.i = 0

    def next(self) -> str:
        tok = self.t[self.i]
        self.i += 1
        return tok

    def peek(self) -> str:
        return self.t[self.i] if self.i < len(self.t) else ""

    def expect(self, tok: str) -> None:
        if self.next() != tok:
            raise ValueError(f"expected {tok!r}")

    def point(self) -> list[float]:
        coords = []
        while self.peek() not in (",", ")"):
            coords.append(float(self.next()))
        return coords

    def seq(self, item: Any) -> list[Any]:
        self.expect("(")
        items = [item()]
        while self.peek() == ",":
            self.next()
            items.append(item())
        self.expect(")")
        return items

    def geometry(self) -> dict[str, Any]:
        kind = self.next().upper()
        if self.peek().upper() == "EMPTY":
            self.next()
            return {"type": _NAMES[kind], "coordinates": []}
        line = lambda: self.seq(self.point)  # noqa: E731
        if kind == "POINT":
            self.expect("(")
            p = self.point()
            self.expect(")")
            return {"type": "Point", "coordinates": p}
        if kind == "LINESTRING":
            return {"type": "LineString", "coordinates": line()}
        if kind == "POLYGON":
            return {"type": "Polygon", "coordinates": self.seq(line)}
        if kind == "MULTIPOINT":

            def member() -> list[float]:
                if self.peek() == "(":
                    self.next()
                    p = self.point()
                    self.expect(")")
                    return p
                return self.point()

            return {"type": "MultiPoint", "coordinates": self.seq(member)}
        if kind == "MULTILINESTRING":
            return {"type": "MultiLineString", "coordinates": self.seq(line)}
        if kind == "MULTIPOLYGON":
            return {"type": "MultiPolygon", "coordinates": self.seq(lambda: self.seq(line))}
        if kind == "GEOMETRYCOLLECTION":
            return {"type": "GeometryCollection", "geometries": self.seq(self.geometry)}
        raise ValueError(f"unknown WKT type {kind!r}")


_NAMES = {
    "POINT": "Point",
    "LINESTRING": "LineString",
    "POLYGON": "Polygon",
    "MULTIPOINT": "MultiPoint",
    "MULTILINESTRING": "MultiLineString",
    "MULTIPOLYGON": "MultiPolygon",
    "GEOMETRYCOLLECTION": "GeometryCollection",
}


def wkt_to_geojson(text: str | None) -> dict[str, Any] | None:
    if text is None or not text.strip():
        return None
    return _Parser(text).geometry()
