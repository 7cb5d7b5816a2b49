"""The request builder's speed and size targets, as ratios against baselines measured in the same run.

1. Cold import of the Prepare handler module (lambda/prepare.py) in a fresh interpreter,
   against `import boto3` alone (target <= 1.2x) and against `import sagemaker` (the SDK path).
   Measured twice: with bytecode caches, and as in Lambda, where the asset ships no __pycache__
   and /var/task is read-only, so our modules are compiled on every cold start.
2. Time to build one request: `build_training_job` against the SDK's `Estimator(...).fit(wait=False)`
   with its AWS calls answered locally (tests/parity/sdk_oracle.py; one SDK session reused, which
   favours the SDK). Target: ours >= 100x faster. Medians over repetitions.
3. Size of the Lambda asset: lambda/ zipped as CDK packages it (no __pycache__, *.pyc, tests).
   Target < 200 KB.

Run: `python -m bench` (all benchmarks) or `python -m bench.bench_request`.
"""

from __future__ import annotations

import compileall
import fnmatch
import functools
import io
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_DIR = ROOT / "lambda"
HANDLER_MODULE = "prepare"
FALLBACK_MODULE = "training_request"
ASSET_TARGET_BYTES = 200 * 1024
IMPORT_REPEATS = 7
SDK_IMPORT_REPEATS = 3
SDK_BUILD_REPEATS = 40
FRESH_SESSION_REPEATS = 7
OUR_CALLS_PER_REPEAT = 50
OFFLINE_ENV = {"AWS_EC2_METADATA_DISABLED": "true", "SAGEMAKER_SUPPRESS_V2_WARNING": "1"}


