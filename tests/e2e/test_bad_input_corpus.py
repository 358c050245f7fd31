"""The bad input corpus: files, flags, frames and HTTP bodies a user may bring, each through the
real entry point. Every case ends in a one-line error naming the problem and the fix (CLI: exit
status 2, no traceback; HTTP: a 4xx JSON error; Python: a FitfinderError) or in a documented
fallback (the README's "Bad input" table lists them all)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fitfinder import AutoML, load
from fitfinder.cli import main
from fitfinder.errors import FitfinderError

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
TARGET = "species"
MAX_ROWS = 50
MAX_BODY = 2_000_000


@pytest.fixture(scope="module")
def penguins() -> pd.DataFrame:
    if not SHARED.is_dir():
        pytest.skip("../shared/datasets is absent")
    return pd.read_parquet(SHARED / "penguins.parquet").sample(frac=1, random_state=0)


MIXED = "précision"  # a column of numbers with a few words, its name not ASCII


@pytest.fixture(scope="module")
def train(penguins) -> pd.DataFrame:
    """Penguins with the odd columns a fit handles by a documented fallback: a constant one, an
    all-missing one, numbers mixed with words, and infinities in a numeric feature."""
    mixed = (np.arange(len(penguins)) % 50).astype(str).astype(object)
    mixed[::10] = "unknown"
    mass = penguins["body_mass_g"].to_numpy().copy()
    mass[:3] = np.inf
    return penguins.assign(body_mass_g=mass, batch=1, comment=np.nan, **{MIXED: mixed})


@pytest.fixture(scope="module")
def model_dir(train, tmp_path_factory) -> Path:
    """A small LightGBM model fitted once by the CLI (for the fit fallbacks, and the predict and
    serve cases) on the odd training table written latin-1, semicolon-delimited."""
    folder = tmp_path_factory.mktemp("corpus")
    train.to_csv(folder / "train.csv", sep=";", encoding="latin-1", index=False)
    code = main(
        ["fit", str(folder / "train.csv"), "--target", TARGET, "--out", str(folder / "model")]
        + ["--max-trials", "2", "--estimators", "lightgbm", "--ensemble", "none"]
        + ["--no-recheck", "--time-budget", "600", "--quiet"]
    )
    assert code == 0
    return folder / "model"


@pytest.fixture(scope="module")
def client(model_dir):
    from fastapi.testclient import TestClient

    from fitfinder.serve import create_app

    app = create_app(
        model_dir, backend="native", api_key="", max_rows=MAX_ROWS, max_body_bytes=MAX_BODY
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    return code, capsys.readouterr().err.strip()


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def rows(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` rows covering every class."""
    return frame.groupby(TARGET).head(n // 3 + 1).head(n)


# -- fit: files ---------------------------------------------------------------------------------
# each builds (data file, extra flags) in a folder from the penguins frame; expected: a fragment
# of the one-line error (lower case)
FIT_CASES = {
    "csv empty file": (lambda d, f: (write(d / "a.csv", ""), []), "is empty"),
    "csv blank lines only": (lambda d, f: (write(d / "a.csv", "\n  \n\n"), []), "is empty"),
    "csv header only": (lambda d, f: (write(d / "a.csv", "a,b,species\n"), []), "has no rows"),
    "csv duplicate headers": (
        lambda d, f: (write(d / "a.csv", "a,a,species\n" + "1,2,x\n3,4,y\n" * 20), []),
        "duplicate column names in",
    ),
    "csv ragged rows": (
        lambda d, f: (write(d / "a.csv", "a,species\n1,x\n2,y,3,4\n" + "3,x\n" * 20), []),
        "cannot parse",
    ),
    "csv unclosed quote": (
        lambda d, f: (write(d / "a.csv", 'a,species\n"1,x\n' + "3,x\n" * 20), []),
        "cannot parse",
    ),
    "binary file named .csv": (
        lambda d, f: (write(d / "a.csv", bytes(range(256)) * 20), []),
        "binary data",
    ),
    "csv UTF-16 without byte-order mark": (
        lambda d, f: (write(d / "a.csv", f.to_csv(index=False).encode("utf-16-le")), []),
        "byte-order mark",
    ),
    "csv huge header field": (
        lambda d, f: (write(d / "a.csv", "a" * 200_000 + ",species\n1,x\n2,y\n"), []),
        "header row",
    ),
    "tiny data: 1 row": (
        lambda d, f: (write(d / "a.csv", rows(f, 1).to_csv(index=False)), []),
        "only 1 rows",
    ),
    "tiny data: 3 rows": (
        lambda d, f: (write(d / "a.csv", rows(f, 3).to_csv(index=False)), []),
        "needs at least 10",
    ),
    "all-missing feature columns": (
        lambda d, f: (
            write(d / "a.csv", f[[TARGET]].assign(a=np.nan, b="").to_csv(index=False)),
            [],
        ),
        "no usable feature columns",
    ),
    "constant feature columns": (
        lambda d, f: (write(d / "a.csv", f[[TARGET]].assign(a=1, b="x").to_csv(index=False)), []),
        "no usable feature columns",
    ),
    "infinities in the target": (
        lambda d, f: (
            write(
                d / "a.csv", f.assign(y=np.r_[np.inf, np.arange(len(f) - 1.0)]).to_csv(index=False)
            ),
            ["--target", "y", "--task", "regression"],
        ),
        "infinite values",
    ),
    "target all missing": (
        lambda d, f: (write(d / "a.csv", f.assign(species=np.nan).to_csv(index=False)), []),
        "missing",
    ),
    "target with one class": (
        lambda d, f: (write(d / "a.csv", f.assign(species="x").to_csv(index=False)), []),
        "single class",
    ),
    "words in a regression target": (
        lambda d, f: (write(d / "a.csv", f.to_csv(index=False)), ["--task", "regression"]),
        "not numeric",
    ),
    "unknown target column": (
        lambda d, f: (write(d / "a.csv", f.to_csv(index=False)), ["--target", "Species"]),
        "did you mean",
    ),
    "file not found": (lambda d, f: (d / "absent.csv", []), "not found"),
    "a directory as data": (lambda d, f: (d, []), "is a directory"),
    "unsupported file type": (
        lambda d, f: (write(d / "a.xlsx", "x"), []),
        "unsupported file type",
    ),
    "parquet corrupt": (
        lambda d, f: (write(d / "a.parquet", b"PAR1" + bytes(range(256)) * 8), []),
        "as parquet",
    ),
    "parquet empty file": (lambda d, f: (write(d / "a.parquet", b""), []), "is empty"),
    "parquet zero rows": (lambda d, f: (parquet(d, f.head(0)), []), "has no rows"),
    "parquet duplicate columns": (lambda d, f: (duplicate_parquet(d), []), "duplicate column"),
    "parquet list column": (
        lambda d, f: (parquet(d, f.assign(tags=[[1, 2]] * len(f))), []),
        "holds ndarray values",
    ),
    "parquet struct column": (
        lambda d, f: (parquet(d, f.assign(meta=[{"a": i} for i in range(len(f))])), []),
        "holds dict values",
    ),
    # -- fit: flags (on a good file) --
    "negative time budget": (
        lambda d, f: good(d, f, "--time-budget", "-5"),
        "time_budget must be positive",
    ),
    "time budget not a number": (
        lambda d, f: good(d, f, "--time-budget", "soon"),
        "invalid float value",
    ),
    "unknown metric": (lambda d, f: good(d, f, "--metric", "auroc"), "unknown metric"),
    "metric of another task": (lambda d, f: good(d, f, "--metric", "rmse"), "does not apply"),
    "unknown family": (lambda d, f: good(d, f, "--estimators", "forest"), "unknown estimator"),
    "zero max trials": (lambda d, f: good(d, f, "--max-trials", "0"), "max_trials"),
    "one fold": (lambda d, f: good(d, f, "--n-folds", "1"), "n_folds=1 is too small"),
    "holdout fraction above 1": (
        lambda d, f: good(d, f, "--holdout-fraction", "1.5"),
        "holdout_fraction",
    ),
    "negative memory limit": (
        lambda d, f: good(d, f, "--memory-limit-mb", "-1"),
        "memory_limit_mb must be positive",
    ),
    "zero threads": (lambda d, f: good(d, f, "--n-jobs", "0"), "n_jobs must be at least 1"),
    "negative trial time limit": (
        lambda d, f: good(d, f, "--trial-time-limit", "-1"),
        "trial_time_limit must be positive",
    ),
    "unknown flag": (lambda d, f: good(d, f, "--budget", "5"), "unrecognized arguments"),
    "bad choice": (lambda d, f: good(d, f, "--split", "kfold"), "invalid choice"),
    "forecast without a horizon": (
        lambda d, f: good(d, f, "--task", "forecast"),
        "needs a horizon",
    ),
    "absent weight column": (
        lambda d, f: good(d, f, "--sample-weight", "w"),
        "--sample-weight column 'w' not found",
    ),
}


def parquet(folder: Path, frame: pd.DataFrame) -> Path:
    frame.to_parquet(folder / "a.parquet")
    return folder / "a.parquet"


def duplicate_parquet(folder: Path) -> Path:
    columns = [pa.array([1, 2, 3] * 10), pa.array([1, 2, 3] * 10), pa.array(["a", "b"] * 15)]
    pq.write_table(pa.table(columns, names=["x", "x", TARGET]), folder / "a.parquet")
    return folder / "a.parquet"


def good(folder: Path, frame: pd.DataFrame, *flags: str) -> tuple[Path, list[str]]:
    return write(folder / "a.csv", frame.to_csv(index=False)), list(flags)


@pytest.mark.parametrize("case", list(FIT_CASES))
def test_fit_refuses_in_one_line(case, penguins, tmp_path, capsys):
    build, expected = FIT_CASES[case]
    data, flags = build(tmp_path, penguins)
    argv = ["fit", data, "--target", TARGET, "--out", tmp_path / "m", "--time-budget", "5"]
    code, err = run_cli(argv + ["--max-trials", "1", "--estimators", "glm", *flags], capsys)
    assert code == 2, err
    assert err.startswith("fitfinder") and ": error: " in err
    assert "\n" not in err and "Traceback" not in err
    assert expected.lower() in err.lower()


# -- predict: a saved model and the rows or the directory it is given --------------------------
def tampered(folder: Path) -> None:
    pipeline = folder / "pipeline.joblib"
    pipeline.write_bytes(pipeline.read_bytes()[:-10])


def edit_description(change):
    def edit(folder: Path) -> None:
        description = json.loads((folder / "model.json").read_text())
        change(description)
        (folder / "model.json").write_text(json.dumps(description))

    return edit


def next_major(description: dict) -> None:
    major = description["versions"]["scikit-learn"].split(".")[0]
    description["versions"]["scikit-learn"] = f"{int(major) + 1}.0.0"


PREDICT_CASES = {
    "missing columns at predict": (lambda f: f.drop(columns=["sex"]), None, "missing columns: sex"),
    "empty file at predict": (lambda f: "", None, "is empty"),
    "header-only file at predict": (lambda f: f.head(0), None, "has no rows"),
    "model directory tampered with (hash mismatch)": (
        None,
        tampered,
        "does not match the hash",
    ),
    "model directory from a newer format version": (
        None,
        edit_description(lambda d: d.update(format_version=99)),
        "format version 99",
    ),
    "model.json edited by hand": (
        None,
        edit_description(lambda d: d.pop("task")),
        "no valid 'task'",
    ),
    "model.json not JSON": (
        None,
        lambda folder: (folder / "model.json").write_text("{"),
        "not valid json",
    ),
    "model directory missing a file": (
        None,
        lambda folder: (folder / "pipeline.joblib").unlink(),
        "is missing",
    ),
    "not a model directory": (
        None,
        lambda folder: (folder / "model.json").unlink(),
        "no model.json",
    ),
    "model saved with another major library version": (
        None,
        edit_description(next_major),
        "install scikit-learn==",
    ),
}


@pytest.mark.parametrize("case", list(PREDICT_CASES))
def test_predict_refuses_in_one_line(case, train, model_dir, tmp_path, capsys):
    make_rows, break_model, expected = PREDICT_CASES[case]
    X = train.drop(columns=TARGET).head(10)
    data = make_rows(X) if make_rows else X
    path = write(tmp_path / "x.csv", data if isinstance(data, str) else data.to_csv(index=False))
    model = model_dir
    if break_model:
        model = tmp_path / "model"
        shutil.copytree(model_dir, model)
        break_model(model)
    code, err = run_cli(["predict", model, path, "-o", tmp_path / "p.csv"], capsys)
    assert code == 2, err
    assert err.startswith("fitfinder: error:") and "\n" not in err and "Traceback" not in err
    assert expected.lower() in err.lower()


# fallbacks: (rows -> rows as the user has them, how they are written, rows the model sees)
ACCENTED = "Bïscoe"
FALLBACKS = {
    "latin-1 file": ("latin-1", ",", lambda f: f.assign(island=ACCENTED)),
    "UTF-8 file with a byte-order mark": ("utf-8-sig", ",", None),
    "UTF-16 file (with its byte-order mark)": ("utf-16", ",", lambda f: f.assign(island=ACCENTED)),
    "semicolon-delimited file": ("utf-8", ";", None),
    "tab-delimited file": ("utf-8", "\t", None),
    "unseen categories": ("utf-8", ",", lambda f: f.assign(island="Atlantis", sex="unknown")),
    "extra columns": ("utf-8", ",", lambda f: f.assign(extra=1, note="x")),
    "infinities in features (read as missing)": (
        "utf-8",
        ",",
        lambda f: f.assign(body_mass_g=[np.inf, -np.inf] * (len(f) // 2)),
    ),
    "words in a numeric column (read as missing)": (
        "utf-8",
        ",",
        lambda f: f.assign(bill_length_mm="long"),
    ),
    "every value missing": ("utf-8", ",", lambda f: f.assign(**dict.fromkeys(f.columns, np.nan))),
    "a single row": ("utf-8", ",", lambda f: f.head(1)),
    "a huge field (1 MB)": ("utf-8", ",", lambda f: f.assign(sex=["x" * 1_000_000] + [""] * 9)),
}


@pytest.mark.parametrize("case", list(FALLBACKS))
def test_predict_falls_back_as_documented(case, train, model_dir, tmp_path, capsys):
    encoding, sep, change = FALLBACKS[case]
    X = train.drop(columns=TARGET).head(10).reset_index(drop=True)
    X = change(X) if change else X
    X.to_csv(tmp_path / "x.csv", index=False, sep=sep, encoding=encoding)
    code, err = run_cli(
        ["predict", model_dir, tmp_path / "x.csv", "-o", tmp_path / "p.csv"], capsys
    )
    assert code == 0, err
    predicted = pd.read_csv(tmp_path / "p.csv")["prediction"]
    expected = load(model_dir).predict(X.replace([np.inf, -np.inf], np.nan))
    assert predicted.tolist() == list(expected)


# -- Python API: DataFrames and arrays -----------------------------------------------------------
def frame_case(change_x=None, change_y=None):
    def run(f: pd.DataFrame):
        X, y = f.drop(columns=TARGET), f[TARGET]
        X = change_x(X) if change_x else X
        y = change_y(y) if change_y else y
        AutoML(time_budget=None, max_trials=1, estimators=["glm"], verbose=0).fit(X, y)

    return run


FRAME_CASES = {
    "list values in a column": (frame_case(lambda X: X.assign(t=[[1]] * len(X))), "holds list"),
    "set values in a column": (frame_case(lambda X: X.assign(t=[{1}] * len(X))), "holds set"),
    "multi-level column names": (
        frame_case(lambda X: pd.concat({"a": X}, axis=1)),
        "multi-level column names",
    ),
    "duplicate column names": (
        frame_case(lambda X: X.set_axis(["a"] * X.shape[1], axis=1)),
        "duplicate column names",
    ),
    "no columns": (frame_case(lambda X: X.iloc[:, :0]), "x is empty"),
    "a 1-D array as X": (frame_case(lambda X: X["year"].to_numpy()), "x is 1-d"),
    "y with two columns": (frame_case(change_y=lambda y: np.c_[y, y]), "one target value per row"),
    "y of another length": (frame_case(change_y=lambda y: y[:10]), "but y has 10"),
    "infinities in y": (
        frame_case(change_y=lambda y: np.r_[np.inf, np.arange(len(y) - 1.0)]),
        "infinite values",
    ),
}


@pytest.mark.parametrize("case", list(FRAME_CASES))
def test_python_api_refuses_with_a_fitfinder_error(case, penguins):
    run, expected = FRAME_CASES[case]
    with pytest.raises(FitfinderError) as caught:
        run(penguins)
    message = str(caught.value)
    assert "\n" not in message and expected.lower() in message.lower()


def test_python_predict_with_missing_columns_names_them(train, model_dir):
    with pytest.raises(FitfinderError, match="missing columns: island, sex"):
        load(model_dir).predict(train.drop(columns=[TARGET, "island", "sex"]))


def test_python_predict_with_lists_as_values_names_the_column(train, model_dir):
    rows = train.drop(columns=TARGET).head(3).assign(island=[["Biscoe"]] * 3)
    with pytest.raises(FitfinderError, match="column 'island' holds list values"):
        load(model_dir).predict(rows)


# -- fit: fallbacks, read from the model the CLI fitted on the odd training file ---------------
FIT_FALLBACKS = {
    "latin-1 file, semicolon-delimited": lambda roles, notes: MIXED in roles,
    "constant column dropped with a note": lambda roles, notes: (
        roles["batch"] == "constant" and any("'batch' (a single value)" in n for n in notes)
    ),
    "all-missing column dropped with a note": lambda roles, notes: (
        roles["comment"] == "constant" and any("'comment' (all missing)" in n for n in notes)
    ),
    "numbers mixed with words: categorical, with a note": lambda roles, notes: (
        roles[MIXED] == "categorical" and any("mixes numbers and words" in n for n in notes)
    ),
    "infinities in a feature (read as missing)": lambda roles, notes: (
        roles["body_mass_g"] == "numeric"
    ),
}


@pytest.mark.parametrize("case", list(FIT_FALLBACKS))
def test_fit_falls_back_as_documented(case, model_dir):
    schema = json.loads((model_dir / "model.json").read_text())["schema"]
    assert FIT_FALLBACKS[case](schema["roles"], schema["notes"]), schema


# -- HTTP ----------------------------------------------------------------------------------------
def record(penguins, **change) -> dict:
    row = penguins.drop(columns=TARGET).iloc[5].to_dict()  # rows 0-2 hold infinities
    return {k: (None if pd.isna(v) else v) for k, v in row.items()} | change


JSON = "application/json"
HTTP_CASES = {
    "body not JSON": (lambda p: "{not json", JSON, 400, "not valid json"),
    "empty body": (lambda p: "", JSON, 400, "not valid json"),
    "JSON nested too deeply": (lambda p: "[" * 100_000 + "]" * 100_000, JSON, 400, "nested"),
    "a JSON number as body": (lambda p: "42", JSON, 422, "list of records"),
    "a row that is not an object": (lambda p: "[1, 2]", JSON, 422, "row 0 is not an object"),
    "empty batch": (lambda p: "[]", JSON, 400, "empty batch"),
    "a word in a numeric column": (
        lambda p: [record(p, body_mass_g="heavy")],
        JSON,
        422,
        "expected a number",
    ),
    "a list in a numeric column": (
        lambda p: [record(p, body_mass_g=[1, 2])],
        JSON,
        422,
        "expected a single value",
    ),
    "an object in a categorical column": (
        lambda p: [record(p, island={"a": 1})],
        JSON,
        422,
        "expected a single value",
    ),
    "missing column": (
        lambda p: [{k: v for k, v in record(p).items() if k != "sex"}],
        JSON,
        422,
        "lacks column 'sex'",
    ),
    "column arrays of different lengths": (
        lambda p: {k: [v] for k, v in record(p).items()} | {"year": [1, 2]},
        JSON,
        422,
        "different lengths",
    ),
    "too many rows": (lambda p: [record(p)] * (MAX_ROWS + 1), JSON, 413, "row limit"),
    "body too large": (lambda p: [record(p, sex="x" * MAX_BODY)], JSON, 413, "byte limit"),
    "Infinity literal": (
        lambda p: json.dumps([record(p, body_mass_g=float("inf"))]),
        JSON,
        422,
        "non-finite",
    ),
    "number overflowing float (1e400)": (
        lambda p: json.dumps([record(p, body_mass_g=1.5)]).replace("1.5", "1e400"),
        JSON,
        422,
        "non-finite",
    ),
    "integer overflowing float": (
        lambda p: json.dumps([record(p, year=10**400)]),
        JSON,
        422,
        "expected a number",
    ),
    "CSV not UTF-8": (
        lambda p: pd.DataFrame([record(p, island=ACCENTED)]).to_csv(index=False).encode("latin-1"),
        "text/csv",
        400,
        "send utf-8",
    ),
    "CSV empty": (lambda p: "", "text/csv", 400, "not valid csv"),
    "unsupported content type": (lambda p: "<x/>", "application/xml", 415, "content type"),
}


@pytest.mark.parametrize("case", list(HTTP_CASES))
def test_http_refuses_with_a_4xx_json_error(case, train, client):
    make, content_type, status, expected = HTTP_CASES[case]
    body = make(train)
    content = body if isinstance(body, str | bytes) else json.dumps(body)
    response = client.post("/predict", content=content, headers={"content-type": content_type})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert "\n" not in error and expected.lower() in error.lower()


@pytest.mark.parametrize(
    "change",
    [{"island": "Atlantis"}, {"extra": 1}, {"sex": None, "body_mass_g": None}, {"year": "2008"}],
    ids=["unseen category", "extra column", "null values", "number as a string"],
)
def test_http_fallbacks_answer_200(change, train, client):
    response = client.post("/predict", json=[record(train, **change)])
    assert response.status_code == 200, response.text
    assert response.json()["predictions"][0] in ("Adelie", "Chinstrap", "Gentoo")
