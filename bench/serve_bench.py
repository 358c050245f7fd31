"""Serving benchmark: HTTP latency and throughput of `fitfinder serve`, ONNX vs native, one run.

A bounded load generator on 127.0.0.1 only. For a LightGBM model and a weighted ensemble
(LightGBM + GLM + XGBoost), both fitted on examples/credit_data.csv, it starts one server per
backend (`fitfinder serve DIR --backend onnx|native`, one worker, a separate process) and measures:
single-row POST /predict latency p50/p99 and requests/s at 1, 8 and 32 concurrent clients
(each level runs --seconds or --max-requests, whichever ends first), and rows/s for
1,000-row batches; plus in-process single-row latency of `load(dir).predict` and of the
onnxruntime wrapper.

    python bench/serve_bench.py                    # prints a markdown report
    python bench/serve_bench.py --out bench/SERVE_RESULTS.md

``--load`` runs the load test instead (issue 24): for each model, 32 keep-alive clients send
single-row POST /predict back to back for ``--seconds`` (60) against the ONNX server and then
the native one; every non-200 answer, broken connection or request slower than 60 s counts as an
error (the client reconnects and goes on), and the report puts the two backends' requests,
errors, p50/p99/max latency and requests/s side by side. It exits 1 when any error was seen.

    python bench/serve_bench.py --load --seconds 60 --out bench/SERVE_LOAD_RESULTS.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from fitfinder import load
from fitfinder.data import Schema, prepare_target
from fitfinder.ensemble import WeightedEnsemble
from fitfinder.estimators import FAMILIES
from fitfinder.export import OnnxModel, export_onnx
from fitfinder.features import build_pipeline
from fitfinder.model import SAMPLE_ROWS, FittedModel

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "examples" / "credit_data.csv"
TARGET = "Status"
HOST = "127.0.0.1"
REQUEST_LIMIT = 60.0  # seconds without an answer before a load-test request counts as an error


def fit_models(frame: pd.DataFrame, folder: Path) -> dict[str, Path]:
    """LightGBM (library defaults) and a 3-member weighted ensemble, saved with model.onnx."""
    X, y = frame.drop(columns=TARGET), frame[TARGET]
    schema = Schema.infer(X)
    info = prepare_target(y, "binary")
    conformed = schema.conform(X)

    def pipeline(name: str):
        family = FAMILIES[name]
        pipe = build_pipeline(schema, family, family.defaults, task="binary", n_rows=len(X))
        return pipe.fit(conformed, info.y)

    lightgbm = pipeline("lightgbm")
    ensemble = WeightedEnsemble(
        [lightgbm, pipeline("glm"), pipeline("xgboost")], [0.5, 0.2, 0.3], 2
    )
    dirs = {}
    for name, estimator in (("lightgbm", lightgbm), ("ensemble", ensemble)):
        model = FittedModel(estimator, schema, "binary", "roc_auc", info.labels)
        model.sample = conformed.head(SAMPLE_ROWS)
        dirs[name] = model.save(folder / name)
        export_onnx(model, dirs[name] / "model.onnx")
    return dirs


def records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


# -- servers ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(model_dir: Path, backend: str, log=subprocess.DEVNULL):
    """``fitfinder serve`` in its own process (its stderr to ``log``); returns it and its URL."""
    port = free_port()
    command = [sys.executable, "-m", "fitfinder.cli", "serve", str(model_dir), "--quiet"]
    command += ["--host", HOST, "--port", str(port), "--backend", backend]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server for {model_dir} ({backend}) did not start")


# -- load generation --------------------------------------------------------------------------
async def single_row_load(url: str, bodies: list[bytes], clients: int, seconds: float, cap: int):
    """``clients`` keep-alive connections each sending single-row POSTs back to back.

    A minimal HTTP/1.1 client on asyncio streams, so the load generator (on the same two
    cores) costs as little as possible; returns per-request latencies (s) and the elapsed time.
    """
    host, port = url.removeprefix("http://").split(":")
    requests = [
        (
            f"POST /predict HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
        for body in bodies
    ]
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def loop(k: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        i = k
        while time.perf_counter() < stop and len(latencies) < cap:
            tick = time.perf_counter()
            writer.write(requests[i % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.decode(errors="replace"))
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - tick)
            i += clients
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(loop(k) for k in range(clients)))
    return np.asarray(latencies), time.perf_counter() - start


async def sustained_load(url: str, bodies: list[bytes], clients: int, seconds: float) -> dict:
    """``clients`` keep-alive connections sending single-row POSTs back to back for ``seconds``,
    counting errors instead of stopping at the first: a status other than 200, a broken or
    refused connection, or no answer within ``REQUEST_LIMIT`` seconds (the client then opens a
    new connection). Returns the latencies (s) of the answered requests, the errors by kind
    and the elapsed time."""
    host, port = url.removeprefix("http://").split(":")
    requests = [
        (
            f"POST /predict HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
        for body in bodies
    ]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop = time.perf_counter() + seconds

    async def exchange(reader, writer, request: bytes) -> bytes:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        return head.split(b"\r\n", 1)[0]

    async def loop(k: int) -> None:
        connection, i = None, k
        while time.perf_counter() < stop:
            tick = time.perf_counter()
            try:
                if connection is None:
                    connection = await asyncio.open_connection(host, int(port))
                status = await asyncio.wait_for(
                    exchange(*connection, requests[i % len(requests)]), REQUEST_LIMIT
                )
                if status.startswith(b"HTTP/1.1 200"):
                    latencies.append(time.perf_counter() - tick)
                else:
                    kind = status.decode(errors="replace")
                    errors[kind] = errors.get(kind, 0) + 1
            except (OSError, asyncio.IncompleteReadError, TimeoutError, IndexError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                if connection is not None:
                    connection[1].close()
                connection = None
            i += clients
        if connection is not None:
            connection[1].close()

    start = time.perf_counter()
    await asyncio.gather(*(loop(k) for k in range(clients)))
    return {
        "latencies": np.asarray(latencies),
        "errors": errors,
        "elapsed": time.perf_counter() - start,
    }


def batch_throughput(url: str, body: bytes, rows: int, repeats: int) -> float:
    """Rows per second for sequential ``rows``-row JSON batches."""
    with httpx.Client(base_url=url, timeout=60) as client:
        client.post("/predict", content=body, headers={"content-type": "application/json"})
        start = time.perf_counter()
        for _ in range(repeats):
            response = client.post(
                "/predict", content=body, headers={"content-type": "application/json"}
            )
            response.raise_for_status()
        return rows * repeats / (time.perf_counter() - start)


def in_process_latency(model_dir: Path, row: pd.DataFrame, calls: int = 200) -> dict[str, float]:
    """Median single-row latency (ms) of load(dir).predict and of the onnxruntime wrapper."""
    tick = time.perf_counter()
    native = load(model_dir)
    load_ms = (time.perf_counter() - tick) * 1000
    onnx = OnnxModel(model_dir / "model.onnx", native.schema, native.task, native.labels, threads=1)
    result = {"load_ms": load_ms}
    for name, model in (("native_ms", native), ("onnx_ms", onnx)):
        model.predict(row)
        times = []
        for _ in range(calls):
            tick = time.perf_counter()
            model.predict(row)
            times.append(time.perf_counter() - tick)
        result[name] = float(np.median(times) * 1000)
    return result


# -- report -----------------------------------------------------------------------------------
def run(args) -> str:
    frame = pd.read_csv(DATA)
    test = frame.sample(n=1000, random_state=1).drop(columns=TARGET)
    singles = [json.dumps([r]).encode() for r in records(test.head(200))]
    batch = json.dumps(records(test)).encode()
    lines = [
        f"command: `{' '.join(['python bench/serve_bench.py', *sys.argv[1:]])}`",
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; "
        "server: 1 uvicorn worker (httptools, uvloop) in its own process; "
        "client: a minimal asyncio HTTP/1.1 keep-alive client on the same machine",
        "",
        "| model | backend | clients | p50 ms | p99 ms | requests/s |",
        "|---|---|---|---|---|---|",
    ]
    batches, in_process, single = [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        dirs = fit_models(frame, Path(tmp))
        for name, model_dir in dirs.items():
            in_process.append((name, in_process_latency(model_dir, test.head(1))))
            for backend in ("onnx", "native"):
                process, url = start_server(model_dir, backend)
                try:
                    for clients in (1, 8, 32):
                        lat, elapsed = asyncio.run(
                            single_row_load(url, singles, clients, args.seconds, args.max_requests)
                        )
                        p50, p99 = np.percentile(lat, [50, 99]) * 1000
                        if clients == 1:
                            single[(name, backend)] = p50
                        lines.append(
                            f"| {name} | {backend} | {clients} | {p50:.2f} | {p99:.2f} | "
                            f"{len(lat) / elapsed:.0f} |"
                        )
                    batches.append(
                        (name, backend, batch_throughput(url, batch, 1000, args.batches))
                    )
                finally:
                    process.terminate()
                    process.wait(timeout=10)
    lines += ["", "| model | backend | rows/s, 1,000-row JSON batches |", "|---|---|---|"]
    lines += [f"| {n} | {b} | {r:,.0f} |" for n, b, r in batches]
    lines += [
        "",
        "In-process, one row (median of 200 calls; no HTTP):",
        "",
        "| model | load(dir) ms | load(dir).predict ms | OnnxModel.predict ms |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {n} | {r['load_ms']:.0f} | {r['native_ms']:.2f} | {r['onnx_ms']:.2f} |"
        for n, r in in_process
    ]
    lines += ["", "Targets (issue 6):", ""]
    for name in dirs:
        onnx, native = single[(name, "onnx")], single[(name, "native")]
        lines.append(
            f"- {name}: single-row p50 {onnx:.2f} ms on ONNX (target < 5 ms: "
            f"{'met' if onnx < 5 else 'missed'}); {native / onnx:.1f}x faster than native "
            f"(target >= 3x: {'met' if native / onnx >= 3 else 'missed'})"
        )
    for name, backend, rate in batches:
        if backend == "onnx":
            lines.append(
                f"- {name}: {rate:,.0f} rows/s in 1,000-row batches on ONNX (target >= 50,000: "
                f"{'met' if rate >= 50_000 else 'missed'})"
            )
    return "\n".join(lines) + "\n"


def run_load(args) -> tuple[str, int]:
    """The load test's report and its total error count."""
    frame = pd.read_csv(DATA)
    test = frame.sample(n=1000, random_state=1).drop(columns=TARGET)
    singles = [json.dumps([r]).encode() for r in records(test.head(200))]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    lines = [
        f"command: `{' '.join(['python bench/serve_bench.py', *sys.argv[1:]])}` at commit "
        f"{commit or '?'}, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC",
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; "
        "server: `fitfinder serve --backend onnx|native` (1 uvicorn worker, its own process); "
        f"client: {args.clients} asyncio HTTP/1.1 keep-alive connections on the same machine, "
        f"single-row POST /predict back to back for {args.seconds:g} s per backend",
        "",
        "| model | backend | requests | errors | p50 ms | p99 ms | max ms | requests/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    total_errors, logged = 0, []
    with tempfile.TemporaryDirectory() as tmp:
        dirs = fit_models(frame, Path(tmp))
        for name, model_dir in dirs.items():
            for backend in ("onnx", "native"):
                log_path = Path(tmp) / f"{name}-{backend}.log"
                with log_path.open("wb") as log:
                    process, url = start_server(model_dir, backend, log)
                    try:
                        result = asyncio.run(
                            sustained_load(url, singles, args.clients, args.seconds)
                        )
                    finally:
                        process.terminate()
                        process.wait(timeout=40)
                lat, errors = result["latencies"], result["errors"]
                count = sum(errors.values())
                total_errors += count
                p50, p99 = np.percentile(lat, [50, 99]) * 1000 if len(lat) else (np.nan, np.nan)
                top = lat.max() * 1000 if len(lat) else np.nan
                kinds = ", ".join(f"{k}: {v}" for k, v in sorted(errors.items()))
                lines.append(
                    f"| {name} | {backend} | {len(lat) + count:,} | {count}"
                    f"{f' ({kinds})' if kinds else ''} | {p50:.1f} | {p99:.1f} | {top:.1f} | "
                    f"{len(lat) / result['elapsed']:.0f} |"
                )
                text = log_path.read_text(errors="replace").strip()
                if text:
                    logged.append(f"- {name} / {backend} server stderr: {text.splitlines()[-1]}")
    lines += ["", f"Errors in all: {total_errors}."]
    if logged:
        lines += ["", *logged]
    return "\n".join(lines) + "\n", total_errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=None, help="per concurrency level (4); per backend (60)"
    )
    parser.add_argument("--max-requests", type=int, default=4000, help="per concurrency level")
    parser.add_argument("--batches", type=int, default=10, help="1,000-row requests timed")
    parser.add_argument("--out", help="also write the report to this markdown file")
    parser.add_argument(
        "--load", action="store_true", help="the load test (--clients for --seconds per backend)"
    )
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (--load)")
    args = parser.parse_args()
    if args.seconds is None:
        args.seconds = 60.0 if args.load else 4.0
    errors = 0
    if args.load:
        report, errors = run_load(args)
    else:
        report = run(args)
    print(report)
    if args.out:
        Path(args.out).write_text(report)
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
