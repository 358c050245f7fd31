"""Starts a runner, reports its worker is ready, then waits to be killed (run by test_runner)."""

import operator
import time

from fitfinder.trials import Runner

if __name__ == "__main__":
    runner = Runner(None, n_workers=2, preload=()).start()
    print(runner.call(operator.is_, None, 30)[0], flush=True)
    time.sleep(60)
