"""One Lambda execution environment: a long-lived process of the emulator's Lambda runtime
(emulator/lambda_runtime.py) serving one function configuration's invocations, one at a time, and
writing its log stream.

Its init (interpreter start and the import of the handler's module) runs under the deadline it is
given; each invocation under the function's timeout, from the moment the request is sent. A timeout
kills the runtime and every process it started; a crash or an init error leaves the environment
unhealthy: emulator/lambda_environments.py then discards it. The runtime runs in the emulator's process
group, which stopping the emulator ends. The log stream,
`YYYY/MM/DD/[VERSION]<32 hex>` in the function's log group, gets INIT_START, the init's output, then
per invocation START, the function's output (one event per line, one per logging record), END and
REPORT, as Lambda writes them (Text), or platform.* records (JSON log format).
"""

from __future__ import annotations

import codecs
import contextlib
import json
import math
import os
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

RUNTIME_SOURCE = (Path(__file__).parent / "lambda_runtime.py").read_text(encoding="utf-8")
_OUTPUT_DRAIN_SECONDS = 10.0  # how long the runtime's output may lag behind its answer
_TAIL_BYTES = 4096  # what Invoke returns with LogType=Tail


class LogSink(Protocol):
    """Where environments write their log streams (CloudWatch Logs, in the emulator): the stream, in the
    configuration's account, region and log group, is created (with its group) if missing."""

    def put(self, configuration: FunctionConfiguration, stream: str, timestamp_ms: int, message: str) -> None: ...


@dataclass(frozen=True)
class FunctionConfiguration:
    """What an execution environment is made for: two invocations share an environment only if equal."""

    name: str
    arn: str
    account_id: str
    region: str
    version: str
    handler: str
    code_dir: Path
    environment: tuple[tuple[str, str], ...]  # the function's process environment, but the log stream
    timeout: float
    memory_size: int
    log_group: str
    log_format: str = "Text"
    application_log_level: str | None = None
    system_log_level: str | None = None


@dataclass(frozen=True)
class Invocation:
    """An invocation's answer: the payload (the result, or Lambda's error document) and its log's tail."""

    request_id: str
    payload: str
    function_error: bool
    log_tail: str


def _epoch_ms() -> int:
    return int(time.time() * 1000)


def _iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _EnvironmentLog:
    """One environment's log stream; it remembers the current invocation's lines for LogType=Tail."""

    def __init__(self, sink: LogSink, configuration: FunctionConfiguration) -> None:
        self._sink = sink
        self._configuration = configuration
        self.group = configuration.log_group
        self.stream = f"{datetime.now(UTC):%Y/%m/%d}/[{configuration.version}]{uuid.uuid4().hex}"
        self.json_format = configuration.log_format.upper() == "JSON"
        self._system_lines = (configuration.system_log_level or "INFO").upper() in ("DEBUG", "INFO")
        self._lock = threading.Lock()
        self._invocation_lines: list[str] = []

    def function_line(self, message: str) -> None:
        self._write(message)

    def system(self, text: str, record_type: str | None, record: dict[str, Any]) -> None:
        """A line Lambda itself writes (START, END, REPORT...) in the function's log format: a JSON
        platform record, or the text line (END has no record of its own in JSON)."""
        if not self._system_lines:
            return
        if not self.json_format:
            self._write(text)
        elif record_type is not None:
            self._write(json.dumps({"time": _iso_now(), "type": record_type, "record": record}))

    def begin_invocation(self) -> None:
        with self._lock:
            self._invocation_lines = []

    def invocation_tail(self) -> str:
        with self._lock:
            text = "".join(line + "\n" for line in self._invocation_lines)
        return text.encode("utf-8")[-_TAIL_BYTES:].decode("utf-8", errors="ignore")

    def _write(self, message: str) -> None:
        with self._lock:
            self._sink.put(self._configuration, self.stream, _epoch_ms(), message)
            self._invocation_lines.append(message)


