"""Lambda: Python functions run without Docker, in execution environments reused between invocations,
and log where their logging configuration says."""

from __future__ import annotations

import atexit
import base64
import hashlib
import io
import json
import os
import tempfile
import threading
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emulator import call_log
from emulator.adapters.principals import assumed_role
from emulator.call_recording_table import log_stream_arn
from emulator.lambda_environments import LambdaEnvironments, Throttled
from emulator.lambda_execution_environment import FunctionConfiguration, Invocation

# What a function can import besides its own code and the standard library: the Lambda Python
# runtime's boto3 and what boto3 itself needs.
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
DEFAULT_LOG_FORMAT = "Text"
DEFAULT_LOG_LEVEL = "INFO"  # Lambda's application and system log level under the JSON format


def lambda_runtime_library(directory: Path) -> Path:
    """A directory holding links to only the project's copies of LAMBDA_RUNTIME_PACKAGES.

    A link left by an earlier run (another virtualenv, since removed) is replaced, not trusted.
    """
    import importlib.util

    directory.mkdir(parents=True, exist_ok=True)
    for name in LAMBDA_RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, f"{name} is installed with boto3"
        source = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        link = directory / source.name
        if link.is_symlink() and link.readlink() == source:
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(source)
    return directory


def run_python_lambdas_in_reused_execution_environments(endpoint: str, code_root: Path) -> LambdaEnvironments:
    """Python functions run as on Lambda, without Docker: warm execution environments, a concurrency
    cap with a queue, reserved concurrency, asynchronous invocations that return at once.

    moto runs a function in Docker, one container per invocation. Here each function's deployment
    package (the CDK asset zip, or inline code) is unpacked once per code hash and served by
    emulator/lambda_environments.py: long-lived runtime processes of the project's Python, isolated
    (-I -S: only the function's code, the standard library, boto3 and boto3's dependencies are
    importable), with the function's environment variables, the variables the Lambda runtime sets,
    an access key standing for the function's role (the call log names the role as the caller; an
    environment's start records sts:AssumeRole of the role by lambda.amazonaws.com) and
    AWS_ENDPOINT_URL pointing at the emulator. Invoke answers as Lambda does:
    `X-Amz-Function-Error: Unhandled` with the error document, the log tail for LogType=Tail,
    TooManyRequestsException beyond the function's reserved concurrency; InvocationType=Event is
    queued and answered 202 at once.
    """
    from moto.awslambda.models import LambdaFunction

    packages = _UnpackedPackages(code_root)
    library = lambda_runtime_library(code_root.parent / "lambda-runtime-library")
    environments = LambdaEnvironments(library, _CloudWatchLogsSink(), on_new_environment=_record_role_assumed)
    atexit.register(environments.shutdown)

    def invoke(self: Any, body: str | bytes | None, request_headers: Any, response_headers: Any) -> bytes:
        event = _event_text(body)
        invocation_type = _header(request_headers, "x-amz-invocation-type") or "RequestResponse"
        if not str(self.run_time or "").startswith("python"):
            message = f"the emulator runs Python functions only, not {self.run_time}"
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorMessage": message, "errorType": "Runtime.Unsupported"}).encode()
        configuration = _configuration_of(self, packages.directory_of(self.code_bytes), endpoint)
        reserved = _reserved_concurrency(self)
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            environments.invoke_async(configuration, event, reserved)
            return b""
        try:
            invocation = environments.invoke(configuration, event, reserved)
        except Throttled:
            raise _too_many_requests() from None
        return _answer(invocation, str(self.version), response_headers)

    LambdaFunction.invoke = invoke
    return environments


