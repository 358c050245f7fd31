"""Search dimensions shared by the gradient-boosting families (LightGBM, XGBoost)."""

from fitfinder.search.space import Float

SHARED_SPACE = {
    "learning_rate": Float(2**-10, 1.0, log=True),
    "colsample_bytree": Float(0.01, 1.0),
    "reg_alpha": Float(2**-10, 2**10, log=True),
    "reg_lambda": Float(2**-10, 2**10, log=True),
}
SHARED_LOW_COST = {
    "learning_rate": 0.1,
    "colsample_bytree": 1.0,
    "reg_alpha": 2**-10,
    "reg_lambda": 1.0,
}
