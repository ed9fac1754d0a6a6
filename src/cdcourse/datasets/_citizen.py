"""Citizen-generated datasets: participatory map, social audit score cards, crowd reports."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from cdcourse.datasets import _fields as F
from cdcourse.datasets import _geo
from cdcourse.datasets._common import (
    component_rng, draw_categories, ids, invented_names, invented_phones, metres_to_degrees,
)

_SUBTYPES = {
    "water point": ["borehole", "tap", "protected well"],
    "hazard": ["flooding", "open drain", "landslide"],
    "unsafe place": ["unlit path", "abandoned building", "isolated bus stop"],
}


def _log(dataset, keys, column, problem, original, injected, note="") -> pd.DataFrame:
    n = len(keys)
    return pd.DataFrame({
        "dataset": dataset, "record_key": np.asarray(keys, dtype=object), "column": column, "problem": problem,
        "original_value": np.broadcast_to(np.asarray(original, dtype=object), (n,)),
        "injected_value": np.broadcast_to(np.asarray(injected, dtype=object), (n,)),
        "note": np.broadcast_to(np.asarray(note, dtype=object), (n,)),
    })


def _places(eas: pd.DataFrame, n: int, rng, weight: np.ndarray, spread: float):
    """``n`` points near EAs drawn with probability ``weight``, each inside the EA's district."""
    p = weight / weight.sum()
    pick = rng.choice(len(eas), size=n, p=p)
    code_index = {c: i for i, c in enumerate(_geo.DISTRICTS)}
    polys = _geo.district_polygons()
    poly_list = [polys[c] for c in _geo.DISTRICTS]
    didx = np.array([code_index[c] for c in eas["district_code"].to_numpy()[pick]])
    lon, lat = _geo.scatter_inside(eas["ea_lon"].to_numpy()[pick], eas["ea_lat"].to_numpy()[pick], spread,
                                   didx, poly_list, rng)
    return pick, lon, lat


def _timestamps(rng, n: int, start: str, days: int, hours=(7, 19)) -> pd.Series:
    base = pd.Timestamp(start)
    day = rng.integers(0, days, n)
    sec = rng.integers(hours[0] * 3600, hours[1] * 3600, n)
    return base + pd.to_timedelta(day, unit="D") + pd.to_timedelta(sec, unit="s")


