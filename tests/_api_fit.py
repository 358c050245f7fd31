"""A Python-API fit in a process of its own (run by test_tempfiles): prints its pid, fits a
small table, prints ``fitted`` and the temporary journal's path, then exits, or with ``hang``
sleeps until it is killed."""

import os
import sys
import time

from sklearn.datasets import load_wine

from fitfinder import AutoML

print(os.getpid(), flush=True)
automl = AutoML(time_budget=None, max_trials=2, verbose=0, estimators=["glm"])
automl.fit(load_wine(as_frame=True).frame, target="target")
print("fitted", automl.journal_path_, flush=True)
if sys.argv[1:] == ["hang"]:
    time.sleep(60)
