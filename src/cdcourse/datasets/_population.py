"""The population of Lumeria: enumeration areas, households and persons, all vectorised."""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdcourse.datasets import _fields as F
from cdcourse.datasets import _geo
from cdcourse.datasets._common import categorical, component_rng, draw_categories, ids, logistic

# Language mix of an EA by region (Amari, Bensi, Saro); the informal settlement and the rural east
# have many more Saro households. Tuned so the country is about 70 / 20 / 10.
_LANG_BASE = {
    "R1": (0.82, 0.16, 0.02),
    "R2": (0.64, 0.33, 0.03),
    "R3": (0.78, 0.18, 0.04),
    "R4": (0.68, 0.14, 0.18),
}
_LANG_INFORMAL = (0.45, 0.22, 0.33)

# Water source probabilities (piped, public tap, protected well, unprotected well, surface water).
_WATER_URBAN = np.array([0.45, 0.35, 0.12, 0.05, 0.03])
_WATER_INFORMAL = np.array([0.02, 0.45, 0.10, 0.28, 0.15])
_WATER_RURAL = np.array([0.04, 0.16, 0.36, 0.25, 0.19])
# Typical round-trip minutes by source.
_WATER_MIN = np.array([0.0, 14.0, 22.0, 28.0, 40.0])

MAX_AGE = 97  # so that the raw file's "98 = don't know" code is never a true age


def ea_frame(seed: int, scale: float) -> pd.DataFrame:
    """The enumeration-area frame: one row per EA with district, urban/rural, settlement, size, centre."""
    rng = component_rng(seed, "ea_frame")
    codes = list(_geo.DISTRICTS)
    shares = np.array([_geo.DISTRICT_SHARE[c] for c in codes])
    n_total = max(len(codes) * 2, int(round(200 * scale)))
    raw = shares / shares.sum() * n_total
    n_ea = np.floor(raw).astype(int)
    # Largest remainder, so the total is exact and reproducible.
    order = np.argsort(-(raw - n_ea), kind="stable")
    n_ea[order[: n_total - n_ea.sum()]] += 1
    n_ea = np.maximum(n_ea, 2)
    polys = _geo.district_polygons()

    rows = []
    for k, code in enumerate(codes):
        n = int(n_ea[k])
        name, region, _, _ = _geo.DISTRICTS[code]
        poly = polys[code]
        n_urban = max(1, int(round(_geo.URBAN_SHARE[code] * n)))
        urban = np.zeros(n, dtype=bool)
        urban[:n_urban] = True
        informal = np.zeros(n, dtype=bool)
        if code == _geo.CAPITAL:
            informal[: max(1, int(round(0.18 * n)))] = True
        town = poly.mean(axis=0)
        # Urban EAs cluster around the district town, rural EAs spread over the district.
        lon = np.empty(n)
        lat = np.empty(n)
        rural_pts = _geo.random_points_in(poly, n, rng)
        lon[:] = rural_pts[:, 0]
        lat[:] = rural_pts[:, 1]
        centre_lon = np.where(informal, town[0] + 0.05, town[0])
        centre_lat = np.where(informal, town[1] - 0.04, town[1])
        spread = np.where(informal, 0.01, 0.05)
        u_lon, u_lat = _geo.scatter_inside(centre_lon, centre_lat, spread, np.zeros(n, int), [poly], rng)
        lon[urban] = u_lon[urban]
        lat[urban] = u_lat[urban]
        # Households per EA: 30-90, informal EAs dense.
        size = np.where(
            informal, 65 + np.round(rng.beta(2, 2, n) * 25),
            np.where(urban, 40 + np.round(rng.beta(2, 2.5, n) * 50), 30 + np.round(rng.beta(2, 2.5, n) * 55)),
        ).astype(int)
        # Order inside the district: urban first, then west to east (gives systematic PPS an implicit
        # stratification by urban/rural and place).
        order = np.lexsort((lat, lon, ~urban))
        rows.append(pd.DataFrame({
            "region_code": region, "region": _geo.REGIONS[region], "district_code": code, "district": name,
            "urban": urban[order], "informal": informal[order], "households": size[order],
            "ea_lon": lon[order], "ea_lat": lat[order],
        }))
    frame = pd.concat(rows, ignore_index=True)
    frame.insert(0, "ea_id", ids("EA", np.arange(1, len(frame) + 1), 4))
    # Language mix per EA: regional base, informal override, rural east more Saro; Dirichlet noise
    # makes EAs differ (clustering that a cluster sample must respect).
    base = np.array([_LANG_BASE[r] for r in frame["region_code"]])
    base[frame["informal"].to_numpy()] = _LANG_INFORMAL
    east_rural = (frame["region_code"].to_numpy() == "R4") & ~frame["urban"].to_numpy()
    base[east_rural] = (0.62, 0.13, 0.25)
    mix = np.vstack([rng.dirichlet(b * 25) for b in base])
    frame[["p_amari", "p_bensi", "p_saro"]] = mix
    # Water source mix per EA, also clustered.
    wbase = np.where(frame["informal"].to_numpy()[:, None], _WATER_INFORMAL,
                     np.where(frame["urban"].to_numpy()[:, None], _WATER_URBAN, _WATER_RURAL))
    frame[[f"pw{i}" for i in range(5)]] = np.vstack([rng.dirichlet(b * 10 + 0.05) for b in wbase])
    frame["ea_effect"] = rng.normal(0, 0.3, len(frame))
    return frame


