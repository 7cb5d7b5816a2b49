"""Every Lambda execution environment of the machine: reused between invocations, under a machine-wide
cap, as Lambda's are.

An environment (emulator/lambda_execution_environment.py) is one process of the emulator's Lambda
runtime for one function configuration (code, handler, environment variables, timeout, memory,
logging); two invocations share one only if their configurations are equal. Its init has its own
limit, INIT_TIMEOUT_SECONDS, as Lambda's init phase has, and does not count against the function's
timeout; an init that takes longer is retried within the first invocation, under the function's
timeout ("suppressed init"). Module state survives between invocations. After a timeout, a crash or
an init error the environment is discarded and the next invocation starts a fresh one.

LambdaEnvironments keeps idle environments for reuse (the most recently used first; the idle ones of
a configuration the function no longer has are discarded at once), reaps those idle longer than
EMULATOR_LAMBDA_IDLE_SECONDS and keeps at most twice the cap idle (none when it is 0: every invocation
then starts a fresh environment). At most
EMULATOR_LAMBDA_CONCURRENCY environments run (initialise or invoke) at once on the machine (default:
two per core): invocations beyond it wait in a first-come-first-served queue, and that wait counts
against no timeout. A function's reserved concurrency, when set, throttles synchronous invocations
beyond it (Throttled, which the API answers as TooManyRequestsException); asynchronous ones wait for
a free place instead, as Lambda's event queue does. Shutting down (the emulator stops) ends idle
environments and kills busy ones.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from pathlib import Path

from emulator.lambda_execution_environment import (
    ExecutionEnvironment,
    FunctionConfiguration,
    InitTimedOut,
    Invocation,
    LogSink,
)

INIT_TIMEOUT_SECONDS = 10.0  # Lambda's init phase limit for on-demand functions
CONCURRENCY_VARIABLE = "EMULATOR_LAMBDA_CONCURRENCY"
IDLE_SECONDS_VARIABLE = "EMULATOR_LAMBDA_IDLE_SECONDS"
DEFAULT_IDLE_SECONDS = 300.0
ASYNC_EVENT_MAX_AGE_SECONDS = 6 * 3600.0  # how long Lambda's event queue keeps a throttled event


def default_concurrency() -> int:
    return 2 * (os.cpu_count() or 1)


def configured_concurrency(environment: dict[str, str] | None = None) -> int:
    value = (os.environ if environment is None else environment).get(CONCURRENCY_VARIABLE, "")
    return max(1, int(value)) if value.strip() else default_concurrency()


def configured_idle_seconds(environment: dict[str, str] | None = None) -> float:
    value = (os.environ if environment is None else environment).get(IDLE_SECONDS_VARIABLE, "")
    return float(value) if value.strip() else DEFAULT_IDLE_SECONDS


class Throttled(Exception):
    """A synchronous invocation beyond the function's reserved concurrency."""


class ClosedError(Exception):
    """The environments were shut down (the emulator stops)."""


class _FirstComeSlots:
    """A counting semaphore that serves waiters in arrival order."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._queue: deque[object] = deque()
        self._changed = threading.Condition()

    def acquire(self) -> None:
        ticket = object()
        with self._changed:
            self._queue.append(ticket)
            self._changed.wait_for(lambda: self._queue[0] is ticket and self._free > 0)
            self._queue.popleft()
            self._free -= 1
            self._changed.notify_all()

    def release(self) -> None:
        with self._changed:
            self._free += 1
            self._changed.notify_all()


class _ReservedConcurrency:
    """Invocations in flight per function, against the function's reserved concurrency."""

    def __init__(self) -> None:
        self._in_flight: Counter[str] = Counter()
        self._changed = threading.Condition()

    def enter(self, arn: str, reserved: int | None, *, wait: bool) -> bool:
        """Count one invocation in; False if the function is at its reservation (and `wait` is off or
        the wait outlived an event's age)."""

        def has_room() -> bool:
            return reserved is None or self._in_flight[arn] < reserved

        with self._changed:
            if not (self._changed.wait_for(has_room, ASYNC_EVENT_MAX_AGE_SECONDS) if wait else has_room()):
                return False
            self._in_flight[arn] += 1
            return True

    def leave(self, arn: str) -> None:
        with self._changed:
            self._in_flight[arn] -= 1
            self._changed.notify_all()


