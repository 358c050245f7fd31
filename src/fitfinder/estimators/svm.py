"""Support vector machines, linear or RBF.

Probabilities come from ``CalibratedClassifierCV`` (sklearn's replacement for the deprecated
``SVC(probability=True)``). The exact RBF kernel is used up to ``EXACT_KERNEL_MAX_ROWS`` rows;
beyond that it is approximated by ``Nystroem`` features feeding a linear SVM, which keeps the
cost linear in rows. Regression targets are standardised (``TransformedTargetRegressor``) so
``C`` and the epsilon tube mean the same on every target scale.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from sklearn.kernel_approximation import Nystroem
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR

from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.search.space import Categorical, Config, Float

EXACT_KERNEL_MAX_ROWS = 5000
NYSTROEM_COMPONENTS = 300
CALIBRATION_FOLDS = 3

SPACE = {
    "C": Float(2**-5, 2**8, log=True),
    "kernel": Categorical(("linear", "rbf")),
    "gamma": Float(2**-13, 4.0, log=True),
}
# sklearn's gamma="scale" is 1/n_features on standardised data; 1/32 stands in for a typical table.
DEFAULTS = {"C": 1.0, "kernel": "rbf", "gamma": 2**-5}


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    """A calibrated SVM classifier, or an SVM regressor on the standardised target."""
    classify = ctx.task in CLASSIFICATION
    model = _model(config, ctx, classify)
    if classify:
        return CalibratedClassifierCV(model, cv=CALIBRATION_FOLDS)
    return TransformedTargetRegressor(regressor=model, transformer=StandardScaler())


def _model(config: Config, ctx: BuildContext, classify: bool) -> BaseEstimator:
    C, gamma = config["C"], config["gamma"]
    linear = (
        LinearSVC(C=C, random_state=ctx.seed) if classify else LinearSVR(C=C, random_state=ctx.seed)
    )
    if config["kernel"] == "linear":
        return linear
    if ctx.n_rows <= EXACT_KERNEL_MAX_ROWS:
        return SVC(C=C, gamma=gamma, random_state=ctx.seed) if classify else SVR(C=C, gamma=gamma)
    features = Nystroem(gamma=gamma, n_components=NYSTROEM_COMPONENTS, random_state=ctx.seed)
    return make_pipeline(features, linear)


FAMILY = Family(
    name="svm",
    tasks=frozenset(TASKS),
    space=SPACE,
    low_cost={"C": 1.0, "kernel": "linear", "gamma": 2**-5},
    defaults=DEFAULTS,
    preprocessing="scaled",
    build=build,
    cost=3.0,
    description="Support vector machines, linear or RBF (Nystroem-approximated on large data).",
    supports_sample_weight=False,
    notes=(
        f"RBF above {EXACT_KERNEL_MAX_ROWS} rows uses {NYSTROEM_COMPONENTS} Nystroem components.",
        "Not used with sample weights (left out, or refused when named): the Nystroem pipeline "
        "cannot take them without metadata routing.",
    ),
)
