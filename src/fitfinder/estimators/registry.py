"""The registry of estimator families, in the order the search first tries them (cheap first)."""

from __future__ import annotations

import logging
from typing import Any

from fitfinder.errors import ConfigError, MissingExtraError
from fitfinder.estimators import extra_trees, glm, hist_gb, knn, lgbm, neural, rf, svm, xgb
from fitfinder.estimators.base import TASKS, Family
from fitfinder.tasks.forecast import families as forecast_families
from fitfinder.tasks.forecast import neural as forecast_neural
from fitfinder.tasks.rank import families as rank_families
from fitfinder.tasks.text import embed as text_embed
from fitfinder.tasks.text import neural as text_neural
from fitfinder.tasks.text.families import boosting as text_boosting
from fitfinder.tasks.text.families import embedding as text_embedding
from fitfinder.tasks.text.families import linear as text_linear
from fitfinder.tasks.text.families import naive_bayes as text_nb
from fitfinder.tasks.text.families import nbsvm as text_nbsvm
from fitfinder.tasks.text.families import svm as text_svm
from fitfinder.tasks.text.families.common import text_only

log = logging.getLogger("fitfinder")

# Adding a family: one module declaring FAMILY, and one line here.
FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        text_linear.FAMILY,
        text_nb.FAMILY,
        text_nbsvm.FAMILY,
        text_embedding.LINEAR,
        glm.FAMILY,
        lgbm.FAMILY,
        text_svm.FAMILY,
        xgb.FAMILY,
        text_boosting.FAMILY,
        text_embedding.LIGHTGBM,
        hist_gb.FAMILY,
        extra_trees.FAMILY,
        rf.FAMILY,
        knn.FAMILY,
        svm.FAMILY,
        neural.FAMILY,
        text_neural.FAMILY,
        *forecast_families.FAMILIES,
        forecast_neural.FAMILY,
        *rank_families.FAMILIES,
    )
}
#: Families that need an optional extra: name -> module with ``EXTRA`` and ``available()``.
OPTIONAL = {
    neural.FAMILY.name: neural,
    text_neural.FAMILY.name: text_neural,
    **{family.name: text_embed for family in text_embedding.FAMILIES},
    forecast_neural.FAMILY.name: forecast_neural,
    **{family.name: forecast_families for family in forecast_families.FAMILIES},
}


def get_family(name: str) -> Family:
    """The family called ``name``; ConfigError naming the valid ones if there is none."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ConfigError(
            f"unknown estimator '{name}'; choose from: {', '.join(FAMILIES)}"
        ) from None


def select_families(
    names: list[str] | None,
    task: str,
    n_rows: int,
    time_budget: float | None = None,
    schema: Any = None,
    weighted: bool = False,
) -> list[Family]:
    """The families to search for ``task`` on data of ``schema``.

    ``None`` means every family that serves the task, applies to the schema (text families
    need a text column; without a schema they are left out; when every feature is text, the
    tabular families are) and accepts ``n_rows`` rows, less those whose optional extra is not installed (one info line each); explicit ``names`` are
    all validated (MissingExtraError for a family without its extra) and kept in the order
    given (duplicates dropped), whatever their ``max_rows`` and ``min_budget``.
    """
    if names is None:
        return [
            family
            for family in FAMILIES.values()
            if family.serves(task)
            and _applies(family, schema)
            and not _superseded(family, task, schema)
            and _weights_allowed(family, weighted, explicit=False)
            and (family.max_rows is None or n_rows <= family.max_rows)
            and _budget_allows(family, time_budget)
            and _installed(family.name, explicit=False)
        ]
    if not names:
        raise ConfigError(f"no estimators given; choose from: {', '.join(FAMILIES)}")
    families = [get_family(name) for name in dict.fromkeys(names)]
    for family in families:
        _installed(family.name, explicit=True)
        if not family.serves(task):
            raise ConfigError(
                f"estimator '{family.name}' does not serve the {task} task; "
                f"remove it from estimators or choose from: {', '.join(_serving(task))}"
            )
        if schema is not None and not _applies(family, schema):
            raise ConfigError(
                f"estimator '{family.name}' needs {family.applies.needs}, which this data lacks; "
                "remove it from estimators"
            )
        _weights_allowed(family, weighted, explicit=True)
    return families


def _weights_allowed(family: Family, weighted: bool, explicit: bool) -> bool:
    """Whether ``family`` may fit weighted rows; a family that cannot honour the weights is
    left out of the default set (one info line) and refused when asked for."""
    if not weighted or family.supports_sample_weight:
        return True
    if explicit:
        raise ConfigError(
            f"estimator '{family.name}' cannot honour sample_weight; remove it from estimators "
            "or fit without weights"
        )
    log.info("the %s family is left out: it cannot honour sample_weight", family.name)
    return False


def _applies(family: Family, schema: Any) -> bool:
    """Whether ``family`` applies to data of ``schema`` (None: unknown data, where only the
    families without a condition apply)."""
    return family.applies is None or (schema is not None and family.applies(schema))


def _superseded(family: Family, task: str, schema: Any) -> bool:
    """Whether a tabular family is left out because every feature is text: it would read the
    text families' TF-IDF with models less suited to it, and its cheap start alone can take a
    short budget's share (one info line)."""
    superseded = (
        family.applies is None and task in TASKS and schema is not None and text_only(schema)
    )
    if superseded:
        log.info("the %s family is left out: every feature is text", family.name)
    return superseded


def _budget_allows(family: Family, time_budget: float | None) -> bool:
    short = (
        family.min_budget is not None
        and time_budget is not None
        and time_budget < family.min_budget
    )
    if short:
        log.info(
            "the %s family is left out under %g s budgets: ask for it with estimators=",
            family.name,
            family.min_budget,
        )
    return not short


def _serving(task: str) -> list[str]:
    return [name for name, family in FAMILIES.items() if family.serves(task)]


def missing_extra(name: str) -> str | None:
    """The extra family ``name`` needs and lacks, or None when it can run."""
    module = OPTIONAL.get(name)
    return module.EXTRA if module is not None and not module.available() else None


def _installed(name: str, explicit: bool) -> bool:
    """Whether ``name`` can run; without its extra: raise if asked for, else log and skip."""
    extra = missing_extra(name)
    if extra is None:
        return True
    if explicit:
        raise MissingExtraError(f"the {name} family", extra)
    log.info("the %s family is left out: it needs the [%s] extra", name, extra)
    return False