def honour_function_logging_configuration() -> None:
    """A function's LoggingConfig (API or CloudFormation) decides its log group and log format.

    moto ignores LoggingConfig: GetFunctionConfiguration does not return it and every function logs
    to /aws/lambda/<name>. This platform's stacks give each function its own log group
    (CloudFormation `LoggingConfig.LogGroup`), which stayed empty. Stored here as Lambda stores it
    (LogFormat Text by default; under JSON, ApplicationLogLevel and SystemLogLevel default to INFO),
    returned by GetFunction(Configuration), changed by UpdateFunctionConfiguration and stack updates;
    a stack update also applies ReservedConcurrentExecutions, which moto drops there.
    """
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_get_configuration = LambdaFunction.get_configuration
    original_update_configuration = LambdaFunction.update_configuration
    original_create = LambdaFunction.create_from_cloudformation_json.__func__

    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.logging_config = _logging_config(spec.get("LoggingConfig"), self.function_name)
        self.logs_group_name = self.logging_config["LogGroup"]

    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        configuration: dict[str, Any] = original_get_configuration(self, *args, **kwargs)
        configuration["LoggingConfig"] = dict(self.logging_config)
        return configuration

    def update_configuration(self: Any, updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in updates:
            self.logging_config = _logging_config(
                {**self.logging_config, **updates["LoggingConfig"]}, self.function_name
            )
            self.logs_group_name = self.logging_config["LogGroup"]
        if "ReservedConcurrentExecutions" in updates:  # a stack update's property
            self.reserved_concurrency = updates["ReservedConcurrentExecutions"]
        result: dict[str, Any] = original_update_configuration(self, updates)
        return result

    def create(cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Any:
        function = original_create(cls, resource_name, cloudformation_json, *args, **kwargs)
        logging_config = cloudformation_json["Properties"].get("LoggingConfig")
        if logging_config:
            function.update_configuration({"LoggingConfig": logging_config})
        return function

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration
    LambdaFunction.create_from_cloudformation_json = classmethod(create)


def _logging_config(requested: Mapping[str, Any] | None, function_name: str) -> dict[str, str]:
    """LoggingConfig as Lambda returns it: the defaults filled in, the levels only under JSON."""
    requested = requested or {}
    config = {
        "LogFormat": str(requested.get("LogFormat") or DEFAULT_LOG_FORMAT),
        "LogGroup": str(requested.get("LogGroup") or f"/aws/lambda/{function_name}"),
    }
    if config["LogFormat"].upper() == "JSON":
        config["ApplicationLogLevel"] = str(requested.get("ApplicationLogLevel") or DEFAULT_LOG_LEVEL)
        config["SystemLogLevel"] = str(requested.get("SystemLogLevel") or DEFAULT_LOG_LEVEL)
    return config


def _too_many_requests() -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError("TooManyRequestsException", "Rate Exceeded.")
    error.code = 429
    error.description = json.dumps(
        {
            "__type": "TooManyRequestsException",
            "message": "Rate Exceeded.",
            "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
            "Type": "User",
        }
    )
    return error


def _header(headers: Any, name: str) -> str | None:
    """A request header, whatever the case of its name (moto passes werkzeug's headers or a dict)."""
    for key, value in dict(headers or {}).items():
        if str(key).lower() == name:
            return str(value)
    return None


def _event_text(body: str | bytes | None) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return body if body else "{}"


def _reserved_concurrency(function: Any) -> int | None:
    reserved = function.reserved_concurrency
    return None if reserved is None or reserved == "" else int(reserved)


def _answer(invocation: Invocation, version: str, response_headers: Any) -> bytes:
    """Invoke's answer: the payload, and the headers Lambda sets."""
    if invocation.function_error:
        response_headers["x-amz-function-error"] = "Unhandled"
    response_headers["x-amz-executed-version"] = version
    response_headers["x-amz-log-result"] = base64.b64encode(invocation.log_tail.encode("utf-8")).decode("ascii")
    return invocation.payload.encode("utf-8")


def _configuration_of(function: Any, code_dir: Path, endpoint: str) -> FunctionConfiguration:
    logging_config = getattr(function, "logging_config", None) or _logging_config(None, function.function_name)
    return FunctionConfiguration(
        name=function.function_name,
        arn=function.function_arn,
        account_id=function.account_id,
        region=function.region,
        version=str(function.version),
        handler=str(function.handler),
        code_dir=code_dir,
        environment=tuple(sorted(_function_environment(function, endpoint).items())),
        timeout=float(function.timeout),
        memory_size=int(function.memory_size),
        log_group=logging_config["LogGroup"],
        log_format=logging_config["LogFormat"],
        application_log_level=logging_config.get("ApplicationLogLevel"),
        system_log_level=logging_config.get("SystemLogLevel"),
    )


def function_principal(function_name: str, role_arn: str) -> call_log.Principal:
    return call_log.role(role_arn, f"function {function_name}")


def _principal_of(configuration: FunctionConfiguration) -> call_log.Principal:
    return call_log.PRINCIPALS.of(dict(configuration.environment)["AWS_ACCESS_KEY_ID"])


def _record_role_assumed(configuration: FunctionConfiguration) -> None:
    principal = _principal_of(configuration)
    calls = assumed_role("lambda", principal.arn, f"Lambda, for {principal.by}", configuration.arn)
    call_log.record(principal, calls)


class _CloudWatchLogsSink:
    """Writes the environments' log lines into the emulator's CloudWatch Logs, through its API
    (so that metric filters see them), creating the group and the stream when missing.

    Lambda writes them with the function's role: the call log gets logs:CreateLogStream and
    logs:PutLogEvents on each new stream (once each, not per line)."""

    def __init__(self) -> None:
        from moto.logs.models import logs_backends

        self._backends = logs_backends
        self._lock = threading.Lock()  # moto's log store is not made for concurrent writers
        self._streams: set[tuple[str, str, str]] = set()

    def put(self, configuration: FunctionConfiguration, stream: str, timestamp_ms: int, message: str) -> None:
        backend = self._backends[configuration.account_id][configuration.region]
        with self._lock:
            backend.ensure_log_group(configuration.log_group)
            backend.ensure_log_stream(configuration.log_group, stream)
            backend.put_log_events(configuration.log_group, stream, [{"timestamp": timestamp_ms, "message": message}])
            new_stream = (configuration.arn, configuration.log_group, stream) not in self._streams
            self._streams.add((configuration.arn, configuration.log_group, stream))
        if new_stream:
            arn = log_stream_arn(configuration.region, configuration.account_id, configuration.log_group, stream)
            calls = [call_log.Authorization(a, arn) for a in ("logs:CreateLogStream", "logs:PutLogEvents")]
            call_log.record(_principal_of(configuration), calls)


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
    """What a function's process sees: the variables the Lambda runtime sets, the key of the
    function's role, the function's own variables, and AWS_ENDPOINT_URL (last: a function always talks
    to the emulator). The log group and stream are added per execution environment."""
    access_key = call_log.PRINCIPALS.key_for(function_principal(function.function_name, function.role))
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_REGION": function.region,
        "AWS_DEFAULT_REGION": function.region,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": call_log.SECRET_ACCESS_KEY,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": str(function.version),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "_HANDLER": str(function.handler),
        **{str(k): str(v) for k, v in function.environment_vars.items()},
        "AWS_ENDPOINT_URL": endpoint,
    }
