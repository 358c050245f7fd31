"""Reports read from the journal: the leaderboard."""

from fitfinder.report.leaderboard import leaderboard

__all__ = ["leaderboard"]