class _OutputPump(threading.Thread):
    """Reads the runtime's stdout and stderr into the log as it comes, one event per line, and counts
    the phase marks that end each phase's output."""

    def __init__(self, stream: Any, phase_mark: str, log: _EnvironmentLog) -> None:
        super().__init__(name=f"lambda-output-{log.stream}", daemon=True)
        self._stream = stream
        self._mark = phase_mark
        self._log = log
        self._phases = 0
        self._closed = False
        self._changed = threading.Condition()

    def run(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        buffer = ""
        for chunk in iter(lambda: self._stream.read1(65536), b""):
            buffer = self._drain(buffer + decoder.decode(chunk))
        buffer += decoder.decode(b"", final=True)
        if buffer:
            self._emit(buffer)
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _drain(self, buffer: str) -> str:
        while True:
            mark_at, newline_at = buffer.find(self._mark), buffer.find("\n")
            if mark_at != -1 and (newline_at == -1 or mark_at < newline_at):
                self._emit(buffer[:mark_at])  # a last line the function left without a newline
                buffer = buffer[mark_at + len(self._mark) :].removeprefix("\n")
                with self._changed:
                    self._phases += 1
                    self._changed.notify_all()
            elif newline_at != -1:
                self._emit(buffer[:newline_at])
                buffer = buffer[newline_at + 1 :]
            else:
                return buffer

    def _emit(self, line: str) -> None:
        message = line.rstrip("\r").replace("\r", "\n")  # a logging record's lines, framed by the runtime
        if message:
            self._log.function_line(message)

    def wait_for_phase(self, phase: int) -> None:
        """Until the output of the `phase`-th phase (1: init) is in the log, or the output ends."""
        with self._changed:
            self._changed.wait_for(lambda: self._phases >= phase or self._closed, timeout=_OUTPUT_DRAIN_SECONDS)


class _Responses:
    """The runtime's answers, one JSON line each, read with a deadline."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = b""

    def next(self, deadline: float) -> dict[str, Any] | None:
        """The next answer; None if the deadline (time.monotonic) passed first; EOFError if the runtime exited."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._fd], [], [], remaining)[0]:
                return None
            chunk = os.read(self._fd, 65536)
            if not chunk:
                raise EOFError
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        return answer


class InitTimedOut(Exception):
    """The environment's init did not finish within its limit."""


@dataclass
class _Report:
    """What REPORT says of one invocation."""

    request_id: str
    started: float
    status: str = "success"  # success, error, timeout (as Lambda's platform.report record)
    error_type: str | None = None
    max_memory_used_mb: int | None = None  # read before a timed-out process is killed


class ExecutionEnvironment:
    """One long-lived runtime process for one function configuration."""

    def __init__(self, configuration: FunctionConfiguration, library: Path, sink: LogSink) -> None:
        self.configuration = configuration
        self._library = library
        self.log = _EnvironmentLog(sink, configuration)
        self.healthy = True
        self.last_used = time.monotonic()
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: Any = None
        self._responses: _Responses | None = None
        self._pump: _OutputPump | None = None
        self._phases = 0
        self._init_duration_ms: float | None = None

    @property
    def alive(self) -> bool:
        return self.healthy and self._process is not None and self._process.poll() is None

    def initialise(self, deadline: float) -> dict[str, Any] | None:
        """Start the runtime and import the handler: None, or Lambda's init error; InitTimedOut."""
        self.log.system(
            f"INIT_START Runtime Version: python:{sys.version_info.major}.{sys.version_info.minor}",
            "platform.initStart",
            {"initializationType": "on-demand", "phase": "init", "functionName": self.configuration.name},
        )
        started = time.monotonic()
        self._spawn()
        assert self._responses is not None
        try:
            answer = self._responses.next(deadline)
        except EOFError:
            answer = {"error": self._exit_error("")}
        self._init_duration_ms = (time.monotonic() - started) * 1000
        if answer is None:
            self._kill()
            self._init_report("timeout", None)
            raise InitTimedOut
        self._end_phase()
        error: dict[str, Any] | None = answer.get("error")
        if error is not None:
            self.healthy = False
            self._init_report("error", error.get("errorType"))
        return error

    def invoke(self, request_id: str, event: str, deadline: float | None = None) -> Invocation:
        """One invocation, within the function's timeout (or `deadline`, when init already used part of it)."""
        report = self._start_invocation(request_id)
        deadline = deadline if deadline is not None else report.started + self.configuration.timeout
        request = {
            "request_id": request_id,
            "event": event,
            "deadline_ms": _epoch_ms() + int((deadline - time.monotonic()) * 1000),
            "function_arn": self.configuration.arn,
        }
        assert self._responses is not None
        try:
            self._requests.write(json.dumps(request) + "\n")
            self._requests.flush()
            answer = self._responses.next(deadline)
        except (EOFError, BrokenPipeError, OSError):
            return self._crashed(report)
        if answer is None:
            return self._timed_out(report)
        self._end_phase()
        if "error" in answer:
            report.status, report.error_type = "error", answer["error"].get("errorType")
            return self._finish(report, json.dumps(answer["error"]), function_error=True)
        return self._finish(report, answer["payload"], function_error=False)

    def fail_invocation(self, request_id: str, error: dict[str, Any]) -> Invocation:
        """The answer to an invocation whose environment could not be initialised."""
        report = self._start_invocation(request_id)
        report.status, report.error_type = "error", error.get("errorType")
        return self._finish(report, json.dumps(error), function_error=True)

    def discard(self) -> None:
        self.healthy = False
        if self._requests is not None:
            with contextlib.suppress(OSError):
                self._requests.close()  # the runtime exits at the end of its requests
        if self._process is not None:
            try:
                self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._kill()
        if self._pump is not None:
            self._pump.join(timeout=_OUTPUT_DRAIN_SECONDS)

    def terminate(self) -> None:
        """Kill the runtime and the processes it started, whatever it is doing."""
        self._kill()

    def _spawn(self) -> None:
        requests_read, requests_write = os.pipe()
        responses_read, responses_write = os.pipe()
        phase_mark = f"\x1femulator-lambda-phase-end-{uuid.uuid4().hex}\x1f"
        environment = dict(self.configuration.environment)
        environment.update(
            AWS_LAMBDA_LOG_GROUP_NAME=self.log.group,
            AWS_LAMBDA_LOG_STREAM_NAME=self.log.stream,
            AWS_LAMBDA_LOG_FORMAT="JSON" if self.log.json_format else "Text",
        )
        if self.log.json_format and self.configuration.application_log_level:
            environment["AWS_LAMBDA_LOG_LEVEL"] = self.configuration.application_log_level
        command = [
            sys.executable,
            "-I",
            "-S",
            "-c",
            RUNTIME_SOURCE,
            self.configuration.handler,
            str(self._library),
            str(requests_read),
            str(responses_write),
            phase_mark,
        ]
        try:
            # In the emulator's process group, which stopping the emulator ends with all it started.
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=self.configuration.code_dir,
                env=environment,
                pass_fds=(requests_read, responses_write),
            )
        finally:
            os.close(requests_read)
            os.close(responses_write)
        self._requests = os.fdopen(requests_write, "w", encoding="utf-8")
        self._responses = _Responses(responses_read)
        self._pump = _OutputPump(self._process.stdout, phase_mark, self.log)
        self._pump.start()

    def _end_phase(self) -> None:
        self._phases += 1
        assert self._pump is not None
        self._pump.wait_for_phase(self._phases)

    def _kill(self) -> None:
        """Kill the runtime and every process it started (a timeout must not leave the function's
        children running), then read what it wrote."""
        self.healthy = False
        if self._process is None:
            return
        kill_process_tree(self._process.pid)
        self._process.wait()
        if self._pump is not None:
            self._pump.join(timeout=_OUTPUT_DRAIN_SECONDS)

    def _init_report(self, status: str, error_type: str | None) -> None:
        duration = self._init_duration_ms or 0.0
        text = f"INIT_REPORT Init Duration: {duration:.2f} ms\tPhase: init\tStatus: {status}"
        record: dict[str, Any] = {"initializationType": "on-demand", "phase": "init", "status": status}
        record["metrics"] = {"durationMs": round(duration, 3)}
        if error_type:
            text += f"\tError Type: {error_type}"
            record["errorType"] = error_type
        self.log.system(text, "platform.initReport", record)

    def _start_invocation(self, request_id: str) -> _Report:
        self.log.begin_invocation()
        version = self.configuration.version
        self.log.system(
            f"START RequestId: {request_id} Version: {version}",
            "platform.start",
            {"requestId": request_id, "version": version},
        )
        return _Report(request_id, time.monotonic())

    def _timed_out(self, report: _Report) -> Invocation:
        report.max_memory_used_mb = self._max_memory_used_mb()
        self._kill()
        message = f"Task timed out after {self.configuration.timeout:.2f} seconds"
        self.log.function_line(f"{_iso_now()} {report.request_id} {message}")
        report.status, report.error_type = "timeout", "Sandbox.Timedout"
        error = {"errorType": "Sandbox.Timedout", "errorMessage": f"RequestId: {report.request_id} Error: {message}"}
        return self._finish(report, json.dumps(error), function_error=True)

    def _crashed(self, report: _Report) -> Invocation:
        self.healthy = False
        assert self._process is not None
        self._process.wait()
        if self._pump is not None:
            self._pump.join(timeout=_OUTPUT_DRAIN_SECONDS)
        error = self._exit_error(report.request_id)
        self.log.function_line(error["errorMessage"])
        report.status, report.error_type = "error", error["errorType"]
        return self._finish(report, json.dumps(error), function_error=True)

    def _exit_error(self, request_id: str) -> dict[str, Any]:
        assert self._process is not None
        code = self._process.wait()
        reason = f"signal: {signal.strsignal(-code) or -code}".lower() if code < 0 else f"exit status {code}"
        return {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {reason}",
        }

    def _finish(self, report: _Report, payload: str, *, function_error: bool) -> Invocation:
        duration_ms = (time.monotonic() - report.started) * 1000
        self.last_used = time.monotonic()
        self.log.system(f"END RequestId: {report.request_id}", None, {})
        self.log.system(*self._report_line(report, duration_ms))
        self._init_duration_ms = None  # reported once, with the environment's first invocation
        return Invocation(report.request_id, payload, function_error, self.log.invocation_tail())

    def _report_line(self, report: _Report, duration_ms: float) -> tuple[str, str, dict[str, Any]]:
        memory = self.configuration.memory_size
        used = report.max_memory_used_mb if report.max_memory_used_mb is not None else self._max_memory_used_mb()
        metrics: dict[str, Any] = {
            "durationMs": round(duration_ms, 3),
            "billedDurationMs": math.ceil(duration_ms),
            "memorySizeMB": memory,
            "maxMemoryUsedMB": used,
        }
        text = (
            f"REPORT RequestId: {report.request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {memory} MB\tMax Memory Used: {used} MB\t"
        )
        if self._init_duration_ms is not None:
            text += f"Init Duration: {self._init_duration_ms:.2f} ms\t"
            metrics["initDurationMs"] = round(self._init_duration_ms, 3)
        record: dict[str, Any] = {"requestId": report.request_id, "metrics": metrics, "status": report.status}
        if report.status != "success":
            text += f"Status: {report.status}\t"
            if report.error_type:
                text += f"Error Type: {report.error_type}\t"
                record["errorType"] = report.error_type
        return text, "platform.report", record

    def _max_memory_used_mb(self) -> int:
        """The process's peak resident memory (Linux /proc), as REPORT's Max Memory Used; 0 where unknown."""
        try:
            status = Path(f"/proc/{self._process.pid if self._process else 0}/status").read_text(encoding="ascii")
        except OSError:
            return 0
        peak = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), "0")
        return math.ceil(int(peak) / 1024)


def kill_process_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants. The process is stopped first, so that it starts no
    more children while its tree is read (from /proc, else from `ps`)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGSTOP)
    children: dict[int, list[int]] = {}
    for child, parent in _parent_pids():
        children.setdefault(parent, []).append(child)
    doomed, pending = [], [pid]
    while pending:
        current = pending.pop()
        doomed.append(current)
        pending.extend(children.get(current, []))
    for process in doomed:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(process, signal.SIGKILL)


def _parent_pids() -> list[tuple[int, int]]:
    """(pid, parent pid) of every process of the machine."""
    proc = Path("/proc")
    if proc.is_dir():
        pairs = []
        for stat in proc.glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):  # ended meanwhile
                pairs.append((int(stat.parent.name), int(stat.read_text().rsplit(")", 1)[1].split()[1])))
        return pairs
    listing = subprocess.run(["ps", "-A", "-o", "pid=", "-o", "ppid="], capture_output=True, text=True, check=False)
    return [
        (int(pid), int(ppid)) for pid, ppid in (line.split() for line in listing.stdout.splitlines() if line.strip())
    ]
