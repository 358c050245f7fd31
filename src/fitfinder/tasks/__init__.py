"""Tasks: what is being learnt. Each owns its target handling, validation, metrics and model
(see :mod:`fitfinder.tasks.base`); the shared stages only see the :class:`Problem` it makes."""

from __future__ import annotations

from fitfinder.errors import ConfigError
from fitfinder.tasks.base import Problem, Task, Validation

__all__ = ["Problem", "Task", "Validation", "get_task", "task_names"]


def _tasks() -> list[Task]:
    from fitfinder.tasks.forecast.task import ForecastTask
    from fitfinder.tasks.rank.task import RankTask
    from fitfinder.tasks.tabular import TabularTask

    return [TabularTask(), ForecastTask(), RankTask()]


def task_names() -> list[str]:
    """Every name ``task=`` accepts."""
    return [name for task in _tasks() for name in task.names]


def get_task(name: str | None) -> Task:
    """The task called ``name``; None is a table whose kind is inferred from the target."""
    tasks = _tasks()
    if name is None:
        return tasks[0]
    for task in tasks:
        if name in task.names:
            return task
    raise ConfigError(f"unknown task {name!r}; use one of: {', '.join(task_names())}")
