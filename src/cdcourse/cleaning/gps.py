"""GPS checks: points outside the country, and latitude/longitude typed the wrong way round."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.path import Path as _Path

from cdcourse._validate import require_columns
from cdcourse.cleaning._log import cleaning_step
from cdcourse.errors import CdcourseError

#: the values of the column written by :func:`flag_gps`
GPS_STATUS = ("ok", "missing", "swapped", "outside")


def _polygon(boundary) -> np.ndarray:
    if boundary is None:
        from cdcourse.datasets import boundary as country_boundary

        boundary = country_boundary()
    poly = np.asarray(boundary, dtype=float)
    if poly.ndim != 2 or poly.shape[1] != 2 or len(poly) < 3 or not np.isfinite(poly).all():
        raise CdcourseError(
            f"boundary must be at least 3 (lon, lat) vertices as an (n, 2) array; got shape {poly.shape}"
        )
    return poly


def inside(lon: Sequence[float], lat: Sequence[float], boundary=None) -> np.ndarray:
    """True for each point (lon, lat) inside the polygon (default: the country boundary).

    Vectorised with matplotlib's point-in-polygon test; missing coordinates are never inside.

    >>> square = [(30, -4), (33, -4), (33, -1), (30, -1)]
    >>> inside([31.0, 34.0, np.nan], [-2.0, -2.0, -2.0], square).tolist()
    [True, False, False]
    """
    poly = _polygon(boundary)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    out = np.zeros(len(lon), dtype=bool)
    if ok.any():
        out[ok] = _Path(poly).contains_points(np.column_stack([lon[ok], lat[ok]]))
    return out


def gps_status(data: pd.DataFrame, lat: str = "lat", lon: str = "lon", boundary=None) -> pd.Series:
    """Per record: "ok" (inside), "missing", "swapped" (inside once lat and lon are exchanged) or "outside".

    >>> square = [(30, -4), (33, -4), (33, -1), (30, -1)]
    >>> df = pd.DataFrame({"lat": [-2.0, 31.0, -2.0, None], "lon": [31.0, -2.0, 35.0, 31.0]})
    >>> gps_status(df, boundary=square).tolist()
    ['ok', 'swapped', 'outside', 'missing']
    """
    require_columns(data, [lat, lon], "lat/lon")
    la = data[lat].to_numpy(dtype=float, na_value=np.nan)
    lo = data[lon].to_numpy(dtype=float, na_value=np.nan)
    poly = _polygon(boundary)
    ok = inside(lo, la, poly)
    swapped = ~ok & inside(la, lo, poly)
    missing = ~(np.isfinite(la) & np.isfinite(lo))
    status = np.where(ok, "ok", np.where(missing, "missing", np.where(swapped, "swapped", "outside")))
    return pd.Series(status, index=data.index, name="gps_status", dtype=object)


@cleaning_step
def flag_gps(data: pd.DataFrame, lat: str = "lat", lon: str = "lon", *, boundary=None, flag: str = "gps_status"):
    """Add a column saying whether each GPS point is ok, missing, swapped or outside the country.

    Parameters
    ----------
    data : the records; not modified.
    lat, lon : coordinate columns in decimal degrees.
    boundary : the polygon as (lon, lat) vertices; default the country boundary of the synthetic
        world (``cdcourse.datasets.boundary()``).
    flag : name of the new column.

    Examples
    --------
    >>> square = [(30, -4), (33, -4), (33, -1), (30, -1)]
    >>> df = pd.DataFrame({"lat": [-2.0, 31.0, -2.0], "lon": [31.0, -2.0, 35.0]})
    >>> flag_gps(df, boundary=square).step.details
      gps_status  records
    0         ok        1
    1    outside        1
    2    swapped        1
    """
    status = gps_status(data, lat, lon, boundary)
    out = data.copy()
    out[flag] = status.to_numpy()
    counts = status.value_counts().sort_index()
    details = pd.DataFrame({"gps_status": counts.index, "records": counts.to_numpy()})
    bad = int((status != "ok").sum())
    summary = "GPS: " + ", ".join(f"{n} {s}" for s, n in counts.items())
    return out, details, summary, bad, 0


@cleaning_step
def fix_swapped_gps(data: pd.DataFrame, lat: str = "lat", lon: str = "lon", *, boundary=None):
    """Exchange latitude and longitude where only the exchanged point lies inside the country.

    Points outside either way are left as they are (flag them with :func:`flag_gps`): moving a
    point on a guess would invent a location.

    Examples
    --------
    >>> square = [(30, -4), (33, -4), (33, -1), (30, -1)]
    >>> df = pd.DataFrame({"lat": [-2.0, 31.0], "lon": [31.0, -2.0]})
    >>> fix_swapped_gps(df, boundary=square).data.values.tolist()
    [[-2.0, 31.0], [-2.0, 31.0]]
    """
    status = gps_status(data, lat, lon, boundary)
    swap = (status == "swapped").to_numpy()
    out = data.copy()
    if swap.any():
        la, lo = data[lat].copy(), data[lon].copy()
        la[swap], lo[swap] = data[lon][swap].to_numpy(), data[lat][swap].to_numpy()
        out[lat], out[lon] = la, lo
    n = int(swap.sum())
    details = pd.DataFrame({"row": data.index[swap]})
    return out, details, f"exchanged latitude and longitude of {n} points", n, 2 * n
