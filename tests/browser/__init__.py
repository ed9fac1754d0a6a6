"""Helpers for the real-browser tests (see lab.py)."""
