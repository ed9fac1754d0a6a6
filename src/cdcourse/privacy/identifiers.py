"""Which columns identify people, and how to replace identifiers safely.

- :func:`classify_columns` suggests a role for every column (direct identifier, quasi-identifier,
  sensitive, survey design, other) from its name and how unique its values are, with the reason.
  It is a first pass for a person to check, not a decision.
- :func:`pseudonymise` replaces identifiers by a keyed hash (HMAC-SHA256): the same person gets the
  same pseudonym across files, and nobody without the key can recompute it.
- :func:`plain_hash` and :func:`reverse_plain_hashes` show why a *plain* hash is no protection for
  values from a small space such as phone numbers: trying every number recovers them.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdcourse._validate import require_columns, require_choice
from cdcourse.errors import CdcourseError
from cdcourse.privacy._core import as_frame, number

ROLES = ("direct identifier", "quasi-identifier", "sensitive", "survey design", "other")

# (pattern on the lower-cased column name, role, reason). First match wins, so order matters:
# design variables and fieldwork metadata before the generic "_id" rule, places before ids.
_RULES: list[tuple[str, str, str]] = [
    (r"(^|_)(weight|wt|design_weight|prob|prob_\w+|inclusion_prob|stratum|strata|n_ea_stratum)($|_)",
     "survey design", "survey design variable: keep it for estimation, but check it does not reveal a small area"),
    (r"households_ea|hh_in_ea|cluster_size", "survey design",
     "frame count of a small area: it can reveal which area a record comes from"),
    (r"enumerator|interviewer|supervisor|mapper", "other",
     "fieldwork metadata: not about the respondent, but it can locate the interview; usually dropped"),
    (r"(^|_)(start|end|start_time|end_time|submission_time|_submission_time|duration\w*)($|_)", "other",
     "interview timing: not needed by users; exact times can be matched with what neighbours saw"),
    # The name of a place or of a facility is not a person's name: these come before the name rule.
    (r"(^|_)(district|region|province|county|subcounty|ward|parish|village|locality|community|settlement|zone|"
     r"town|city|area|ea)_?name($|_)",
     "quasi-identifier", "place: known to neighbours and visible from the outside"),
    (r"(^|_)(facility|school|clinic|health_facility|hospital|org|organisation|organization|ngo|cso|project|"
     r"indicator|variable|file|dataset|product|brand|item)_?name($|_)",
     "other", "the name of a facility, organisation or thing, not of a person"),
    (r"(^|_)(full_?name|first_?name|last_?name|surname|given_?name|name|respondent_name|contact_name)($|_)",
     "direct identifier", "a person's name"),
    (r"phone|mobile|msisdn|(^|_)tel($|_)|telephone|whatsapp", "direct identifier", "a phone number"),
    (r"e_?mail", "direct identifier", "an e-mail address"),
    (r"(^|_)(gps|lat|latitude|lon|lng|long|longitude|coord\w*|geopoint|location)($|_)",
     "direct identifier", "an exact GPS position points to one dwelling"),
    (r"address|street|house_?(no|number)|plot", "direct identifier", "an address"),
    (r"national_?id|passport|(^|_)nin($|_)|id_?card|voter|ssn", "direct identifier", "an official ID number"),
    (r"(^|_)(ea|ea_id|ea_code|psu|cluster|village|ward|parish|locality|community|settlement|zone|"
     r"district|district_code|region|region_code|province|county|subcounty|urban_rural|urban|rural)($|_)",
     "quasi-identifier", "place: known to neighbours and visible from the outside"),
    (r"(^|_)(id|uuid|instanceid|instance_id|key|submission_id|record_id|person_id|household_id|hh_id|"
     r"respondent_id|report_id|point_id|audit_id|line_no)($|_)|_id$",
     "direct identifier", "a record identifier: links the record back to other files"),
    (r"(^|_)(age|age_group|age_band|dob|birth\w*|year_of_birth|yob)($|_)", "quasi-identifier",
     "age or birth date: known to family, neighbours and registers"),
    (r"(^|_)(sex|gender)($|_)", "quasi-identifier", "sex: visible and known"),
    (r"language|ethnic|tribe|clan|caste|nationality|religion", "quasi-identifier",
     "group membership: known in the community, and a small group singles people out"),
    (r"relationship|marital|household_size|hh_size|household_head", "quasi-identifier",
     "household position or size: known to neighbours"),
    (r"disab", "quasi-identifier", "disability status is often visible and known in the community"),
    (r"education|occupation|in_school|school|employ|job", "quasi-identifier",
     "education or work: known to people around the respondent"),
    (r"income|salary|wage|earning|expenditure|consumption|wealth|debt|savings", "sensitive",
     "money: people do not want it known"),
    (r"(^|_)wg_|health|hiv|illness|disease|pregnan|mental", "sensitive", "health or functioning"),
    (r"violence|harass|abuse|safe|crime|victim|assault", "sensitive", "safety and violence"),
]


@dataclass(frozen=True)
class ColumnRoles:
    """Suggested role of every column, with the reason, for a person to review.

    ``table`` has one row per column: role, reason, distinct (number of different known values) and
    unique_share (distinct / known values).
    """

    table: pd.DataFrame

    def _of(self, role: str) -> list[str]:
        return self.table.index[self.table["role"] == role].tolist()

    @property
    def direct_identifiers(self) -> list[str]:
        return self._of("direct identifier")

    @property
    def quasi_identifiers(self) -> list[str]:
        return self._of("quasi-identifier")

    @property
    def sensitive(self) -> list[str]:
        return self._of("sensitive")

    @property
    def design(self) -> list[str]:
        return self._of("survey design")

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def __repr__(self) -> str:
        return "ColumnRoles (suggestions to review)\n" + self.table[["role", "reason"]].to_string()

    def _repr_html_(self) -> str:
        return (self.table.to_html(float_format=lambda v: f"{v:.0%}")
                + "<p>These are suggestions from column names and value uniqueness: check every row; "
                  "what an intruder could know depends on your setting.</p>")


def classify_columns(data: pd.DataFrame, *, direct: Sequence[str] = (), quasi: Sequence[str] = (),
                     sensitive: Sequence[str] = (), unique_share: float = 0.9) -> ColumnRoles:
    """Suggest which columns are direct identifiers, quasi-identifiers, sensitive or design variables.

    Names are matched against common patterns (name, phone, GPS, ids; age, sex, place, language;
    income, health, violence; weights and strata). A text column with no matching name whose known
    values are at least ``unique_share`` distinct is flagged as a direct identifier, because
    almost every value singles out one record. ``direct``, ``quasi`` and ``sensitive`` override the
    suggestion for the columns you name.

    Examples
    --------
    >>> df = pd.DataFrame({"respondent_name": ["Ana", "Ben"], "age": [30, 41], "district": ["D01", "D02"],
    ...                    "monthly_income": [120.0, 80.0], "weight": [10.0, 12.0]})
    >>> classify_columns(df).table["role"].tolist()
    ['direct identifier', 'quasi-identifier', 'quasi-identifier', 'sensitive', 'survey design']

    Source: Statistical Disclosure Control: A Practice Guide (IHSN), classification of variables.
    """
    frame = as_frame(data)
    unique_share = float(number(unique_share, "unique_share", low=0, high=1))
    overrides: dict[str, tuple[str, str]] = {}
    for cols, role in ((direct, "direct identifier"), (quasi, "quasi-identifier"), (sensitive, "sensitive")):
        for c in require_columns(frame, list(cols), role.replace("-", "_").replace(" ", "_")):
            overrides[c] = (role, "set by you")
    rows = []
    for col in frame.columns:
        s = frame[col]
        known = s.dropna()
        distinct = int(known.nunique()) if len(known) else 0
        share = distinct / len(known) if len(known) else 0.0
        name = str(col).lower()
        if col in overrides:
            role, reason = overrides[col]
        else:
            role, reason = "other", "no pattern matched"
            for pattern, r, why in _RULES:
                if re.search(pattern, name):
                    role, reason = r, why
                    break
            textual = not pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_datetime64_any_dtype(s.dtype)
            if role == "other" and reason == "no pattern matched" and textual and len(known) >= 20 \
                    and share >= unique_share:
                role, reason = "direct identifier", f"{share:.0%} of its values are different: each points to one record"
        rows.append((col, role, reason, distinct, share))
    table = pd.DataFrame(rows, columns=["column", "role", "reason", "distinct", "unique_share"]).set_index("column")
    return ColumnRoles(table=table)


# ---------------------------------------------------------------------------------------------
# pseudonyms and the plain-hash trap
# ---------------------------------------------------------------------------------------------
def _key_bytes(key: str | bytes) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes) or len(key) < 16:
        raise CdcourseError(
            "key must be a secret of at least 16 characters (str or bytes), kept apart from the released data; "
            "for example secrets.token_hex(16)"
        )
    return key


def keyed_hash(value: object, key: str | bytes, *, length: int = 16) -> str:
    """The HMAC-SHA256 pseudonym of one value (hex, first ``length`` characters).

    Examples
    --------
    >>> keyed_hash("0772123456", key="a-long-secret-key-0001")[:8]
    'a1c6e57e'
    """
    length = int(number(length, "length", low=8, high=64, integer=True))
    return hmac.new(_key_bytes(key), str(value).encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def pseudonymise(data: pd.DataFrame, columns: str | Sequence[str], *, key: str | bytes, length: int = 16,
                 prefix: str = ""):
    """Replace identifier columns by keyed pseudonyms (HMAC-SHA256 with your secret key).

    The same value always gets the same pseudonym (so files can still be linked by whoever holds
    the key), but without the key nobody can recompute or reverse it, unlike a plain hash. Values
    are hashed as text exactly as written: normalise spellings first (e.g. remove spaces in phone
    numbers). Missing values stay missing. Keep the key secret and apart from the data; destroy it
    if linking is never needed again.

    Examples
    --------
    >>> df = pd.DataFrame({"phone": ["0772123456", "0772123456", None]})
    >>> res = pseudonymise(df, "phone", key="a-long-secret-key-0001", length=8, prefix="P-")
    >>> res.data["phone"].tolist()
    ['P-a1c6e57e', 'P-a1c6e57e', nan]

    Source: NIST SP 800-188 (de-identifying government datasets) and ISO/IEC 20889 describe keyed
    hashing for pseudonymisation; HMAC is RFC 2104.
    """
    from cdcourse.privacy.methods import _result

    frame = as_frame(data)
    cols = require_columns(frame, columns, "columns")
    length = int(number(length, "length", low=8, high=64, integer=True))
    k = _key_bytes(key)
    out = frame.copy()
    for col in cols:
        s = frame[col]
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        # Hash each distinct value once; a million rows with few distinct ids stays fast.
        hashed = np.array([prefix + hmac.new(k, str(u).encode("utf-8"), hashlib.sha256).hexdigest()[:length]
                           for u in uniques], dtype=object)
        values = np.full(len(s), np.nan, dtype=object)
        known = codes >= 0
        values[known] = hashed[codes[known]]
        out[col] = pd.Series(values, index=s.index, dtype=object)
    return _result("pseudonymisation (HMAC-SHA256)", frame, out, cols, None, length=length, prefix=prefix)


def plain_hash(values: Iterable[object] | str, *, algorithm: str = "sha256", digits_only: bool = False) -> list[str]:
    """Plain (unkeyed) hex digests of values: what NOT to publish for identifiers.

    ``digits_only=True`` hashes only the digits of each value (as many tools do with phone numbers).

    Examples
    --------
    >>> plain_hash(["0772 123 456"], digits_only=True)[0][:12]
    '626fd4709c3c'
    """
    require_choice(algorithm, ["md5", "sha1", "sha256"], "algorithm")
    if isinstance(values, str):
        values = [values]
    out = []
    for v in values:
        text = re.sub(r"\D", "", str(v)) if digits_only else str(v)
        out.append(hashlib.new(algorithm, text.encode("utf-8")).hexdigest())
    return out


@dataclass(frozen=True)
class HashReversal:
    """What enumerating a number space recovered from plain hashes, and how long it took."""

    found: pd.DataFrame
    n_hashes: int
    tried: int
    seconds: float
    prefix: str
    digits: int
    full_space: int = 10**8

    @property
    def rate(self) -> float:
        """Candidates hashed per second on this machine."""
        return self.tried / self.seconds if self.seconds > 0 else float("inf")

    def seconds_for(self, space: int) -> float:
        """Estimated seconds to try ``space`` candidates at the measured rate."""
        return space / self.rate if self.rate > 0 else float("nan")

    def to_frame(self) -> pd.DataFrame:
        return self.found.copy()

    def __repr__(self) -> str:
        return f"HashReversal({self.summary()})"

    def summary(self) -> str:
        full = self.full_space
        return (
            f"Recovered {len(self.found)} of {self.n_hashes} value(s) by hashing {self.tried:,} candidate numbers "
            f"({self.prefix} followed by {self.digits} digits) in {self.seconds:.2f} s, about {self.rate:,.0f} per "
            f"second on one core. Every number of a mobile plan ({full:,} numbers, e.g. 07 and 8 digits) would take about "
            f"{self.seconds_for(full) / 60:,.1f} minutes: a plain hash protects nothing."
        )

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>" + self.found.head(20).to_html(index=False)


def reverse_plain_hashes(hashes: Iterable[str], *, prefix: str = "0772", digits: int = 6,
                         algorithm: str = "sha256", stop_when_found: bool = True,
                         full_space: int = 10**8) -> HashReversal:
    """Recover phone numbers from their plain hashes by hashing every number with the given prefix.

    A phone number has few possible values (a prefix and a handful of digits), so an attacker just
    hashes them all and looks the published hashes up (``full_space`` is only used to extrapolate the
    time for a whole numbering plan). This is the demonstration of why identifiers
    must be pseudonymised with a *secret key* (:func:`pseudonymise`), never with a plain hash.

    Examples
    --------
    >>> hashes = plain_hash(["0772000042"])
    >>> reverse_plain_hashes(hashes, prefix="07720000", digits=2).found["value"].tolist()
    ['0772000042']
    """
    require_choice(algorithm, ["md5", "sha1", "sha256"], "algorithm")
    digits = int(number(digits, "digits", low=1, high=9, integer=True))
    if not re.fullmatch(r"\+?\d*", prefix):
        raise CdcourseError(f"prefix must be digits (optionally after '+'); got {prefix!r}")
    targets = {h.lower() for h in hashes}
    found: dict[str, str] = {}
    new = getattr(hashlib, algorithm)
    start = time.perf_counter()
    tried = 0
    for i in range(10**digits):
        candidate = f"{prefix}{i:0{digits}d}"
        h = new(candidate.encode()).hexdigest()
        tried += 1
        if h in targets:
            found[h] = candidate
            if stop_when_found and len(found) == len(targets):
                break
    seconds = time.perf_counter() - start
    table = pd.DataFrame({"hash": list(found.keys()), "value": list(found.values())})
    return HashReversal(found=table, n_hashes=len(targets), tried=tried, seconds=seconds, prefix=prefix, digits=digits,
                        full_space=int(full_space))
