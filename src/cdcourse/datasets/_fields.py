"""Every field of every dataset, defined once.

The loader's dtypes, the Frictionless ``datapackage.json`` and the human ``codebook.md`` are all
built from the definitions below, so they cannot disagree. Constraints (``enum``, ``minimum``,
``maximum``, ``required``, ``pattern``, ``unique``) are real: the clean datasets satisfy them, and
the cleaning and quality modules may read them as validation rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from cdcourse.datasets._geo import DISTRICTS, REGIONS


@dataclass(frozen=True)
class Field:
    """One column: Table Schema type, description and constraints.

    ``decimals`` fixes how floats are written (rounded), so the CSV bytes do not depend on the
    platform's last-bit arithmetic; ``None`` writes the shortest exact representation.
    """

    name: str
    type: str  # Table Schema type: string, integer, number, boolean, date, datetime
    description: str
    enum: tuple | None = None
    ordered: bool = False  # an ordered category (education, age_group)
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False
    unique: bool = False
    pattern: str | None = None
    decimals: int | None = None
    categorical: bool | None = None  # load as pandas category; default: True when enum is set

    def constraints(self) -> dict:
        out: dict = {}
        if self.required:
            out["required"] = True
        if self.unique:
            out["unique"] = True
        if self.enum is not None:
            out["enum"] = list(self.enum)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.pattern is not None:
            out["pattern"] = self.pattern
        return out

    @property
    def is_category(self) -> bool:
        return self.enum is not None and self.type == "string" if self.categorical is None else self.categorical


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    #: (fields, referenced dataset, referenced fields): each value must exist in that dataset.
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


DISTRICT_CODES = tuple(DISTRICTS)
DISTRICT_NAMES = tuple(v[0] for v in DISTRICTS.values())
REGION_CODES = tuple(REGIONS)
REGION_NAMES = tuple(REGIONS.values())
RELATIONSHIPS = ("head", "spouse", "child", "other relative", "non-relative")
SEXES = ("female", "male")
LANGUAGES = ("Amari", "Bensi", "Saro")
EDUCATION = ("none", "primary", "secondary", "tertiary")
WATER_SOURCES = ("piped into dwelling", "public tap", "protected well", "unprotected well", "surface water")
WG_DOMAINS = ("seeing", "hearing", "walking", "remembering", "selfcare", "communicating")
WG_TEXT = {
    "seeing": "difficulty seeing, even if wearing glasses",
    "hearing": "difficulty hearing, even if using a hearing aid",
    "walking": "difficulty walking or climbing steps",
    "remembering": "difficulty remembering or concentrating",
    "selfcare": "difficulty with self-care, such as washing all over or dressing",
    "communicating": "difficulty communicating (understanding or being understood) in the usual language",
}
AGE_GROUPS = ("0-14", "15-24", "25-49", "50-64", "65+", "total")
MAP_CATEGORIES = ("water point", "hazard", "unsafe place")
MAP_SUBTYPES = ("borehole", "tap", "protected well", "flooding", "open drain", "landslide",
                "unlit path", "abandoned building", "isolated bus stop")
CONDITIONS = ("working", "needs repair", "broken", "n/a")
FACILITY_TYPES = ("health clinic", "school", "water point")
AUDIT_GROUPS = ("women", "youth", "persons with disabilities", "men")
AUDIT_INDICATORS = ("staff attitude", "waiting time", "cleanliness", "accessibility", "information")
CHANNELS = ("sms", "web", "whatsapp")
REPORT_CATEGORIES = ("water outage", "flooding", "harassment", "power cut", "road damage", "waste")

_ID = r"^P\d{7,}$"


def _geo_fields() -> list[Field]:
    return [
        Field("district_code", "string", "District code (D01-D12); the survey strata.", enum=DISTRICT_CODES,
              required=True),
        Field("district", "string", "District name.", enum=DISTRICT_NAMES, required=True),
    ]


def _person_fields(*, survey: bool) -> list[Field]:
    """Person and household characteristics shared by the population and the clean survey."""
    wg = [
        Field(f"wg_{d}", "integer",
              f"Washington Group short set: {WG_TEXT[d]}. 1 no difficulty, 2 some difficulty, "
              "3 a lot of difficulty, 4 cannot do at all. Missing for persons under 5.",
              minimum=1, maximum=4)
        for d in WG_DOMAINS
    ]
    out = [
        Field("relationship", "string", "Relationship to the head of household.", enum=RELATIONSHIPS,
              required=True),
        Field("age", "integer", "Age in completed years.", minimum=0, maximum=99, required=True),
        Field("sex", "string", "Sex as reported.", enum=SEXES, required=True),
        Field("language_group", "string",
              "Home language group. Saro is the marginalised minority, more common in the capital's "
              "informal settlement and the rural east.", enum=LANGUAGES, required=True),
        *wg,
        Field("disability", "boolean",
              "Washington Group disability identifier: true when any wg_* is 3 or 4 (a lot of difficulty "
              "or cannot do at all). Missing for persons under 5."),
        Field("education", "string", "Highest level of education attended. Missing for persons under 15.",
              enum=EDUCATION, ordered=True),
        Field("water_source", "string", "Main source of drinking water of the household.",
              enum=WATER_SOURCES, required=True),
        Field("improved_water", "boolean",
              "Household uses an improved source (piped into dwelling, public tap or protected well).",
              required=True),
        Field("water_minutes", "number",
              "Household round-trip time to collect drinking water, in minutes; 0 when piped into the "
              "dwelling.", minimum=0, required=True, decimals=1),
        Field("monthly_income", "number",
              "Household monthly cash income in Lumerian dinar (LMD); right-skewed, a few very large.",
              minimum=0, required=True, decimals=0),
        Field("feels_safe_night", "boolean",
              "Feels safe walking alone in the neighbourhood after dark. Persons 15 and over only."),
        Field("in_school", "boolean", "Currently attends school. Persons aged 6-17 only."),
        Field("hh_lat", "number", "Latitude of the dwelling (WGS84 degrees).", minimum=-4.0, maximum=-1.0,
              required=True, decimals=5),
        Field("hh_lon", "number", "Longitude of the dwelling (WGS84 degrees).", minimum=30.0, maximum=33.0,
              required=True, decimals=5),
    ]
    return out


POPULATION = Dataset(
    "population",
    "Population of Lumeria (the truth and sampling frame)",
    "Every person in every household of the Republic of Lumeria, a fictional country. This is the "
    "truth that samples estimate and the frame the community survey is drawn from. No deliberate "
    "problems.",
    (
        Field("person_id", "string", "Person identifier.", pattern=_ID, required=True, unique=True),
        Field("household_id", "string", "Household identifier.", pattern=r"^H\d{6,}$", required=True),
        Field("ea_id", "string", "Enumeration area (EA) identifier; the survey's primary sampling unit.",
              pattern=r"^EA\d{4,}$", required=True),
        *_geo_fields(),
        Field("region_code", "string", "Region code (R1-R4).", enum=REGION_CODES, required=True),
        Field("region", "string", "Region name.", enum=REGION_NAMES, required=True),
        Field("urban_rural", "string", "Urban or rural enumeration area.", enum=("urban", "rural"),
              required=True),
        Field("settlement", "string",
              "Formal or informal settlement. The informal EAs (all in the capital district) are "
              "missing from official_statistics.", enum=("formal", "informal"), required=True),
        Field("household_size", "integer", "Number of members of the household.", minimum=1, maximum=30,
              required=True),
        *_person_fields(survey=False),
    ),
    primary_key=("person_id",),
)

COMMUNITY_SURVEY = Dataset(
    "community_survey",
    "Community survey, clean, with design weights",
    "A civil-society household survey drawn from the population by a two-stage stratified cluster "
    "design: strata are the 12 districts; stage 1 selects a fixed number of EAs per district by "
    "systematic PPS (size = households in the EA, frame sorted by EA id); stage 2 selects 15 "
    "households by simple random sampling without replacement in each selected EA (all of them if "
    "the EA has fewer); every member of a selected household is listed. Refusing households are "
    "dropped and the design weights of the responding households are adjusted within each stratum. "
    "One row per person interviewed. This is the cleaned version of community_survey_raw.",
    (
        Field("submission_id", "string", "Identifier of the household interview (one per household).",
              pattern=r"^uuid:[0-9a-f-]{36}$", required=True),
        Field("household_id", "string", "Household identifier (as in population).", pattern=r"^H\d{6,}$",
              required=True),
        Field("person_id", "string", "Person identifier (as in population).", pattern=_ID, required=True,
              unique=True),
        Field("line_no", "integer", "Line number of the person in the household roster (1 = head).",
              minimum=1, required=True),
        *_geo_fields(),
        Field("stratum", "string", "Design stratum (= district_code).", enum=DISTRICT_CODES, required=True),
        Field("ea_id", "string", "Enumeration area.", pattern=r"^EA\d{4,}$", required=True),
        Field("psu", "string", "Primary sampling unit (= ea_id).", pattern=r"^EA\d{4,}$", required=True),
        Field("urban_rural", "string", "Urban or rural EA.", enum=("urban", "rural"), required=True),
        Field("settlement", "string", "Formal or informal settlement.", enum=("formal", "informal"),
              required=True),
        Field("interview_date", "date", "Date of the interview.", required=True),
        Field("enumerator_id", "string", "Enumerator who conducted the interview.", pattern=r"^ENUM\d{2}$",
              required=True),
        Field("start_time", "datetime", "Start of the interview (local time).", required=True),
        Field("end_time", "datetime", "End of the interview (local time).", required=True),
        Field("duration_min", "number", "Interview length in minutes (end_time - start_time).", minimum=0,
              required=True, decimals=2),
        Field("hh_lat", "number", "Latitude of the dwelling (WGS84 degrees) recorded by the tablet.",
              minimum=-4.0, maximum=-1.0, required=True, decimals=5),
        Field("hh_lon", "number", "Longitude of the dwelling (WGS84 degrees) recorded by the tablet.",
              minimum=30.0, maximum=33.0, required=True, decimals=5),
        Field("consent", "string", "Informed consent given (only consenting households are kept).",
              enum=("yes",), required=True),
        *[f for f in _person_fields(survey=True) if f.name not in ("hh_lat", "hh_lon")],
        Field("prob_ea", "number", "First-stage inclusion probability of the EA (n_h * M_i / M_h, or 1 for "
              "a certainty EA).", minimum=0, maximum=1, required=True),
        Field("prob_hh", "number", "Second-stage inclusion probability of the household within its EA "
              "(take / households_ea).", minimum=0, maximum=1, required=True),
        Field("inclusion_prob", "number", "Overall inclusion probability (prob_ea * prob_hh).", minimum=0,
              maximum=1, required=True),
        Field("design_weight", "number", "Design weight, 1 / inclusion_prob.", minimum=1, required=True),
        Field("weight", "number",
              "Analysis weight: design_weight times the household non-response adjustment of the stratum, "
              "so that the weights of responding households (one per household) add up to the frame's "
              "household count in each stratum.", minimum=1, required=True),
        Field("n_ea_stratum", "integer", "Number of EAs in the stratum's frame.", minimum=1, required=True),
        Field("households_ea", "integer", "Number of households in the EA in the frame (the PPS size).",
              minimum=1, required=True),
    ),
    primary_key=("person_id",),
    foreign_keys=((("person_id",), "population", ("person_id",)),),
)

_RAW_PROBLEM = "See problem_log for every injected problem."

COMMUNITY_SURVEY_RAW = Dataset(
    "community_survey_raw",
    "Community survey, raw export of the mobile data-collection tool",
    "The community survey as the data-collection tool exported it: one row per person of every "
    "submitted household interview, plus one row per refusal, with messy labels, several date "
    "formats, missing-value codes, impossible ages, double submissions, records without consent "
    "and an implausibly fast enumerator. Contains direct identifiers (invented respondent names and "
    "phone numbers) that must be removed before release. " + _RAW_PROBLEM,
    (
        Field("submission_id", "string", "Submission identifier; a double submission may repeat it or carry "
              "a new one.", required=True),
        Field("_submission_time", "datetime", "When the server received the submission.", required=True),
        Field("start", "datetime", "Form opened on the tablet (local time)."),
        Field("end", "datetime", "Form finalised on the tablet (local time)."),
        Field("enumerator", "string", "Enumerator id as typed into the form.", required=True),
        Field("consent", "string", "Consent answer as recorded (variants of yes and no).", required=True),
        Field("gps_lat", "number", "Latitude captured by the tablet; blank when no fix."),
        Field("gps_lon", "number", "Longitude captured by the tablet; blank when no fix."),
        Field("district", "string", "District as selected or typed (mixed spellings, case, whitespace, "
              "code prefixes).", required=True),
        Field("ea_id", "string", "Enumeration area.", required=True),
        Field("household_id", "string", "Household identifier from the listing.", required=True),
        Field("line_no", "integer", "Roster line of the person; blank on a refusal row."),
        Field("interview_date", "string", "Interview date as typed, in several formats (2024-03-05, "
              "05/03/2024 day first, March 5, 2024, 5-Mar-24)."),
        Field("age", "integer", "Age as recorded: contains impossible values and the codes -99 "
              "(unknown) and 98 (don't know). No true age in Lumeria is 98 or over."),
        Field("sex", "string", "Sex as recorded: mixed labels (F, female, Female, fem, M, male, and the "
              "codes 1 = male, 2 = female)."),
        Field("language_group", "string", "Language group as typed (mixed spellings)."),
        Field("relationship", "string", "Relationship to the head as recorded (mixed case)."),
        *[
            Field(f"wg_{d}", "integer", f"Washington Group {WG_TEXT[d]}: 1-4 as in community_survey, plus "
                  "the codes 8 = don't know and 9 = refused.")
            for d in WG_DOMAINS
        ],
        Field("education", "string", "Education as recorded (mixed labels)."),
        Field("water_source", "string", "Water source as recorded (mixed labels)."),
        Field("water_minutes", "string", "Water collection minutes as recorded; \"n/a\" and -99 for "
              "unknown."),
        Field("monthly_income", "string", "Monthly income as recorded; -99 and 98 codes and \"n/a\" for "
              "unknown or refused."),
        Field("feels_safe_night", "string", "yes / no as recorded; \"n/a\" for persons under 15."),
        Field("in_school", "string", "yes / no as recorded; \"n/a\" outside ages 6-17."),
        Field("respondent_name", "string", "Name of the respondent (DIRECT IDENTIFIER, invented)."),
        Field("respondent_phone", "string", "Phone of the respondent (DIRECT IDENTIFIER, invented)."),
    ),
)

OFFICIAL_STATISTICS = Dataset(
    "official_statistics",
    "Official statistics published by the National Statistics Office",
    "District tables published by the fictional Lumeria National Statistics Office for 2024, in long "
    "format. Deliberate gaps: no disability breakdown at all; the Saro minority counted at about 60% "
    "of its true size; the capital's informal settlement EAs missing from every figure.",
    (
        Field("year", "integer", "Reference year.", minimum=2024, maximum=2024, required=True),
        *_geo_fields(),
        Field("sex", "string", "Sex, or total.", enum=("female", "male", "total"), required=True),
        Field("age_group", "string", "Age group in years, or total.", enum=AGE_GROUPS, ordered=True,
              required=True),
        Field("language_group", "string", "Language group, or total.", enum=(*LANGUAGES, "total"),
              required=True),
        Field("indicator", "string",
              "population: persons counted; improved_water_pct: % of persons in households using an "
              "improved water source; in_school_pct: % of children aged 6-17 attending school (published "
              "for age_group total only).",
              enum=("population", "improved_water_pct", "in_school_pct"), required=True),
        Field("value", "number", "Value of the indicator.", minimum=0, required=True, decimals=1),
        Field("source", "string", "Publication the figure comes from.", required=True),
    ),
    primary_key=("district_code", "sex", "age_group", "language_group", "indicator"),
)

PARTICIPATORY_MAP = Dataset(
    "participatory_map",
    "Participatory map: points mapped by residents",
    "Water points, hazards and unsafe places mapped by resident volunteers with a phone app. Several "
    "mappers often map the same feature (points a few metres apart); some points fall outside the "
    "country; some have latitude and longitude swapped. feature_id identifies the true feature so "
    "that de-duplication can be graded.",
    (
        Field("point_id", "string", "Mapped point identifier.", pattern=r"^PT\d{5,}$", required=True,
              unique=True),
        Field("mapper_id", "string", "Volunteer mapper identifier.", pattern=r"^M\d{3,}$", required=True),
        Field("mapped_at", "datetime", "When the point was recorded (local time).", required=True),
        Field("district_code", "string", "District the mapper worked in.", enum=DISTRICT_CODES,
              required=True),
        Field("category", "string", "Kind of feature.", enum=MAP_CATEGORIES, required=True),
        Field("subtype", "string", "Subtype of the feature.", enum=MAP_SUBTYPES, required=True),
        Field("condition", "string", "Condition of a water point; n/a for other categories.",
              enum=CONDITIONS, required=True),
        Field("lat", "number", "Latitude as recorded (may be swapped with lon or out of range).",
              required=True, decimals=6),
        Field("lon", "number", "Longitude as recorded.", required=True, decimals=6),
        Field("feature_id", "string", "The true feature mapped (kept for grading de-duplication).",
              pattern=r"^F\d{5,}$", required=True),
    ),
    primary_key=("point_id",),
)

SOCIAL_AUDIT = Dataset(
    "social_audit",
    "Social audit: community score cards",
    "Community score cards of clinics, schools and water points: separate groups (women, youth, "
    "persons with disabilities, men) score the facility on several indicators. Most sessions use a "
    "1-5 scale, some 0-10 and some 0-100 (inconsistent scales, logged in problem_log); scale_min and "
    "scale_max say which.",
    (
        Field("audit_id", "string", "Score-card session (one facility, one group).", pattern=r"^A\d{4,}$",
              required=True),
        Field("facility_id", "string", "Facility identifier.", pattern=r"^FAC\d{3,}$", required=True),
        Field("facility_type", "string", "Type of facility.", enum=FACILITY_TYPES, required=True),
        Field("district_code", "string", "District of the facility.", enum=DISTRICT_CODES, required=True),
        Field("session_date", "date", "Date of the score-card session.", required=True),
        Field("group", "string", "Group that scored.", enum=AUDIT_GROUPS, required=True),
        Field("indicator", "string", "What was scored.", enum=AUDIT_INDICATORS, required=True),
        Field("score", "number", "Score given by the group, on the session's scale.", minimum=0,
              maximum=100, required=True, decimals=0),
        Field("scale_min", "integer", "Lowest possible score of the session's scale.", enum=(0, 1),
              required=True, categorical=False),
        Field("scale_max", "integer", "Highest possible score of the session's scale.", enum=(5, 10, 100),
              required=True, categorical=False),
    ),
    primary_key=("audit_id", "indicator"),
)

CROWD_REPORTS = Dataset(
    "crowd_reports",
    "Crowd-sourced incident reports",
    "Incident reports sent by residents by SMS, web form or WhatsApp. Several reports of the same "
    "incident are near-duplicates (they share incident_id); many are unverified; some texts contain "
    "personal data (invented names, phone numbers, e-mail addresses) that must be redacted before "
    "release.",
    (
        Field("report_id", "string", "Report identifier.", pattern=r"^R\d{5,}$", required=True, unique=True),
        Field("received_at", "datetime", "When the report was received.", required=True),
        Field("channel", "string", "Channel the report came in by.", enum=CHANNELS, required=True),
        Field("category", "string", "Category chosen by the sender.", enum=REPORT_CATEGORIES,
              required=True),
        Field("district_code", "string", "District of the incident.", enum=DISTRICT_CODES, required=True),
        Field("lat", "number", "Latitude of the incident (approximate).", minimum=-4.0, maximum=-1.0,
              required=True, decimals=5),
        Field("lon", "number", "Longitude of the incident (approximate).", minimum=30.0, maximum=33.0,
              required=True, decimals=5),
        Field("text", "string", "Free text of the report (may contain personal data).", required=True),
        Field("verified", "boolean", "Verified by the monitoring team.", required=True),
        Field("incident_id", "string", "The true incident (near-duplicate reports share it).",
              pattern=r"^I\d{5,}$", required=True),
    ),
    primary_key=("report_id",),
)

PROBLEM_LOG = Dataset(
    "problem_log",
    "Log of every deliberately injected problem",
    "Machine-readable log of every problem the generator injected, so cleaning can be graded against "
    "the truth. record_key is submission_id#line_no for a person row of community_survey_raw (the "
    "submission_id alone for a refusal row), point_id, audit_id#indicator, report_id, or "
    "district_code / ea_id for official_statistics gaps.",
    (
        Field("dataset", "string", "Dataset the problem is in.",
              enum=("community_survey_raw", "official_statistics", "participatory_map", "social_audit",
                    "crowd_reports"), required=True),
        Field("record_key", "string", "Which record (see the dataset description).", required=True),
        Field("column", "string", "Which column the problem is in."),
        Field("problem", "string", "Kind of problem.", required=True),
        Field("original_value", "string", "The true value (as the clean dataset writes it)."),
        Field("injected_value", "string", "The value as it appears in the dataset."),
        Field("note", "string", "Plain-language detail."),
    ),
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (POPULATION, OFFICIAL_STATISTICS, COMMUNITY_SURVEY_RAW, COMMUNITY_SURVEY, PARTICIPATORY_MAP,
              SOCIAL_AUDIT, CROWD_REPORTS, PROBLEM_LOG)
}