def _import_seconds(module: str, pythonpath: Path | None, repeats: int, *, bytecode: bool) -> float:
    """Median wall time of `import module` inside a fresh interpreter (interpreter start excluded)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = dict(os.environ, **OFFLINE_ENV, AWS_REGION="eu-west-1")
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    flags = [] if bytecode else ["-B"]
    times = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, *flags, "-c", code],
            env=env,
            cwd=tempfile.gettempdir(),
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def _asset_excluded_names() -> list[str]:
    """The file and directory names the platform's functions leave out of their asset (the stack's own list)."""
    from stacks.platform_function import ASSET_EXCLUDE

    return [pattern.removeprefix("**/") for pattern in ASSET_EXCLUDE]


def _lambda_copy(destination: Path, *, compiled: bool) -> Path:
    """lambda/ as packaged (no bytecode); `compiled` adds the .pyc files a warm machine has."""
    target = destination / ("compiled" if compiled else "packaged") / "lambda"
    shutil.copytree(LAMBDA_DIR, target, ignore=shutil.ignore_patterns(*_asset_excluded_names()))
    if compiled:
        compileall.compile_dir(str(target), quiet=1)
    return target


def bench_imports() -> None:
    module = HANDLER_MODULE
    if not (LAMBDA_DIR / f"{HANDLER_MODULE}.py").exists():
        module = FALLBACK_MODULE
        print(f"note: lambda/{HANDLER_MODULE}.py not found; measuring `import {module}` instead")
    boto3 = _import_seconds("boto3", None, IMPORT_REPEATS, bytecode=True)
    sagemaker = _import_seconds("sagemaker", None, SDK_IMPORT_REPEATS, bytecode=True)
    with tempfile.TemporaryDirectory() as scratch:
        compiled = _lambda_copy(Path(scratch), compiled=True)
        ours_cached = _import_seconds(module, compiled, IMPORT_REPEATS, bytecode=True)
        packaged = _lambda_copy(Path(scratch), compiled=False)
        ours_cold = _import_seconds(module, packaged, IMPORT_REPEATS, bytecode=False)
    print(f"cold import (median; boto3 {boto3 * 1000:.1f} ms, sagemaker {sagemaker * 1000:.0f} ms):")
    for label, seconds in (("with bytecode cache", ours_cached), ("as in Lambda, no .pyc", ours_cold)):
        print(
            f"  import {module} {label}: {seconds * 1000:.1f} ms = "
            f"{seconds / boto3:.2f}x import boto3 (target <= 1.2x), "
            f"{seconds / sagemaker:.4f}x import sagemaker"
        )


def _seconds_per_call(action: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        action()
    return (time.perf_counter() - start) / calls


def _interleaved_medians(
    sdk: Callable[[], object], ours: Callable[[], object], repeats: int, our_calls: int
) -> tuple[float, float]:
    """Median seconds per call of each, measured alternately so that the other engineers' load
    on this shared machine weighs on both sides alike."""
    sdk_times, our_times = [], []
    for _ in range(repeats):
        sdk_times.append(_seconds_per_call(sdk, 1))
        our_times.append(_seconds_per_call(ours, our_calls))
    return statistics.median(sdk_times), statistics.median(our_times)


def bench_build() -> None:
    os.environ.update(OFFLINE_ENV)
    for path in (str(LAMBDA_DIR), str(ROOT / "tests")):
        if path not in sys.path:
            sys.path.insert(0, path)
    from parity.cases import CASES_BY_NAME  # tests/parity, named as pytest imports it
    from parity.sdk_oracle import fit_and_capture, isolated_sdk, offline_session

    from training_request import build_training_job

    logging.getLogger("sagemaker").setLevel(logging.WARNING)
    logging.getLogger("sagemaker.config").setLevel(logging.WARNING)
    print("time to build one request (median), ours vs the SDK's Estimator(...).fit(wait=False):")

    def fit_with_own_session(execution_input: Mapping[str, Any], region: str) -> object:
        """As `Estimator(...)` without sagemaker_session does: a new Session on every call."""
        return fit_and_capture(execution_input, offline_session(region))

    with isolated_sdk():
        for name in ("seed_gan_example", "everything_at_once"):
            case = CASES_BY_NAME[name]
            session = offline_session(case.region)
            fit_and_capture(case.execution_input, session)  # warm-up: the SDK's lazy imports

            ours = functools.partial(build_training_job, case.execution_input, region=case.region)
            new_session, ours_a = _interleaved_medians(
                functools.partial(fit_with_own_session, case.execution_input, case.region),
                ours,
                FRESH_SESSION_REPEATS,
                OUR_CALLS_PER_REPEAT,
            )
            reused_session, ours_b = _interleaved_medians(
                functools.partial(fit_and_capture, case.execution_input, session),
                ours,
                SDK_BUILD_REPEATS,
                OUR_CALLS_PER_REPEAT,
            )
            ours_median = statistics.median([ours_a, ours_b])
            print(
                f"  {name}: ours {ours_median * 1e6:.0f} us; SDK creating its Session as "
                f"Estimator(...) does {new_session * 1e3:.1f} ms = {new_session / ours_a:.0f}x, "
                f"SDK reusing one Session {reused_session * 1e3:.2f} ms = "
                f"{reused_session / ours_b:.0f}x (target >= 100x)"
            )


def lambda_asset_bytes() -> tuple[int, int]:
    """(zipped, unzipped) size of lambda/ packaged as CDK's Code.from_asset does (deflate)."""
    buffer = io.BytesIO()
    raw = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(LAMBDA_DIR.rglob("*")):
            relative = path.relative_to(LAMBDA_DIR)
            excluded = _asset_excluded_names()
            if path.is_dir() or any(fnmatch.fnmatch(part, name) for part in relative.parts for name in excluded):
                continue
            archive.write(path, relative.as_posix())
            raw += path.stat().st_size
    return len(buffer.getvalue()), raw


def bench_asset() -> None:
    zipped, raw = lambda_asset_bytes()
    print(
        f"Lambda asset: {zipped / 1024:.1f} KB zipped ({raw / 1024:.1f} KB of files) = "
        f"{zipped / ASSET_TARGET_BYTES:.2f}x the 200 KB target (target < 1)"
    )


def main() -> None:
    print("== bench_request: request builder speed and Lambda asset size ==")
    bench_imports()
    bench_build()
    bench_asset()


if __name__ == "__main__":
    main()
