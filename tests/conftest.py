"""Shared fixtures. Dataset fixtures load once per session; tests must not modify them."""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # tests never open windows

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def population():
    from cdcourse.datasets import load

    return load("population")


@pytest.fixture(scope="session")
def survey():
    from cdcourse.datasets import load

    return load("community_survey")


@pytest.fixture(scope="session")
def survey_raw():
    from cdcourse.datasets import load

    return load("community_survey_raw")
