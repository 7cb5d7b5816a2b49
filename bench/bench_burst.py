"""The burst's throughput on the emulator: a team's batch of request files (tests/integration/request_burst.py:
60 files and 20 re-uploads, all put at once), in uploads answered per second from the first upload to the last
result, with the emulator's reusable Lambda environments against a fresh Python interpreter for every
invocation (the emulator's runtime before environments were kept): a ratio of the two, measured in the same
run (target > 1).

Each runtime gets an emulator of its own, started with the variables of RUNTIMES (the baseline with
EMULATOR_LAMBDA_IDLE_SECONDS=0, which keeps no environment between invocations; the reusable environments
as the emulator runs by default), and the platform deployed into it with the real CDK CLI; then the burst
runs and is followed until every execution it started has ended. A burst in which not every upload got its
result (Lambdas that ran out of time) is reported as such, with the rate of the results that were written.

Run: `python -m bench` (all benchmarks) or `python -m bench.bench_burst`.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from emulator import DEFAULT_REGION, REPOSITORY_ROOT, endpoint_url, process
from emulator.deployment import CdkRunner, stack_outputs
from emulator.lambda_environments import IDLE_SECONDS_VARIABLE
from platform_contract import TrainingStackOutput

BASELINE_RUNTIME = "per-invocation"  # a fresh Python interpreter for every invocation, a cold start each time
REUSABLE_RUNTIME = "reusable"  # environments kept warm between invocations, a bounded number at once
# The emulator's environment variables that select each runtime.
RUNTIMES: dict[str, dict[str, str]] = {BASELINE_RUNTIME: {IDLE_SECONDS_VARIABLE: "0"}, REUSABLE_RUNTIME: {}}
_INTEGRATION_TESTS = REPOSITORY_ROOT / "tests" / "integration"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def burst_on(runtime: str, workdir: Path) -> Any:
    """Start an emulator running `runtime`, deploy the platform, run the burst; the Burst."""
    if str(_INTEGRATION_TESTS) not in sys.path:
        sys.path.insert(0, str(_INTEGRATION_TESTS))
    # tests/integration, as pytest imports it
    from request_burst import emulator_client, run_burst  # type: ignore[import-not-found]

    port, state_dir = _free_port(), workdir / runtime
    state_dir.mkdir()
    process.start(port, state_dir, {**os.environ, **RUNTIMES[runtime]})
    try:
        runner = CdkRunner(port, state_dir / "cdk.out")
        runner.bootstrap()
        runner.deploy()
        outputs = stack_outputs(emulator_client("cloudformation", endpoint_url(port), DEFAULT_REGION))
        return run_burst(
            endpoint_url(port), DEFAULT_REGION, outputs, outputs[TrainingStackOutput.STATE_MACHINE_ARN.value]
        )
    finally:
        process.stop_and_remove_work_dir(port, state_dir)


def describe(runtime: str, burst: Any) -> str:
    answered, uploads = len(burst.result_seconds), len(burst.uploads)
    last = max(burst.result_seconds.values()) if burst.result_seconds else float("nan")
    complete = "every upload answered" if answered == uploads else f"only {answered}/{uploads} uploads answered"
    return (
        f"  {runtime}: {burst.results_per_second():.2f} uploads/s ({complete}, last result after {last:.1f} s; "
        f"all executions ended after {burst.seconds_to_settle:.1f} s)"
    )


def main() -> None:
    print("== bench_burst: a burst of 80 request files, reusable Lambda environments vs one interpreter each ==")
    with tempfile.TemporaryDirectory(prefix="bench-burst-") as workdir:
        baseline = burst_on(BASELINE_RUNTIME, Path(workdir))
        print(describe(BASELINE_RUNTIME, baseline), flush=True)
        reusable = burst_on(REUSABLE_RUNTIME, Path(workdir))
        print(describe(REUSABLE_RUNTIME, reusable), flush=True)
    if baseline.results_per_second() > 0:
        ratio = reusable.results_per_second() / baseline.results_per_second()
        print(f"  throughput ratio {REUSABLE_RUNTIME} / {BASELINE_RUNTIME}: {ratio:.2f}x (target > 1)")
    else:
        print(f"  throughput ratio: undefined, the {BASELINE_RUNTIME} runtime answered no upload")


if __name__ == "__main__":
    main()