class LambdaEnvironments:
    """Every function's execution environments on this machine, under one cap."""

    def __init__(
        self,
        library: Path,
        sink: LogSink,
        *,
        concurrency: int | None = None,
        idle_seconds: float | None = None,
        on_new_environment: Callable[[FunctionConfiguration], None] | None = None,
    ) -> None:
        self._library = library
        self._sink = sink
        self._on_new_environment = on_new_environment  # Lambda assumes the function's role for it
        self._slots = _FirstComeSlots(concurrency or configured_concurrency())
        self._idle_seconds = idle_seconds if idle_seconds is not None else configured_idle_seconds()
        # An idle limit of 0 keeps no environment: every invocation starts a fresh one (a cold start each
        # time, bench_burst's baseline).
        self._max_idle = 2 * self._slots.size if self._idle_seconds > 0 else 0
        self._reserved = _ReservedConcurrency()
        self._idle: list[ExecutionEnvironment] = []  # oldest use first
        self._busy: set[ExecutionEnvironment] = set()  # initialising or invoking
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._reaper = threading.Thread(target=self._reap_periodically, name="lambda-reaper", daemon=True)
        self._reaper.start()

    @property
    def concurrency(self) -> int:
        return self._slots.size

    def invoke(self, configuration: FunctionConfiguration, event: str, reserved: int | None = None) -> Invocation:
        """A synchronous invocation; Throttled beyond the function's reserved concurrency."""
        if not self._reserved.enter(configuration.arn, reserved, wait=False):
            raise Throttled(configuration.name)
        try:
            return self._run(configuration, event)
        finally:
            self._reserved.leave(configuration.arn)

    def invoke_async(
        self,
        configuration: FunctionConfiguration,
        event: str,
        reserved: int | None = None,
        done: Callable[[Invocation], None] | None = None,
    ) -> None:
        """An asynchronous invocation: queued, run when the function and the machine have room."""

        def run() -> None:
            if not self._reserved.enter(configuration.arn, reserved, wait=True):
                return  # older than Lambda keeps an event
            try:
                invocation = self._run(configuration, event)
            except ClosedError:
                return
            except Exception as error:  # nobody waits for this answer: say it in the emulator's log
                print(f"emulator: asynchronous invocation of {configuration.name} failed: {error!r}", flush=True)
                return
            finally:
                self._reserved.leave(configuration.arn)
            if done is not None:
                done(invocation)

        threading.Thread(target=run, name=f"lambda-async-{configuration.name}", daemon=True).start()

    def shutdown(self) -> None:
        """Discard every environment: idle ones end at once, busy ones are killed (the emulator stops)."""
        self._closed.set()
        with self._lock:
            idle, busy, self._idle = self._idle, list(self._busy), []
        for environment in idle:
            environment.discard()
        for environment in busy:
            environment.terminate()

    def _run(self, configuration: FunctionConfiguration, event: str) -> Invocation:
        self._slots.acquire()
        try:
            if self._closed.is_set():
                raise ClosedError
            request_id = str(uuid.uuid4())
            environment, deadline = self._environment_for(configuration, request_id)
            if isinstance(environment, Invocation):
                return environment
            try:
                return environment.invoke(request_id, event, deadline)
            finally:
                self._release(environment)
        finally:
            self._slots.release()

    def _environment_for(
        self, configuration: FunctionConfiguration, request_id: str
    ) -> tuple[ExecutionEnvironment | Invocation, float | None]:
        """A warm environment, else a fresh one initialised (its init error as the invocation's answer);
        with the invocation's deadline if init had to be retried within it."""
        warm = self._take_idle(configuration)
        if warm is not None:
            return warm, None
        environment = self._new_environment(configuration)
        deadline: float | None = None
        try:
            error = environment.initialise(time.monotonic() + INIT_TIMEOUT_SECONDS)
        except InitTimedOut:
            # As Lambda: init is retried within the first invocation, under the function's timeout.
            self._release(environment)
            environment = self._new_environment(configuration)
            deadline = time.monotonic() + configuration.timeout
            try:
                error = environment.initialise(deadline)
            except InitTimedOut:
                error = {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: Task timed out",
                }
        if error is not None:
            answer = environment.fail_invocation(request_id, error)
            self._release(environment)
            return answer, None
        return environment, deadline

    def _new_environment(self, configuration: FunctionConfiguration) -> ExecutionEnvironment:
        environment = ExecutionEnvironment(configuration, self._library, self._sink)
        if self._on_new_environment is not None:
            self._on_new_environment(configuration)
        with self._lock:
            self._busy.add(environment)
        return environment

    def _take_idle(self, configuration: FunctionConfiguration) -> ExecutionEnvironment | None:
        stale: list[ExecutionEnvironment] = []
        chosen = None
        with self._lock:
            for environment in reversed(self._idle):
                same_function = environment.configuration.arn == configuration.arn
                if environment.configuration == configuration and environment.alive and chosen is None:
                    chosen = environment
                elif same_function and (environment.configuration != configuration or not environment.alive):
                    stale.append(environment)  # code or settings changed since: never used again
            self._idle = [e for e in self._idle if e is not chosen and e not in stale]
            if chosen is not None:
                self._busy.add(chosen)
        for environment in stale:
            environment.discard()
        return chosen

    def _release(self, environment: ExecutionEnvironment) -> None:
        """Back to the idle ones after an invocation, or discarded (dead, unhealthy, or shutting down)."""
        with self._lock:
            self._busy.discard(environment)
        if not environment.alive or self._closed.is_set() or self._max_idle == 0:
            environment.discard()
            return
        with self._lock:
            self._idle.append(environment)
            surplus, self._idle = self._idle[: -self._max_idle], self._idle[-self._max_idle :]
        for extra in surplus:
            extra.discard()

    def _reap_periodically(self) -> None:
        interval = max(1.0, min(30.0, self._idle_seconds / 2))
        while not self._closed.wait(interval):
            cutoff = time.monotonic() - self._idle_seconds
            with self._lock:
                expired = [e for e in self._idle if e.last_used < cutoff]
                self._idle = [e for e in self._idle if e.last_used >= cutoff]
            for environment in expired:
                environment.discard()
