"""Sub-command groups of the ``cdcourse`` command (see cdcourse.cli)."""
