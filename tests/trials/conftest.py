import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from fitfinder.metrics import get_metric
from fitfinder.trials import TrialData

_LOADERS = {"wine": load_wine, "cancer": load_breast_cancer, "diabetes": load_diabetes}


def _make_trial_data(name: str, metric=None, *, greater_is_better=None, **extra) -> TrialData:
    """TrialData over a small sklearn dataset, prepared the way AutoML prepares it."""
    data_pkg = pytest.importorskip("fitfinder.data")
    pytest.importorskip("fitfinder.features")
    pytest.importorskip("fitfinder.estimators")
    X, y = _LOADERS[name](return_X_y=True, as_frame=True)
    schema = data_pkg.Schema.infer(X)
    target = data_pkg.prepare_target(y)
    plan = data_pkg.make_splits(target.y, target.task, n_folds=3, seed=0)
    return TrialData(
        X=schema.conform(X),
        y=target.y,
        schema=schema,
        task=target.task,
        metric=get_metric(metric, target.task, greater_is_better),
        folds=plan.folds,
        labels=target.labels,
        **extra,
    )


@pytest.fixture(scope="session")
def make_trial_data():
    return _make_trial_data