def participatory_map(eas: pd.DataFrame, seed: int, scale: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = component_rng(seed, "participatory_map")
    n_f = max(30, int(round(450 * scale)))
    urbanish = 1 + eas["urban"].to_numpy() + 2 * eas["informal"].to_numpy()
    pick, lon, lat = _places(eas, n_f, rng, eas["households"].to_numpy() * urbanish, 0.01)
    cats = np.array(F.MAP_CATEGORIES, dtype=object)
    informal = eas["informal"].to_numpy()[pick]
    urban = eas["urban"].to_numpy()[pick]
    probs = np.where(urban[:, None], [0.45, 0.25, 0.30], [0.60, 0.25, 0.15])
    cat = cats[draw_categories(probs, rng)]
    sub = np.array([_SUBTYPES[c][k] for c, k in zip(cat, rng.integers(0, 3, n_f))], dtype=object)
    # Water points in the informal settlement and Saro areas are more often broken.
    saro = eas["p_saro"].to_numpy()[pick]
    bad = 0.2 + 0.3 * informal + 0.6 * saro
    cond_p = np.column_stack([1 - bad, bad * 0.55, bad * 0.45])
    cond = np.array(["working", "needs repair", "broken"], dtype=object)[draw_categories(cond_p, rng)]
    cond = np.where(cat == "water point", cond, "n/a")
    feature = ids("F", np.arange(1, n_f + 1), 5)
    # Each feature is mapped 1-4 times by different volunteers of its district.
    times = draw_categories(np.tile([0.6, 0.25, 0.1, 0.05], (n_f, 1)), rng) + 1
    f_idx = np.repeat(np.arange(n_f), times)
    copy_no = np.arange(len(f_idx)) - np.repeat(np.cumsum(times) - times, times)
    n_p = len(f_idx)
    dist = eas["district_code"].to_numpy()[pick][f_idx]
    mappers_per_d = max(3, int(round(6 * scale)))
    m_local = (rng.integers(0, mappers_per_d, n_p) + copy_no * 1) % mappers_per_d
    d_num = np.array([int(c[1:]) for c in dist])
    mapper = ids("M", (d_num - 1) * mappers_per_d + m_local + 1, 3)
    d_m = rng.uniform(5, 30, n_p)
    dlon, dlat = metres_to_degrees(d_m, rng.uniform(0, 2 * np.pi, n_p), lat[f_idx])
    plat = lat[f_idx] + np.where(copy_no > 0, dlat, 0)
    plon = lon[f_idx] + np.where(copy_no > 0, dlon, 0)
    pcond = cond[f_idx].copy()
    # Mappers sometimes disagree on a water point's condition.
    dis = (copy_no > 0) & (pcond != "n/a") & (rng.random(n_p) < 0.15)
    pcond[dis] = np.array(["working", "needs repair", "broken"], dtype=object)[rng.integers(0, 3, dis.sum())]
    mapped_at = _timestamps(rng, n_p, "2024-05-01", 31)
    df = pd.DataFrame({
        "mapper_id": mapper, "mapped_at": mapped_at, "district_code": dist, "category": cat[f_idx],
        "subtype": sub[f_idx], "condition": pcond, "lat": np.round(plat, 6), "lon": np.round(plon, 6),
        "feature_id": feature[f_idx], "_copy": copy_no,
    }).sort_values(["mapped_at", "feature_id"], kind="stable").reset_index(drop=True)
    df.insert(0, "point_id", ids("PT", np.arange(1, len(df) + 1), 5))
    logs = []
    # Duplicates: every mapping of a feature after its first.
    first = df.groupby("feature_id")["mapped_at"].transform("min")
    first_id = df.sort_values("mapped_at", kind="stable").groupby("feature_id")["point_id"].first()
    dup = (df["mapped_at"] > first) | (df.duplicated("feature_id") & (df["mapped_at"] == first))
    logs.append(_log("participatory_map", df.loc[dup, "point_id"], "lat,lon", "duplicate_point",
                     df.loc[dup, "feature_id"].map(first_id).to_numpy(), df.loc[dup, "point_id"].to_numpy(),
                     "same feature as the point in original_value, mapped again a few metres away"))
    n = len(df)
    u = rng.random(n)
    swap = u < 0.02
    out = (u >= 0.02) & (u < 0.035)
    orig = (df["lat"].map(repr) + "," + df["lon"].map(repr)).to_numpy()
    lat0 = df["lat"].to_numpy().copy()
    lon0 = df["lon"].to_numpy().copy()
    df.loc[swap, "lat"] = lon0[swap]
    df.loc[swap, "lon"] = lat0[swap]
    # Outside the country: a dropped minus sign or a wrong degree typed.
    kind = rng.integers(0, 3, n)
    new_lat = np.where(kind == 0, -lat0, lat0)
    new_lon = np.where(kind == 1, lon0 + 3.0, np.where(kind == 2, lon0 - 3.0, lon0))
    df.loc[out, "lat"] = np.round(new_lat[out], 6)
    df.loc[out, "lon"] = np.round(new_lon[out], 6)
    inj = (df["lat"].map(repr) + "," + df["lon"].map(repr)).to_numpy()
    logs.append(_log("participatory_map", df.loc[swap, "point_id"], "lat,lon", "swapped_latlon", orig[swap],
                     inj[swap]))
    logs.append(_log("participatory_map", df.loc[out, "point_id"], "lat,lon", "outside_boundary", orig[out],
                     inj[out], "point outside the country boundary"))
    df = df.drop(columns="_copy")[F.PARTICIPATORY_MAP.columns]
    return df, pd.concat(logs, ignore_index=True)


def social_audit(eas: pd.DataFrame, seed: int, scale: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = component_rng(seed, "social_audit")
    rows = []
    fac_no = 0
    n_per = max(3, int(round(10 * scale)))
    for code in _geo.DISTRICTS:
        region = _geo.DISTRICTS[code][1]
        saro_share = eas.loc[eas["district_code"] == code, "p_saro"].mean()
        for _ in range(n_per):
            fac_no += 1
            ftype = F.FACILITY_TYPES[draw_categories(np.array([[0.3, 0.4, 0.3]]), rng)[0]]
            quality = rng.normal(0, 0.8) - 0.4 * (region == "R4") - 1.5 * saro_share
            day = pd.Timestamp("2024-06-03") + pd.Timedelta(days=int(rng.integers(0, 50)))
            groups = [g for g in F.AUDIT_GROUPS if g != "persons with disabilities" or rng.random() < 0.8]
            for grp in groups:
                for ind in F.AUDIT_INDICATORS:
                    effect = 0.0
                    if grp == "persons with disabilities":
                        effect -= 1.3 if ind == "accessibility" else 0.3
                    if grp == "women" and ind in ("staff attitude", "waiting time") and ftype == "health clinic":
                        effect -= 0.6
                    if grp == "youth" and ind == "information":
                        effect -= 0.5
                    if grp == "men":
                        effect += 0.2
                    rows.append((f"FAC{fac_no:03d}", ftype, code, day, grp, ind, 3.2 + quality + effect))
    df = pd.DataFrame(rows, columns=["facility_id", "facility_type", "district_code", "session_date", "group",
                                     "indicator", "latent"])
    session = df["facility_id"] + "|" + df["group"]
    sess_codes, sess_idx = np.unique(session.to_numpy(), return_inverse=True)
    order_first = pd.Series(np.arange(len(df))).groupby(sess_idx).min().to_numpy()
    rank = np.empty(len(sess_codes), dtype=int)
    rank[np.argsort(order_first, kind="stable")] = np.arange(len(sess_codes))
    df["audit_id"] = ids("A", rank[sess_idx] + 1, 4)
    true = np.clip(np.round(df["latent"] + rng.normal(0, 0.7, len(df))), 1, 5)
    scale_kind = draw_categories(np.tile([0.75, 0.15, 0.10], (len(sess_codes), 1)), rng)[sess_idx]
    s10 = np.clip(np.round((true - 1) / 4 * 10 + rng.normal(0, 0.6, len(df))), 0, 10)
    s100 = np.clip(np.round(((true - 1) / 4 * 100 + rng.normal(0, 4, len(df))) / 5) * 5, 0, 100)
    df["score"] = np.where(scale_kind == 0, true, np.where(scale_kind == 1, s10, s100)).astype(float)
    df["scale_min"] = np.where(scale_kind == 0, 1, 0)
    df["scale_max"] = np.where(scale_kind == 0, 5, np.where(scale_kind == 1, 10, 100))
    keys = (df["audit_id"] + "#" + df["indicator"]).to_numpy()
    logs = []
    for k, prob in ((1, "scale_0_10"), (2, "scale_0_100")):
        m = scale_kind == k
        logs.append(_log("social_audit", keys[m], "score", prob, np.array([repr(float(x)) for x in true[m]]),
                         np.array([repr(float(x)) for x in df["score"].to_numpy()[m]]),
                         "session scored on a different scale; original_value is the 1-5 score"))
    df = df[F.SOCIAL_AUDIT.columns]
    return df, pd.concat(logs, ignore_index=True)


_TEMPLATES = {
    "water outage": ["No water at the tap near {place} since {when}.", "Tap near {place} is dry again since {when}.",
                     "Water point near {place} not working since {when}, people walking far."],
    "flooding": ["Flooding on the road by {place} after the rain {when}.", "Houses near {place} flooded {when}.",
                 "Water up to the knees near {place} {when}."],
    "harassment": ["Girls harassed on the path to {place} {when}.", "Men shouting at women near {place} {when}.",
                   "Harassment at the bus stop near {place} {when}, please act."],
    "power cut": ["No electricity near {place} since {when}.", "Power cut at {place} {when}, clinic in the dark.",
                  "Lights out again around {place} since {when}."],
    "road damage": ["Big hole in the road near {place}, since {when}.", "Bridge near {place} damaged {when}.",
                    "Road to {place} washed away {when}, buses cannot pass."],
    "waste": ["Rubbish piling up at {place} since {when}.", "Nobody collected the waste near {place} since {when}.",
              "Dumping behind {place}, bad smell since {when}."],
}
_LANDMARKS = ["market", "clinic", "primary school", "bus stand", "church", "mosque", "football ground",
              "river crossing", "water tower", "junction"]
_WHEN = ["yesterday", "this morning", "last night", "Monday", "Friday", "the weekend", "last week"]


def crowd_reports(eas: pd.DataFrame, seed: int, scale: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = component_rng(seed, "crowd_reports")
    n_i = max(20, int(round(350 * scale)))
    weight = eas["households"].to_numpy() * (1 + 2 * eas["urban"].to_numpy() + 2 * eas["informal"].to_numpy())
    pick, lon, lat = _places(eas, n_i, rng, weight, 0.01)
    cat = np.array(F.REPORT_CATEGORIES, dtype=object)[
        draw_categories(np.tile([0.25, 0.15, 0.12, 0.18, 0.15, 0.15], (n_i, 1)), rng)]
    when = _timestamps(rng, n_i, "2024-01-01", 366, hours=(0, 24))
    dists = eas["district_code"].to_numpy()[pick]
    dname = {c: v[0] for c, v in _geo.DISTRICTS.items()}
    place = np.array([f"the {_LANDMARKS[k]} in {dname[d]}" for k, d in zip(rng.integers(0, len(_LANDMARKS), n_i), dists)],
                     dtype=object)
    times = draw_categories(np.tile([0.6, 0.25, 0.1, 0.05], (n_i, 1)), rng) + 1
    inc = np.repeat(np.arange(n_i), times)
    copy_no = np.arange(len(inc)) - np.repeat(np.cumsum(times) - times, times)
    n = len(inc)
    received = when.to_numpy()[inc] + pd.to_timedelta(
        np.where(copy_no > 0, rng.integers(5 * 60, 48 * 3600, n), 0), unit="s").to_numpy()
    tpl = rng.integers(0, 3, n)
    wh = rng.integers(0, len(_WHEN), n)
    texts = []
    spans: list[tuple[int, str, str]] = []
    names = invented_names(np.array(["Amari", "Bensi", "Saro"], dtype=object)[rng.integers(0, 3, n)], rng)
    phones = invented_phones(n, rng)
    u = rng.random((n, 3))
    for i in range(n):
        t = _TEMPLATES[cat[inc[i]]][tpl[i]].format(place=place[inc[i]], when=_WHEN[wh[i]])
        if copy_no[i] > 0 and rng.random() < 0.5:
            t = t.lower() + rng.choice([" pls help", " !!", " still not fixed", " same problem"])
        if u[i, 0] < 0.18:
            t += f" Call me {names[i]}." if u[i, 1] < 0.5 else f" Ask {names[i]} who saw it."
            spans.append((i, names[i], "name"))
        if u[i, 1] < 0.14:
            t += f" My number {phones[i]}."
            spans.append((i, phones[i], "phone"))
        if u[i, 2] < 0.06:
            user = names[i].split()[0].lower() + str(int(rng.integers(1, 99)))
            email = f"{user}@{rng.choice(['lumimail.example', 'post.example', 'mail.example'])}"
            t += f" Write to {email}"
            spans.append((i, email, "email"))
        texts.append(t)
    verified = rng.random(n) < np.where(copy_no == 0, 0.5, 0.3)
    r_lon, r_lat = lon[inc], lat[inc]
    jitter = copy_no > 0
    code_index = {c: k for k, c in enumerate(_geo.DISTRICTS)}
    polys = _geo.district_polygons()
    j_lon, j_lat = _geo.scatter_inside(r_lon, r_lat, np.where(jitter, 0.003, 0.0),
                                       np.array([code_index[c] for c in dists[inc]]),
                                       [polys[c] for c in _geo.DISTRICTS], rng)
    df = pd.DataFrame({
        "received_at": received, "channel": np.array(F.CHANNELS, dtype=object)[rng.integers(0, 3, n)],
        "category": cat[inc], "district_code": dists[inc], "lat": np.round(j_lat, 5), "lon": np.round(j_lon, 5),
        "text": texts, "verified": verified, "incident_id": ids("I", inc + 1, 5), "_i": np.arange(n),
    })
    df = df.sort_values(["received_at", "_i"], kind="stable").reset_index(drop=True)
    df.insert(0, "report_id", ids("R", np.arange(1, n + 1), 5))
    rid = pd.Series(df["report_id"].to_numpy(), index=df["_i"].to_numpy())
    logs = []
    first_rid = df.groupby("incident_id")["report_id"].first()
    dup = df.duplicated("incident_id").to_numpy()
    logs.append(_log("crowd_reports", df.loc[dup, "report_id"], "text", "near_duplicate_report",
                     df.loc[dup, "incident_id"].map(first_rid).to_numpy(), df.loc[dup, "report_id"].to_numpy(),
                     "same incident as the report in original_value"))
    if spans:
        sp = pd.DataFrame(spans, columns=["i", "span", "kind"])
        logs.append(_log("crowd_reports", rid[sp["i"]].to_numpy(), "text", "personal_data_in_text", "",
                         sp["span"].to_numpy(), sp["kind"].to_numpy()))
    df = df.drop(columns="_i")[F.CROWD_REPORTS.columns]
    return df, pd.concat(logs, ignore_index=True)
