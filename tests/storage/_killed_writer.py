"""Records three trials, then 'works' on a fourth until it is killed (run by test_journal)."""

import sys
import time

from fitfinder.storage import Journal
from fitfinder.trials import TrialResult

journal = Journal(sys.argv[1])
run_id = journal.create_run({"seed": 0}, "fingerprint")
for number in range(3):
    journal.record_trial(run_id, TrialResult(number, "glm", {"C": 1.0}, None, "done", loss=0.5))
print(run_id, flush=True)
time.sleep(60)
