"""A private virtualenv for FLAML, so its pins never touch fitfinder's environment.

Run directly (``python bench/flaml_env.py``) to create it ahead of a benchmark; the driver
calls :func:`ensure_flaml_python` and reuses the venv when it is already there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

VENV_DIR = Path(__file__).resolve().parent / ".venv-flaml"
STAMP = "bench-requirements.txt"  # what the venv was installed from
REQUIREMENTS = [
    "flaml[automl]==2.3.6",
    "xgboost<3",
    "lightgbm",
    "scikit-learn",
    "pandas<3",  # FLAML 2.3.6 fails on pandas 3's string dtype (np.issubdtype on StringDtype)
    "pyarrow",
]


def venv_python(venv: Path = VENV_DIR) -> Path:
    """The interpreter inside ``venv``."""
    return venv / "bin" / "python"


def _is_ready(venv: Path) -> bool:
    """The venv was installed from the current REQUIREMENTS and FLAML imports."""
    python, stamp = venv_python(venv), venv / STAMP
    if not (python.exists() and stamp.exists()) or stamp.read_text() != "\n".join(REQUIREMENTS):
        return False
    probe = [str(python), "-c", "import flaml.automl, lightgbm, xgboost, pyarrow"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def ensure_flaml_python(venv: Path = VENV_DIR) -> Path:
    """Create or update ``venv`` unless it is ready; return its python."""
    python = venv_python(venv)
    if _is_ready(venv):
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, *REQUIREMENTS], check=True)
    (venv / STAMP).write_text("\n".join(REQUIREMENTS))
    if not _is_ready(venv):
        raise RuntimeError(f"FLAML is still not importable from {python}; delete {venv} and retry")
    return python


if __name__ == "__main__":
    print(ensure_flaml_python())
