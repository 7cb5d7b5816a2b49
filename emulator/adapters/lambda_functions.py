"""Lambda: Python functions run without Docker, in a subprocess of the project's Python."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

from emulator import DUMMY_CREDENTIALS

_RUNTIME_SOURCE = (Path(__file__).parent.parent / "lambda_runtime.py").read_text(encoding="utf-8")

# What a function can import besides its own code and the standard library: the Lambda Python
# runtime's boto3 and what boto3 itself needs.
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")


def lambda_runtime_library(directory: Path) -> Path:
    """A directory holding (links to) only the project's copies of LAMBDA_RUNTIME_PACKAGES."""
    import importlib.util

    directory.mkdir(parents=True, exist_ok=True)
    for name in LAMBDA_RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, f"{name} is installed with boto3"
        source = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        link = directory / source.name
        if not link.exists():
            link.symlink_to(source)
    return directory


def run_python_lambdas_in_a_subprocess(endpoint: str, code_root: Path) -> None:
    """Python Lambda functions run without Docker: the project's Python, in a subprocess.

    The deployment package (the CDK asset zip, or inline code) is unpacked once per code hash;
    the function gets its deployed environment variables, handler and timeout, the variables the
    Lambda runtime sets, dummy credentials and AWS_ENDPOINT_URL pointing at the emulator. Its
    output goes to /aws/lambda/<function>, as moto does for Docker runs. It can import what it
    can on AWS: its own code, the standard library, boto3 and boto3's dependencies; not the
    project's other packages (sagemaker, moto...): the interpreter runs isolated and without
    site-packages (-I -S), with only lambda_runtime_library() added to its path.
    """
    from moto.awslambda.models import LambdaFunction

    packages = _UnpackedPackages(code_root)
    library = lambda_runtime_library(code_root.parent / "lambda-runtime-library")

    def invoke_in_subprocess(self: Any, event: Any = None) -> tuple[str, bool, str]:
        if not str(self.run_time or "").startswith("python"):
            message = f"the emulator runs Python functions only, not {self.run_time}"
            return json.dumps({"errorMessage": message, "errorType": "Runtime.Unsupported"}), True, ""
        payload, failed, logs = _run_handler(
            self, event, packages.directory_of(self.code_bytes), library, _function_environment(self, endpoint)
        )
        self.logs_backend.ensure_log_group(self.logs_group_name)
        self.save_logs(logs or "(no output)")
        return payload, failed, logs

    LambdaFunction._invoke_lambda = invoke_in_subprocess


class _UnpackedPackages:
    """Deployment packages unpacked under `root`, one directory per code hash: a function's package
    is unpacked at its first invocation and shared by the ones that follow."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._lock = threading.Lock()

    def directory_of(self, code_bytes: bytes) -> Path:
        target = self._root / hashlib.sha256(code_bytes).hexdigest()
        with self._lock:
            if not target.exists():
                # Unpacked beside, then renamed: a directory under root is always complete.
                staging = Path(tempfile.mkdtemp(dir=self._root.parent))
                zipfile.ZipFile(io.BytesIO(code_bytes)).extractall(staging)
                self._root.mkdir(parents=True, exist_ok=True)
                staging.rename(target)
        return target


def _function_environment(function: Any, endpoint: str) -> dict[str, str]:
    """What a function's process sees: the variables the Lambda runtime sets, dummy credentials, the
    function's own variables, and AWS_ENDPOINT_URL (last: a function always talks to the emulator)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_REGION": function.region,
        "AWS_DEFAULT_REGION": function.region,
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": str(function.version),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
        "AWS_LAMBDA_LOG_GROUP_NAME": function.logs_group_name,
        "EMULATOR_FUNCTION_ARN": function.function_arn,
        "_HANDLER": str(function.handler),
        **{str(k): str(v) for k, v in function.environment_vars.items()},
        "AWS_ENDPOINT_URL": endpoint,
    }


def _run_handler(
    function: Any, event: Any, code_dir: Path, library: Path, environment: dict[str, str]
) -> tuple[str, bool, str]:
    """One invocation by lambda_runtime.py in an isolated interpreter: (payload, failed, logs)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as result_file:
        result_path = result_file.name
    try:
        try:
            process = subprocess.run(
                [sys.executable, "-I", "-S", "-c", _RUNTIME_SOURCE, str(function.handler), result_path, str(library)],
                input=json.dumps(event if event is not None else {}),
                capture_output=True,
                text=True,
                cwd=code_dir,
                env=environment,
                timeout=float(function.timeout),
            )
            logs = process.stdout + process.stderr
            payload = Path(result_path).read_text(encoding="utf-8")
            failed = process.returncode != 0
        except subprocess.TimeoutExpired as expired:
            logs = str(expired.stdout or "") + str(expired.stderr or "")
            payload, failed = "", True
    finally:
        os.unlink(result_path)
    return payload or _exit_error(function.timeout, logs), failed, logs


def _exit_error(timeout: Any, logs: str) -> str:
    """Lambda's answer when the handler's process left no result: it ran out of time, or died."""
    reason = f"Task timed out after {timeout} seconds" if not logs else logs.strip()[-500:]
    return json.dumps({"errorMessage": reason, "errorType": "Runtime.ExitError"})
