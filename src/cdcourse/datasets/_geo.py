"""Fixed geography of the Republic of Lumeria: regions, districts, their polygons.

The map does not depend on the seed: lessons can draw it, and every generated world shares it.
Districts are the cells of an uneven 4 x 3 grid clipped to a convex country outline, so every
district is a convex polygon and point-in-polygon tests stay simple and fast.
"""
from __future__ import annotations

import numpy as np

#: Country outline, (lon, lat) vertices, counter-clockwise, convex.
COUNTRY = np.array(
    [
        (30.02, -1.90), (30.05, -2.60), (30.30, -3.50), (30.90, -3.90), (31.90, -3.95),
        (32.60, -3.55), (32.90, -2.70), (32.95, -1.80), (32.55, -1.20), (31.80, -1.02),
        (30.90, -1.05), (30.15, -1.35),
    ],
    dtype=float,
)

_LON_CUTS = (30.0, 30.8, 31.55, 32.3, 33.0)
_LAT_CUTS = (-4.0, -3.0, -2.0, -1.0)

REGIONS = {
    "R1": "Northern Highlands",
    "R2": "Coastal",
    "R3": "Central Plains",
    "R4": "Eastern Lakes",
}

# code: (name, region, grid column 0-3 west to east, grid row 0-2 south to north)
DISTRICTS = {
    "D01": ("Marelo", "R1", 0, 2),
    "D02": ("Tovessi", "R1", 1, 2),
    "D03": ("Quilbara", "R1", 2, 2),
    "D04": ("Nandevo", "R2", 0, 0),
    "D05": ("Sarivel", "R2", 1, 0),
    "D06": ("Obrenta", "R2", 2, 0),
    "D07": ("Kaluvio", "R3", 0, 1),
    "D08": ("Pemmaro", "R3", 1, 1),
    "D09": ("Fendisa", "R3", 2, 1),
    "D10": ("Lurrowe", "R4", 3, 2),
    "D11": ("Yusseta", "R4", 3, 1),
    "D12": ("Wenlaso", "R4", 3, 0),
}

#: The capital district, home of the informal settlement that official figures omit.
CAPITAL = "D08"

# Relative share of enumeration areas (and so people) per district, and the urban share of EAs.
DISTRICT_SHARE = {
    "D01": 0.07, "D02": 0.08, "D03": 0.07, "D04": 0.09, "D05": 0.08, "D06": 0.07,
    "D07": 0.08, "D08": 0.16, "D09": 0.08, "D10": 0.07, "D11": 0.08, "D12": 0.07,
}
URBAN_SHARE = {
    "D01": 0.25, "D02": 0.30, "D03": 0.20, "D04": 0.45, "D05": 0.35, "D06": 0.30,
    "D07": 0.30, "D08": 0.80, "D09": 0.30, "D10": 0.20, "D11": 0.25, "D12": 0.15,
}


def _clip(poly: np.ndarray, lo_lon: float, hi_lon: float, lo_lat: float, hi_lat: float) -> np.ndarray:
    """Sutherland-Hodgman clip of a convex polygon to an axis-aligned box."""
    pts = [tuple(p) for p in poly]
    edges = [(0, lo_lon, True), (0, hi_lon, False), (1, lo_lat, True), (1, hi_lat, False)]
    for axis, bound, keep_above in edges:
        out: list[tuple[float, float]] = []
        for i, cur in enumerate(pts):
            prev = pts[i - 1]
            cur_in = cur[axis] >= bound if keep_above else cur[axis] <= bound
            prev_in = prev[axis] >= bound if keep_above else prev[axis] <= bound
            if cur_in != prev_in:
                t = (bound - prev[axis]) / (cur[axis] - prev[axis])
                cross = (prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1]))
                out.append(cross)
            if cur_in:
                out.append(cur)
        pts = out
    return np.round(np.array(pts, dtype=float), 6)


def district_polygons() -> dict[str, np.ndarray]:
    """District code -> convex polygon as an (n, 2) array of (lon, lat)."""
    polys = {}
    for code, (_, _, col, row) in DISTRICTS.items():
        polys[code] = _clip(
            COUNTRY, _LON_CUTS[col], _LON_CUTS[col + 1], _LAT_CUTS[row], _LAT_CUTS[row + 1]
        )
    return polys


def points_in_polygon(lon: np.ndarray, lat: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Boolean mask: which points lie inside ``poly`` (even-odd ray casting, vectorised)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    inside = np.zeros(lon.shape, dtype=bool)
    x0, y0 = poly[-1]
    for x1, y1 in poly:
        crosses = (y1 > lat) != (y0 > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = (x0 - x1) * (lat - y1) / (y0 - y1) + x1
        inside ^= crosses & (lon < x_at)
        x0, y0 = x1, y1
    return inside


def random_points_in(poly: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points inside ``poly`` (rejection sampling from its bounding box)."""
    lo = poly.min(axis=0)
    hi = poly.max(axis=0)
    out = np.empty((0, 2))
    while len(out) < n:
        cand = rng.uniform(lo, hi, size=(max(2 * (n - len(out)), 16), 2))
        cand = cand[points_in_polygon(cand[:, 0], cand[:, 1], poly)]
        out = np.vstack([out, cand])
    return out[:n]


def scatter_inside(
    centre_lon: np.ndarray, centre_lat: np.ndarray, spread: np.ndarray | float,
    poly_index: np.ndarray, polys: list[np.ndarray], rng: np.random.Generator, max_tries: int = 30,
) -> tuple[np.ndarray, np.ndarray]:
    """Points scattered (normal, sd ``spread`` degrees) around centres, each kept in its polygon.

    Point i must fall inside ``polys[poly_index[i]]``; points that fall outside are redrawn, and
    after ``max_tries`` the centre itself (which is inside) is used.
    """
    centre_lon = np.asarray(centre_lon, dtype=float)
    centre_lat = np.asarray(centre_lat, dtype=float)
    n = len(centre_lon)
    spread = np.broadcast_to(np.asarray(spread, dtype=float), (n,))
    lon = centre_lon.copy()
    lat = centre_lat.copy()
    todo = np.arange(n)
    for _ in range(max_tries):
        if len(todo) == 0:
            break
        cand_lon = centre_lon[todo] + rng.normal(0, 1, len(todo)) * spread[todo]
        cand_lat = centre_lat[todo] + rng.normal(0, 1, len(todo)) * spread[todo]
        ok = np.zeros(len(todo), dtype=bool)
        idx = poly_index[todo]
        for k, poly in enumerate(polys):
            sel = idx == k
            if sel.any():
                ok[sel] = points_in_polygon(cand_lon[sel], cand_lat[sel], poly)
        lon[todo[ok]] = cand_lon[ok]
        lat[todo[ok]] = cand_lat[ok]
        todo = todo[~ok]
    return lon, lat