def generate_population(seed: int, scale: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Persons (one row each, columns as WORLD.md) and the EA frame they were generated from."""
    rng = component_rng(seed, "population")
    eas = ea_frame(seed, scale)
    n_ea = len(eas)
    polys = _geo.district_polygons()
    code_index = {c: i for i, c in enumerate(_geo.DISTRICTS)}
    poly_list = [polys[c] for c in _geo.DISTRICTS]

    # ---- households -------------------------------------------------------------------------
    hh_ea = np.repeat(np.arange(n_ea), eas["households"].to_numpy())
    n_hh = len(hh_ea)
    urban = eas["urban"].to_numpy()[hh_ea]
    informal = eas["informal"].to_numpy()[hh_ea]
    region = eas["region_code"].to_numpy()[hh_ea]
    lang = draw_categories(eas[["p_amari", "p_bensi", "p_saro"]].to_numpy()[hh_ea], rng)
    saro = lang == 2
    # Socio-economic status of the household: drives income, schooling and education.
    ses = (rng.normal(0, 1, n_hh) + 0.5 * urban - 0.45 * saro - 0.4 * informal
           + eas["ea_effect"].to_numpy()[hh_ea] - 0.2 * (region == "R4"))
    lam = 3.0 + 0.7 * ~urban + 0.5 * saro + 0.3 * informal - 0.15 * ses
    size = np.minimum(1 + rng.poisson(np.clip(lam, 1.0, None)), 15)

    wprob = eas[[f"pw{i}" for i in range(5)]].to_numpy()[hh_ea].copy()
    # Saro households in the same EA still get worse sources (a part of the gap is discrimination).
    shift = np.where(saro, 0.45, 0.0) + np.clip(-0.12 * ses, -0.1, 0.2)
    moved = wprob[:, :3] * shift[:, None]
    wprob[:, :3] -= moved
    wprob[:, 3:] += moved.sum(axis=1, keepdims=True) * np.array([0.6, 0.4])
    water = draw_categories(wprob, rng)
    improved = water <= 2
    minutes = _WATER_MIN[water] * np.exp(rng.normal(0, 0.45, n_hh)) * np.where(urban, 0.8, 1.25)
    minutes = np.where(water == 0, 0.0, np.maximum(np.round(minutes / 5.0) * 5.0, 5.0))
    log_inc = 7.7 + 0.55 * ses + 0.08 * (size - 4) + rng.normal(0, 0.45, n_hh)
    income = np.exp(log_inc)
    rich = rng.random(n_hh) < 0.01
    income[rich] *= 4 + rng.pareto(1.3, rich.sum()) * 6
    income = np.round(income)

    ea_lon = eas["ea_lon"].to_numpy()[hh_ea]
    ea_lat = eas["ea_lat"].to_numpy()[hh_ea]
    dist_idx = np.array([code_index[c] for c in eas["district_code"]])[hh_ea]
    spread = np.where(informal, 0.002, np.where(urban, 0.006, 0.02))
    hh_lon, hh_lat = _geo.scatter_inside(ea_lon, ea_lat, spread, dist_idx, poly_list, rng)

    # ---- persons ----------------------------------------------------------------------------
    p_hh = np.repeat(np.arange(n_hh), size)
    n_p = len(p_hh)
    starts = np.concatenate([[0], np.cumsum(size)[:-1]])
    line = np.arange(n_p) - starts[p_hh] + 1
    hsize = size[p_hh]
    p_saro = saro[p_hh]
    p_urban = urban[p_hh]
    p_informal = informal[p_hh]
    p_ses = ses[p_hh]

    # Relationship: line 1 head, line 2 often a spouse, then mostly children.
    has_spouse = rng.random(n_hh) < 0.72
    rel = np.full(n_p, 2)  # child
    rel[line == 1] = 0
    rel[(line == 2) & has_spouse[p_hh]] = 1
    others = rel == 2
    u = rng.random(n_p)
    rel[others & (u > 0.80)] = 3
    rel[others & (u > 0.95)] = 4

    head_female = rng.random(n_hh) < np.where(saro, 0.34, 0.27)
    sex = (rng.random(n_p) < 0.5).astype(int)  # 0 female, 1 male
    sex[line == 1] = (~head_female[p_hh][line == 1]).astype(int)
    sp = rel == 1
    sex[sp] = head_female[p_hh][sp].astype(int)  # spouse: the other sex

    head_age = np.clip(18 + np.round(rng.gamma(4.0, 6.5, n_hh)), 18, MAX_AGE).astype(int)
    h_age = head_age[p_hh]
    age = np.zeros(n_p, dtype=int)
    age[line == 1] = h_age[line == 1]
    gap = np.where(head_female[p_hh], 4.0, -4.0)
    age[sp] = np.clip(np.round(h_age[sp] + gap[sp] + rng.normal(0, 4, sp.sum())), 16, MAX_AGE)
    ch = rel == 2
    span = np.clip(h_age[ch] - 17, 1, 30)
    age[ch] = np.floor(rng.random(ch.sum()) ** 1.4 * span)
    ot = rel == 3
    elder = rng.random(ot.sum()) < 0.35
    age[ot] = np.where(elder, np.clip(h_age[ot] + 20 + np.round(rng.gamma(2, 4, ot.sum())), 0, MAX_AGE),
                       rng.integers(0, 21, ot.sum()))
    nr = rel == 4
    age[nr] = np.clip(15 + np.round(rng.gamma(2.0, 6.0, nr.sum())), 15, MAX_AGE)
    age = np.clip(age, 0, MAX_AGE)
    female = sex == 0

    # Washington Group short set, age 5+: one frailty per person, rising with age.
    adult5 = age >= 5
    frail = (-2.6 + 0.035 * age + 0.025 * np.maximum(age - 55, 0) + 0.25 * ~p_urban + 0.25 * p_saro
             - 0.1 * p_ses + rng.normal(0, 1.0, n_p))
    wg = {}
    offsets = {"seeing": 0.0, "hearing": 0.25, "walking": 0.0, "remembering": 0.35, "selfcare": 0.8,
               "communicating": 0.9}
    for dom, off in offsets.items():
        x = frail + rng.normal(0, 0.9, n_p) - off
        level = 1 + (x > 0.0).astype(int) + (x > 1.55).astype(int) + (x > 2.7).astype(int)
        wg[dom] = pd.array(np.where(adult5, level, 0), dtype="Int64")
        wg[dom][~adult5] = pd.NA
    any3 = np.zeros(n_p, dtype=bool)
    for dom in offsets:
        any3 |= np.asarray(wg[dom].fillna(0)) >= 3
    disability = pd.array(any3, dtype="boolean")
    disability[~adult5] = pd.NA

    # Education (15+): older cohorts, women of older cohorts, Saro and disability lower.
    adult15 = age >= 15
    edu_x = (0.8 * p_ses + 0.4 * p_urban - 0.55 * p_saro - 0.022 * np.maximum(age - 30, 0)
             - 0.45 * (female & (age > 40)) - 0.7 * any3 + rng.normal(0, 0.9, n_p))
    edu = 0 + (edu_x > -1.1) + (edu_x > 0.5) + (edu_x > 1.8)
    edu_codes = np.where(adult15, edu, -1)

    # In school (6-17).
    school_age = (age >= 6) & (age <= 17)
    p_school = logistic(2.6 - 0.45 * np.maximum(age - 13, 0) + 0.6 * p_ses + 0.3 * p_urban
                        - 0.7 * p_saro - 0.5 * p_informal - 1.4 * any3 - 0.35 * (female & (age >= 14)))
    in_school = pd.array(rng.random(n_p) < p_school, dtype="boolean")
    in_school[~school_age] = pd.NA

    # Feels safe at night (15+): women, informal areas, towns and disability lower.
    ea_safe = rng.normal(0, 0.4, n_ea)[hh_ea][p_hh]
    p_safe = logistic(1.3 - 1.05 * female - 0.7 * p_informal - 0.3 * p_urban - 0.4 * any3 + 0.15 * p_ses
                      + ea_safe)
    safe = pd.array(rng.random(n_p) < p_safe, dtype="boolean")
    safe[~adult15] = pd.NA

    ea_of_p = hh_ea[p_hh]
    d = {
        "person_id": ids("P", np.arange(1, n_p + 1), 7),
        "household_id": ids("H", np.arange(1, n_hh + 1), 6)[p_hh],
        "ea_id": eas["ea_id"].to_numpy()[ea_of_p],
        "district_code": eas["district_code"].to_numpy()[ea_of_p],
        "district": eas["district"].to_numpy()[ea_of_p],
        "region_code": eas["region_code"].to_numpy()[ea_of_p],
        "region": eas["region"].to_numpy()[ea_of_p],
        "urban_rural": categorical(np.where(p_urban, 0, 1), ("urban", "rural")),
        "settlement": categorical(p_informal.astype(int), ("formal", "informal")),
        "household_size": hsize,
        "relationship": categorical(rel, F.RELATIONSHIPS),
        "age": age,
        "sex": categorical(sex, F.SEXES),
        "language_group": categorical(lang[p_hh], F.LANGUAGES),
        **{f"wg_{k}": v for k, v in wg.items()},
        "disability": disability,
        "education": categorical(edu_codes, F.EDUCATION),
        "water_source": categorical(water[p_hh], F.WATER_SOURCES),
        "improved_water": improved[p_hh],
        "water_minutes": minutes[p_hh],
        "monthly_income": income[p_hh],
        "feels_safe_night": safe,
        "in_school": in_school,
        "hh_lat": np.round(hh_lat, 5)[p_hh],
        "hh_lon": np.round(hh_lon, 5)[p_hh],
    }
    pop = pd.DataFrame(d)
    for col in ("district_code", "district", "region_code", "region"):
        pop[col] = pd.Categorical(pop[col], categories=F.POPULATION.field(col).enum)
    return pop, eas
