"""The emulator's Lambda runtime: the interpreter of ONE execution environment, serving many invocations.

Started by emulator/lambda_environments.py with the project's Python, in the directory the
function's deployment package was unpacked to, as
`python -I -S -c <this file> HANDLER LIBRARY REQUESTS_FD RESPONSES_FD PHASE_MARK` (LIBRARY: boto3
and its dependencies, the only packages on the path besides the function's own code and the
standard library). Standard library only: the function sees no emulator module on its path, just as
on AWS it sees only its own package.

Like Lambda's own Python runtime it has two phases:
- init: import the handler's module once (its module-level code runs here, and its state then
  survives from one invocation to the next); a failure is reported as Lambda reports it
  (`Runtime.ImportModuleError`, `Runtime.HandlerNotFound`, ...) and the process exits.
- invoke, repeatedly: read one request, call the handler, answer with its result or its error.

Protocol (one JSON document per line on each pipe):
- REQUESTS_FD (read): {"request_id", "event" (the payload as JSON text), "deadline_ms", "function_arn"}.
  End of file: the environment is shut down, the process exits.
- RESPONSES_FD (write): {"phase": "init", "error": null | <error>} once, then for each request
  {"phase": "invoke", "payload": <the result as JSON text>} or {"phase": "invoke", "error": <error>},
  where <error> is Lambda's error document {"errorMessage", "errorType", "requestId", "stackTrace"}.
- stdout and stderr (one pipe, read by the emulator) are the function's log. At the end of each
  phase the runtime writes PHASE_MARK and a newline, so that the emulator knows it has read all of
  that phase's output before it writes END and REPORT. A log record of the `logging` module is one
  log event however many lines it has: its newlines are written as carriage returns, which the
  emulator turns back (Lambda's runtime frames a record the same way).

Logging is set up as Lambda's Python runtime sets it up: the root logger writes
`[LEVEL]\\t<time>Z\\t<request id>\\t<message>` (level WARNING unless the code changes it), or, with the
JSON log format (AWS_LAMBDA_LOG_FORMAT=JSON), one JSON object per record at AWS_LAMBDA_LOG_LEVEL.
"""

import importlib
import io
import json
import logging
import os
import sys
import time
import traceback
from datetime import UTC, datetime

_REQUEST_ID = ""  # the invocation being served, for log records
_TEXT_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "aws_request_id"}


class InitError(Exception):
    """The handler could not be loaded: Lambda's error type and message."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class LambdaContext:
    """The context object a handler receives, with the attributes Lambda's context has."""

    def __init__(self, request: dict) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.invoked_function_arn = request.get("function_arn", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.aws_request_id = request["request_id"]
        self.client_context = None
        self.identity = None
        self._deadline_ms = int(request["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _REQUEST_ID
        return True


class _JsonFormatter(logging.Formatter):
    """A record as Lambda's JSON log format writes it."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": _REQUEST_ID or None,
        }
        if record.exc_info and record.exc_info[0] is not None:
            document["errorType"] = record.exc_info[0].__name__
            document["errorMessage"] = str(record.exc_info[1])
            document["stackTrace"] = traceback.format_tb(record.exc_info[2])
            document["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        extra = {key: value for key, value in vars(record).items() if key not in _RECORD_FIELDS}
        document.update((key, value) for key, value in extra.items() if key not in document)
        return json.dumps({key: value for key, value in document.items() if value is not None}, default=str)


class _OneEventPerRecord(logging.StreamHandler):
    """Writes each record on one line (its newlines as carriage returns): one log event per record."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\r")


def _json_format() -> bool:
    return os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


def _set_up_logging() -> None:
    handler = _OneEventPerRecord(sys.stdout)
    handler.addFilter(_RequestIdFilter())
    if _json_format():
        handler.setFormatter(_JsonFormatter())
        level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper().replace("TRACE", "DEBUG")
        if level in logging.getLevelNamesMapping():
            logging.getLogger().setLevel(level)
    else:
        formatter = logging.Formatter(_TEXT_FORMAT, "%Y-%m-%dT%H:%M:%S")
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
    logging.getLogger().addHandler(handler)


def _load_handler(handler_name: str):
    """The handler function, imported as Lambda's runtime imports it, or InitError."""
    module_name, _, function_name = handler_name.rpartition(".")
    if not module_name:
        raise InitError("Runtime.MalformedHandlerName", f"Bad handler '{handler_name}': not enough values to unpack")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}") from error
    except SyntaxError as error:
        raise InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {error}") from error
    except Exception as error:  # the module's own code failed: Lambda names the exception's type
        raise InitError(type(error).__name__, str(error)) from error
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise InitError(
            "Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'"
        ) from None


def _error(message: str, error_type: str, stack_trace: list[str] | None = None) -> dict:
    return {"errorMessage": message, "errorType": error_type, "requestId": _REQUEST_ID, "stackTrace": stack_trace or []}


def _log_error(error: dict) -> None:
    """The error as Lambda's runtime logs it: one event, `[ERROR] Type: message` and the traceback."""
    if _json_format():
        timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        line = json.dumps({"timestamp": timestamp, "level": "ERROR", **error})
    else:
        lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}", "Traceback (most recent call last):"]
        lines += [line for frame in error["stackTrace"] for line in frame.splitlines()]
        line = "\r".join(lines)
    sys.stdout.write(line + "\n")


def _invoke(handler, request: dict) -> dict:
    """One invocation: the handler's result as JSON text, or Lambda's error document."""
    try:
        result = handler(json.loads(request["event"]), LambdaContext(request))
    except Exception as error:
        frames = traceback.extract_tb(error.__traceback__)[1:]  # without this runtime's own frame
        failure = _error(str(error), type(error).__name__, traceback.format_list(frames))
        _log_error(failure)
        return {"phase": "invoke", "error": failure}
    try:
        return {"phase": "invoke", "payload": json.dumps(result)}
    except (TypeError, ValueError) as error:
        failure = _error(f"Unable to marshal response: {error}", "Runtime.MarshalError")
        _log_error(failure)
        return {"phase": "invoke", "error": failure}


def _end_phase(responses, phase_mark: str, response: dict) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    sys.stdout.write(phase_mark + "\n")
    sys.stdout.flush()
    responses.write(json.dumps(response) + "\n")
    responses.flush()


def main() -> int:
    global _REQUEST_ID
    handler_name, library, requests_fd, responses_fd, phase_mark = sys.argv[1:6]
    sys.path[:0] = [os.getcwd(), library]
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):  # written through: output and phase marks stay in order
            stream.reconfigure(line_buffering=True, write_through=True)
    requests = os.fdopen(int(requests_fd), "r", encoding="utf-8")
    responses = os.fdopen(int(responses_fd), "w", encoding="utf-8")
    _set_up_logging()
    try:
        handler = _load_handler(handler_name)
    except InitError as failure:
        error = _error(str(failure), failure.error_type)
        _log_error(error)
        _end_phase(responses, phase_mark, {"phase": "init", "error": error})
        return 1
    _end_phase(responses, phase_mark, {"phase": "init", "error": None})
    for line in requests:
        request = json.loads(line)
        _REQUEST_ID = request["request_id"]
        response = _invoke(handler, request)
        _REQUEST_ID = ""
        _end_phase(responses, phase_mark, response)
    return 0


if __name__ == "__main__":
    sys.exit(main())
