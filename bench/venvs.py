"""Private virtualenvs for the rival systems, so their pins never touch fitfinder's environment.

Run directly (``python bench/venvs.py flaml autogluon``) to create them ahead of a benchmark;
the driver calls :func:`ensure_python` and reuses a venv when it is already there.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
STAMP = "bench-requirements.txt"  # what the venv was installed from


@dataclass(frozen=True)
class Venv:
    """A rival's environment: its folder, what to install (``first`` before the rest, pinned as
    a constraint so the rest cannot swap it) and a line of Python that must import."""

    name: str
    requirements: tuple[str, ...]
    probe: str
    first: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        return BENCH / f".venv-{self.name}"

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


VENVS = {
    "flaml": Venv(
        "flaml",
        (
            "flaml[automl]==2.3.6",
            "xgboost<3",
            "lightgbm",
            "scikit-learn",
            "pandas<3",  # FLAML 2.3.6 fails on pandas 3's string dtype (np.issubdtype)
            "pyarrow",
        ),
        "import flaml.automl, lightgbm, xgboost, pyarrow",
    ),
    "autogluon": Venv(
        "autogluon",
        ("autogluon.tabular[lightgbm,catboost,xgboost,fastai]==1.6.3", "pyarrow"),
        "import autogluon.tabular, torch, lightgbm, catboost, pyarrow",
        first=("torch==2.13.0",),  # the CPU build; an open range would pull a CUDA one
    ),
    # AutoGluon-TimeSeries for bench/forecast_bench.py (its own venv: it pins statsforecast,
    # mlforecast and pandas differently from fitfinder)
    "autogluon-ts": Venv(
        "autogluon-ts",
        ("autogluon.timeseries==1.6.3", "pyarrow"),
        "import autogluon.timeseries, torch, lightgbm, statsforecast, pyarrow",
        first=("torch==2.13.0",),
    ),
}


def _stamp(venv: Venv) -> str:
    return "\n".join(venv.first + venv.requirements)


def _is_ready(venv: Venv) -> bool:
    """The venv was installed from the current requirements and the probe imports."""
    stamp = venv.path / STAMP
    if not (venv.python.exists() and stamp.exists()) or stamp.read_text() != _stamp(venv):
        return False
    return subprocess.run([str(venv.python), "-c", venv.probe], capture_output=True).returncode == 0


def ensure_python(name: str) -> Path:
    """Create or update the venv of system ``name`` unless it is ready; return its python."""
    venv = VENVS[name]
    if _is_ready(venv):
        return venv.python
    if not venv.python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv.path)], check=True)
    pip = [str(venv.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    if venv.first:
        subprocess.run([*pip, *venv.first], check=True)
        constraints = venv.path / "constraints.txt"
        constraints.write_text("\n".join(venv.first))
        pip += ["-c", str(constraints)]
    subprocess.run([*pip, *venv.requirements], check=True)
    (venv.path / STAMP).write_text(_stamp(venv))
    if not _is_ready(venv):
        raise RuntimeError(f"{name} is still not importable from {venv.python}; delete {venv.path}")
    return venv.python


if __name__ == "__main__":
    for system in sys.argv[1:] or list(VENVS):
        print(ensure_python(system))
