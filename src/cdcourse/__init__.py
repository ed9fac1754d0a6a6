"""Citizen Data Course Kit: helpers for producing and reusing citizen data.

The skill modules (``sampling``, ``cleaning``, ``privacy``, ``quality``, ``connect``) are pure:
a DataFrame goes in, a new DataFrame or a small result object comes out. ``checks``, ``widgets``
and ``grading`` sit on top of them. Import what you need, for example
``from cdcourse import sampling`` or ``from cdcourse.datasets import load``.
"""
from cdcourse.errors import CdcourseError

__all__ = ["CdcourseError", "__version__"]
__version__ = "0.1.0"
