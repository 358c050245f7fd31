"""The registry of estimator families, in the order the search first tries them (cheap first)."""

from __future__ import annotations

from fitfinder.errors import ConfigError
from fitfinder.estimators import extra_trees, glm, hist_gb, knn, lgbm, rf, svm, xgb
from fitfinder.estimators.base import Family

# Adding a family: one module declaring FAMILY, and one line here.
FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        glm.FAMILY,
        lgbm.FAMILY,
        xgb.FAMILY,
        hist_gb.FAMILY,
        extra_trees.FAMILY,
        rf.FAMILY,
        knn.FAMILY,
        svm.FAMILY,
    )
}


def get_family(name: str) -> Family:
    """The family called ``name``; ConfigError naming the valid ones if there is none."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ConfigError(
            f"unknown estimator '{name}'; choose from: {', '.join(FAMILIES)}"
        ) from None


def select_families(names: list[str] | None, task: str, n_rows: int) -> list[Family]:
    """The families to search for ``task``.

    ``None`` means every family that serves the task and accepts ``n_rows`` rows; explicit
    ``names`` are all validated and kept in the order given (duplicates dropped), whatever
    their ``max_rows``.
    """
    if names is None:
        return [
            family
            for family in FAMILIES.values()
            if family.serves(task) and (family.max_rows is None or n_rows <= family.max_rows)
        ]
    if not names:
        raise ConfigError(f"no estimators given; choose from: {', '.join(FAMILIES)}")
    families = [get_family(name) for name in dict.fromkeys(names)]
    for family in families:
        if not family.serves(task):
            raise ConfigError(
                f"estimator '{family.name}' does not serve the {task} task; "
                f"remove it from estimators or choose from: {', '.join(_serving(task))}"
            )
    return families


def _serving(task: str) -> list[str]:
    return [name for name, family in FAMILIES.items() if family.serves(task)]
