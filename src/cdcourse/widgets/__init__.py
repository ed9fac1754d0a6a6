"""Interactive explorers for the lessons, each a thin view over pure functions.

The pattern is :class:`cdcourse.widgets.base.Explorer`; each lesson's explorer lives in its own
submodule (``cdcourse.widgets.explorer`` for the dataset explorer, ``cdcourse.widgets.sampling``,
...), imported by submodule so that importing one does not import them all.
"""
