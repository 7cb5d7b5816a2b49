"""A started training: what `Platform.start` returns, to wait for its job, follow it and stop it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from platform_contract import TrainingJobStatus
from trainctl.errors import PlatformError, TrainingFailedToStart
from trainctl.states import ProgressEvent, StatusChange, TrainingState

if TYPE_CHECKING:
    from trainctl.platform import Platform

# How many polls to give the workflow to record a job's end (or start a retry) before reporting.
_WORKFLOW_LAG_POLLS = 12


@dataclass
class Training:
    """A started execution of the training workflow and the job it runs."""

    platform: Platform
    execution_arn: str
    _job_name: str | None = None
    code_uri: str | None = None  # the script-mode code trainctl packaged and uploaded for it, if any

    def wait_for_job(self) -> str:
        """The job's name, once SageMaker has created it (Prepare names it a moment before, and
        `logs`/`status` need the job itself); TrainingFailedToStart if the execution ended first."""
        while self._job_name is None:
            name = self.platform.job_name_of(self.execution_arn)
            if name and self._created(name):
                self._job_name = name
                break
            execution = self.platform.execution(self.execution_arn)
            if execution.finished:
                name = self.platform.job_name_of(self.execution_arn)
                if name and self._created(name):
                    self._job_name = name
                    break
                raise TrainingFailedToStart(
                    f"execution {execution.name} {execution.status} before starting a job: "
                    f"{execution.error or 'no error'}: {execution.cause or 'no cause given'}",
                    error=execution.error,
                    cause=execution.cause,
                )
            self.platform.sleep(self.platform.poll_seconds)
        return self._job_name

    def _created(self, job_name: str) -> bool:
        try:
            self.platform.job(job_name)
        except PlatformError:
            return False
        return True

    @property
    def job_name(self) -> str:
        return self.wait_for_job()

    def events(self, *, logs: bool = True) -> Iterator[ProgressEvent]:
        """Status changes (and log lines) until the job ends; when a job fails and the workflow
        starts another (a capacity retry under a fresh name), on into that one."""
        job_name = self.wait_for_job()
        while True:
            yield from self.platform.follow(job_name, logs=logs)
            retry = self._job_after(job_name)
            if retry is None:
                return
            yield StatusChange("Retrying", f"{job_name} failed; the workflow retries it as {retry}", datetime.now(UTC))
            self._job_name = job_name = retry

    def _job_after(self, job_name: str) -> str | None:
        """The job the execution started after `job_name` failed, if any (waits a bounded time).

        Prepare names the retry a moment before SageMaker creates it: the name counts only once the
        job exists, as for the first job (see wait_for_job)."""
        if self.platform.job(job_name).status != TrainingJobStatus.FAILED.value:
            return None
        for _ in range(_WORKFLOW_LAG_POLLS):
            finished = self.platform.execution(self.execution_arn).finished
            newest = self.platform.job_name_of(self.execution_arn)
            if newest and newest != job_name and self._created(newest):
                return newest
            if finished:
                return None
            self.platform.sleep(self.platform.poll_seconds)
        return None

    def status(self) -> TrainingState:
        return self.platform.status(self.execution_arn)

    def wait(self, *, logs: bool = True, out: Callable[[str], None] = print) -> TrainingState:
        """Show status changes (and log lines) until the job ends; returns the final state."""
        for event in self.events(logs=logs):
            out(str(event))
        return self.final_state()

    def final_state(self) -> TrainingState:
        """The state once the job has ended, after the execution has recorded it (its output has
        the console links); bounded, so a workflow that lags never hangs the caller."""
        state = self.status()
        for _ in range(_WORKFLOW_LAG_POLLS):
            if state.execution is None or state.execution.finished:
                break
            self.platform.sleep(self.platform.poll_seconds)
            state = self.status()
        return state

    def stop(self) -> TrainingState:
        return self.platform.stop(self.execution_arn)
