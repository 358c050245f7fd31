"""The task interface: what is learnt, and everything about it that the shared stages must not
decide themselves.

A task turns the user's data into a :class:`Problem` (the trial data, its validation plan and
notes), says whether its plan can be redrawn for the recheck guard, and turns the search's
final pipeline into the model users hold. The search, the trials, the journal and the ensemble
only see a ``Problem``; nothing else branches on the task.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fitfinder.ensemble.build import WIN_SHARE
from fitfinder.errors import ConfigError

if TYPE_CHECKING:
    from fitfinder.data import SplitPlan
    from fitfinder.trials import TrialData


@dataclass
class Problem:
    """A prepared learning problem: the data every trial sees and how it is validated."""

    data: TrialData
    plan: SplitPlan
    notes: list[str] = field(default_factory=list)
    state: Any = None  # what the task keeps for building its model (labels, panel facts)
    weighted: bool = False  # the user's rows carry weights that every fit must honour
    #: share of bootstrap resamples an ensemble must win on to replace the best single trial
    ensemble_win_share: float = WIN_SHARE


@dataclass
class Validation:
    """The final model's validation predictions: ``rows`` of the data and their predictions."""

    rows: np.ndarray
    predictions: np.ndarray


class Task(ABC):
    """One kind of learning problem (tabular, forecast, ...)."""

    #: names a user may give as ``task=`` for this task
    names: tuple[str, ...] = ()
    #: the keywords ``fit`` takes besides the data
    fit_keywords: tuple[str, ...] = ()

    def check_keywords(self, keywords: dict) -> None:
        """ConfigError naming a ``fit`` keyword this task does not take."""
        unknown = [k for k in keywords if k not in self.fit_keywords]
        if unknown:
            raise ConfigError(
                f"fit() of a {self.names[0]} task does not take {', '.join(unknown)}; "
                f"it takes {', '.join(self.fit_keywords)}"
            )

    @abstractmethod
    def prepare(self, settings: Any, X: Any, y: Any, **keywords: Any) -> Problem:
        """Read the data given to ``fit`` (``settings`` is the AutoML with its options)."""

    def second_split(self, problem: Problem, seed: int) -> list | None:
        """Folds of the same kind drawn anew (for the recheck guard), or None if there are
        none to draw (the guard is then skipped)."""
        return None

    @abstractmethod
    def model(
        self, problem: Problem, pipeline: Any, info: dict, validation: Validation | None
    ) -> Any:
        """The model users hold: the final ``pipeline`` with what it needs to answer."""

    @abstractmethod
    def load(self, folder: Path) -> Any:
        """The model saved in ``folder`` (a directory its ``save`` wrote)."""

    @abstractmethod
    def add_routes(self, app: Any, folder: Path, settings: Any, metrics: Any) -> str:
        """Add this task's ``/predict``, ``/schema`` and ``/metadata`` to the FastAPI ``app``
        serving the model in ``folder`` (``settings``: :class:`fitfinder.serve.http.ServeSettings`);
        returns the kind of backend that answers."""

    def describe_model(self, model: Any) -> list[str]:
        """Lines the fit reports about the model beyond its score (none by default)."""
        return []
