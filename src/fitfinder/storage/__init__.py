"""The journal: the single record of every run and trial (SQLite by default, or PostgreSQL)."""

from fitfinder.storage.journal import Journal, RunRecord, TrialRecord, default_url

__all__ = ["Journal", "RunRecord", "TrialRecord", "default_url"]
