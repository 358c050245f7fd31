"""Text: tables whose signal is in free-text columns. The task stays binary, multiclass or
regression (the tabular task reads the target and draws the folds); this package brings the
families that read text: linear models and LightGBM on TF-IDF of words and characters."""
