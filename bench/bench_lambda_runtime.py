"""The emulated Lambda runtime's throughput: warm execution environments against one interpreter per
invocation (what the emulator did before, and what a cold start costs), measured in the same run.

For a trivial handler and for the platform's Prepare handler (lambda/prepare.py, as the CDK packages
it, with the console example examples/minimal.json): sequential invocations per second
1. through emulator/lambda_environments.py's LambdaEnvironments, whose environment stays warm
   (its first, cold, invocation excluded);
2. with a fresh environment for every invocation (start the runtime, import the handler, invoke,
   discard), the same runtime's cold path.
Target: warm >= 10x one interpreter per invocation, for both handlers.

Run: `python -m bench` (all benchmarks) or `python -m bench.bench_lambda_runtime`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from emulator.adapters.lambda_functions import lambda_runtime_library
from emulator.lambda_environments import LambdaEnvironments
from emulator.lambda_execution_environment import ExecutionEnvironment, FunctionConfiguration

ROOT = Path(__file__).resolve().parent.parent
ASSET_EXCLUDES = ("__pycache__", ".pytest_cache", "tests", "*.pyc")  # as stacks/platform_function.py
WARM_INVOCATIONS = 200
COLD_INVOCATIONS = 15
TARGET_RATIO = 10.0
_PREPARE_SETTINGS = {
    "AWS_REGION": "eu-west-1",
    "DEFAULT_ROLE_ARN": "arn:aws:iam::123456789012:role/training",
    "DEFAULT_IMAGE_URI": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/trainer:latest",
    "DEFAULT_OUTPUT_PATH": "s3://bench-artifacts/models",
}


class _DiscardedLogs:
    """The log sink: the bench measures the runtime, not CloudWatch Logs."""

    def put(self, configuration: FunctionConfiguration, stream: str, timestamp_ms: int, message: str) -> None:
        pass


def _configuration(name: str, code_dir: Path, handler: str, environment: dict[str, str]) -> FunctionConfiguration:
    return FunctionConfiguration(
        name=name,
        arn=f"arn:aws:lambda:eu-west-1:123456789012:function:{name}",
        account_id="123456789012",
        region="eu-west-1",
        version="$LATEST",
        handler=handler,
        code_dir=code_dir,
        environment=tuple(
            sorted({"PATH": "/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED": "true", **environment}.items())
        ),
        timeout=30.0,
        memory_size=256,
        log_group=f"/aws/lambda/{name}",
    )


def _warm_per_second(library: Path, configuration: FunctionConfiguration, event: str) -> float:
    environments = LambdaEnvironments(library, _DiscardedLogs(), concurrency=1)
    try:
        assert not environments.invoke(configuration, event).function_error, "the handler fails"
        started = time.perf_counter()
        for _ in range(WARM_INVOCATIONS):
            environments.invoke(configuration, event)
        return WARM_INVOCATIONS / (time.perf_counter() - started)
    finally:
        environments.shutdown()


def _cold_per_second(library: Path, configuration: FunctionConfiguration, event: str) -> float:
    started = time.perf_counter()
    for _ in range(COLD_INVOCATIONS):
        environment = ExecutionEnvironment(configuration, library, _DiscardedLogs())
        assert environment.initialise(time.monotonic() + 60) is None, "the handler cannot be imported"
        assert not environment.invoke(str(uuid.uuid4()), event).function_error, "the handler fails"
        environment.discard()
    return COLD_INVOCATIONS / (time.perf_counter() - started)


def _handlers(work: Path) -> list[tuple[str, FunctionConfiguration, str]]:
    trivial = work / "trivial"
    trivial.mkdir()
    (trivial / "index.py").write_text("def handler(event, context):\n    return {'echo': event}\n", encoding="utf-8")
    asset = work / "asset"
    shutil.copytree(ROOT / "lambda", asset, ignore=shutil.ignore_patterns(*ASSET_EXCLUDES))
    request = json.loads((ROOT / "examples" / "minimal.json").read_text(encoding="utf-8"))
    return [
        ("trivial handler", _configuration("trivial", trivial, "index.handler", {}), json.dumps({"n": 1})),
        (
            "Prepare handler",
            _configuration("prepare", asset, "prepare.handler", _PREPARE_SETTINGS),
            json.dumps({"input": request}),
        ),
    ]


def main() -> None:
    print("== bench_lambda_runtime: warm execution environments vs one interpreter per invocation ==")
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        library = lambda_runtime_library(work / "lambda-runtime-library")
        for label, configuration, event in _handlers(work):
            warm = _warm_per_second(library, configuration, event)
            cold = _cold_per_second(library, configuration, event)
            ratio = warm / cold
            verdict = "ok" if ratio >= TARGET_RATIO else "BELOW TARGET"
            print(
                f"{label}: {warm:.0f} invocations/s warm, {cold:.1f}/s with one interpreter per invocation: "
                f"{ratio:.0f}x (target >= {TARGET_RATIO:.0f}x) {verdict}",
                flush=True,
            )


if __name__ == "__main__":
    main()
