"""Survey sampling: how many to interview, how to select them, and how to estimate with honest uncertainty.

Pure functions, DataFrame in and a new DataFrame or a small result out; randomness through ``seed=``.

- sample size: :func:`sample_size_proportion`, :func:`sample_size_mean`, :func:`design_effect_cluster`,
  :func:`design_effect_kish`, :func:`effective_sample_size`;
- selection (each adds ``inclusion_prob`` and ``design_weight``): :func:`simple_random_sample`,
  :func:`systematic_sample`, :func:`stratified_sample` with :func:`allocate`, :func:`pps_sample`,
  :func:`two_stage_sample`;
- estimation with Taylor-linearised standard errors: :func:`estimate_mean`, :func:`estimate_total`,
  :func:`estimate_proportion` (results :class:`Estimate` and :class:`DomainEstimates`);
- weights to known totals: :func:`poststratify`, :func:`rake` (result :class:`Calibration`).

Examples
--------
>>> from cdcourse import sampling
>>> sampling.sample_size_proportion(0.5, 0.05)
SampleSize(385)
"""
from cdcourse.sampling.calibrate import Calibration, poststratify, rake
from cdcourse.sampling.estimate import DomainEstimates, Estimate, estimate_mean, estimate_proportion, estimate_total
from cdcourse.sampling.select import (
    allocate,
    pps_sample,
    simple_random_sample,
    stratified_sample,
    systematic_sample,
    two_stage_sample,
)
from cdcourse.sampling.size import (
    SampleSize,
    design_effect_cluster,
    design_effect_kish,
    effective_sample_size,
    sample_size_mean,
    sample_size_proportion,
    z_value,
)

__all__ = [
    "Calibration",
    "DomainEstimates",
    "Estimate",
    "SampleSize",
    "allocate",
    "design_effect_cluster",
    "design_effect_kish",
    "effective_sample_size",
    "estimate_mean",
    "estimate_proportion",
    "estimate_total",
    "poststratify",
    "pps_sample",
    "rake",
    "sample_size_mean",
    "sample_size_proportion",
    "simple_random_sample",
    "stratified_sample",
    "systematic_sample",
    "two_stage_sample",
    "z_value",
]
