"""Target: `cdk synth` of the whole app against a minimal one-bucket CDK app (bench/baseline_app.py),
both through the pinned CLI, offline and without credentials, interleaved, median of REPEATS runs.
Target: whole app <= 1.5x the baseline.

Run: `python -m bench` (all benchmarks) or `python -m bench.bench_synth`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emulator.deployment import CDK_HOME, OFFLINE_CDK_ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5
TARGET_RATIO = 1.5
_AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _AWS_VARIABLES}
    env.update(OFFLINE_CDK_ENVIRONMENT, CDK_HOME=str(CDK_HOME))
    return env


def _synth_seconds(extra_args: list[str], outdir: Path) -> float:
    command = ["npx", "--no-install", "cdk", "synth", "--quiet", "--output", str(outdir), *extra_args]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=_environment(), capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return elapsed


def main() -> None:
    print("== bench_synth: cdk synth of the whole app vs a one-bucket app ==")
    baseline_app = ["--app", f"{sys.executable} {ROOT / 'bench' / 'baseline_app.py'}"]
    whole: list[float] = []
    baseline: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as workdir:
        # One unmeasured run each: the first synth on a machine unpacks jsii's runtime cache.
        _synth_seconds([], Path(workdir, "warm-app"))
        _synth_seconds(baseline_app, Path(workdir, "warm-baseline"))
        for run in range(REPEATS):
            whole.append(_synth_seconds([], Path(workdir, f"app-{run}")))
            baseline.append(_synth_seconds(baseline_app, Path(workdir, f"baseline-{run}")))
    whole_median, baseline_median = statistics.median(whole), statistics.median(baseline)
    ratio = whole_median / baseline_median
    print(f"whole app (cdk-nag, 2 stacks): median {whole_median:.2f} s  runs {', '.join(f'{t:.2f}' for t in whole)}")
    print(
        f"one-bucket baseline:           median {baseline_median:.2f} s  runs {', '.join(f'{t:.2f}' for t in baseline)}"
    )
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(f"ratio {ratio:.2f}x ({verdict} the target <= {TARGET_RATIO}x)")


if __name__ == "__main__":
    main()
