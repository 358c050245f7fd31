"""The error types users see. Each carries a one-line message: what is wrong, where, what to do."""

from __future__ import annotations


class FitfinderError(Exception):
    """Base class of every error fitfinder raises on purpose; its message is one line (line
    breaks that come from the data, a column name say, are shown escaped)."""

    def __str__(self) -> str:
        return super().__str__().replace("\r", "\\r").replace("\n", "\\n")


class DataError(FitfinderError, ValueError):
    """The data given cannot be used as it is (missing file, bad target, missing columns...)."""


class ConfigError(FitfinderError, ValueError):
    """A setting is unknown or out of range (metric, family, task, budget...)."""


class ModelError(FitfinderError):
    """A saved model cannot be loaded or used (wrong directory, incompatible version...)."""


class ResumeError(FitfinderError):
    """A run cannot be resumed because its data or settings changed."""


class JournalBusyError(FitfinderError):
    """Another live process is writing the same journal (a second fit or resume of a run)."""


class MissingExtraError(FitfinderError, ImportError):
    """An optional part needs an extra that is not installed."""

    def __init__(self, part: str, extra: str):
        super().__init__(f"{part} needs the [{extra}] extra: pip install 'fitfinder[{extra}]'")
