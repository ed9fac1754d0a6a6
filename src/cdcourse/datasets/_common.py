"""Small helpers shared by the generator modules."""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd


def component_rng(seed: int, component: str) -> np.random.Generator:
    """An independent random stream per part of the world.

    Each part (population, survey, map, ...) draws from its own stream, so changing how one part is
    generated does not shift the random numbers of the others.
    """
    return np.random.default_rng([int(seed), zlib.crc32(component.encode())])


def ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded identifiers, e.g. ``ids("P", [1, 2], 7)`` -> ["P0000001", "P0000002"]."""
    numbers = np.asarray(numbers)
    width = max(width, len(str(int(numbers.max()))) if len(numbers) else width)
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width)).astype(object)


def categorical(codes: np.ndarray, categories) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(categories))


def draw_categories(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One category index per row of ``probs`` (rows sum to 1), vectorised."""
    probs = np.asarray(probs, dtype=float)
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(probs))[:, None]
    return np.minimum((u > cum).sum(axis=1), probs.shape[1] - 1)


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def metres_to_degrees(dist_m: np.ndarray, bearing: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (dlon, dlat) in degrees for a distance in metres along a bearing (radians)."""
    dlat = dist_m * np.cos(bearing) / 111_320.0
    dlon = dist_m * np.sin(bearing) / (111_320.0 * np.cos(np.radians(lat)))
    return dlon, dlat


# Invented name syllables; combinations are not drawn from any list of real people.
_GIVEN = {
    "Amari": (("Ama", "Teo", "Lino", "Sefa", "Mira", "Doro", "Kea", "Vali", "Nemo", "Orla", "Pesi", "Rua"),
              ("dan", "lie", "ra", "vo", "sen", "ta", "mi", "rel", "no", "sia")),
    "Bensi": (("Ben", "Tuli", "Osa", "Kiri", "Fen", "Mabe", "Zoli", "Ebe", "Gari", "Hani"),
              ("sa", "to", "wen", "lu", "ri", "ka", "de", "mo")),
    "Saro": (("Sar", "Yeva", "Ulo", "Inka", "Tamu", "Reso", "Awi", "Ndey", "Qiro"),
             ("yo", "ssa", "len", "ue", "ki", "ba", "ro")),
}
_FAMILY = (("Mar", "Tov", "Quil", "Nan", "Sari", "Obr", "Kal", "Pem", "Fen", "Lur", "Yus", "Wen", "Dov",
            "Ess", "Ral", "Tuv"),
           ("ello", "essi", "ando", "uvo", "ara", "indo", "ewe", "ota", "ilu", "asso", "emba"))


def invented_names(language: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Full names built from invented syllables, with a flavour per language group."""
    n = len(language)
    out = np.empty(n, dtype=object)
    for lang, (first, second) in _GIVEN.items():
        sel = np.flatnonzero(language == lang)
        if len(sel) == 0:
            continue
        given = np.char.add(np.array(first)[rng.integers(0, len(first), len(sel))],
                            np.array(second)[rng.integers(0, len(second), len(sel))])
        fam = np.char.add(np.array(_FAMILY[0])[rng.integers(0, len(_FAMILY[0]), len(sel))],
                          np.array(_FAMILY[1])[rng.integers(0, len(_FAMILY[1]), len(sel))])
        out[sel] = np.char.add(np.char.add(given, " "), fam)
    return out


def invented_phones(n: int, rng: np.random.Generator) -> np.ndarray:
    """Lumerian mobile numbers: "+999 7xx xxx xxx" or the local form "07xx xxx xxx" (invented)."""
    digits = rng.integers(0, 10, size=(n, 8))
    second = rng.integers(0, 10, size=n)
    local = rng.random(n) < 0.45
    out = np.empty(n, dtype=object)
    for i in range(n):
        d = "".join(map(str, digits[i]))
        if local[i]:
            out[i] = f"07{second[i]}{d[0]} {d[1:4]} {d[4:7]}"
        else:
            out[i] = f"+999 7{second[i]}{d[0]} {d[1:4]} {d[4:7]}"
    return out
