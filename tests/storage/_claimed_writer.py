"""Claims a journal, finishes two trials, starts a third, then waits to be killed (run by
test_claims)."""

import os
import sys
import time

from fitfinder.storage import Journal
from fitfinder.trials import TrialResult, TrialSpec

journal = Journal(sys.argv[1])
journal.claim()
run_id = journal.create_run({"seed": 0}, "fingerprint")
for number in range(2):
    journal.start_trial(run_id, TrialSpec(number, "glm", {"C": 1.0}), os.getpid())
    journal.record_trial(
        run_id, TrialResult(number, "glm", {"C": 1.0}, None, "done", loss=0.5 + number)
    )
journal.start_trial(run_id, TrialSpec(2, "lightgbm", {"num_leaves": 7}), os.getpid())
print(run_id, flush=True)
time.sleep(60)
