"""SageMaker: training jobs with a lifecycle (emulator/training_jobs.py), StopTrainingJob, requests
checked against botocore's model, ListTrainingJobs as SageMaker answers it (emulator/training_job_list.py)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.validate import ParamValidator

from emulator import DUMMY_CREDENTIALS, training_job_list, training_jobs
from platform_contract import TRAINING_JOB_METRICS_NAMESPACE


def give_training_jobs_a_lifecycle(endpoint: str) -> None:
    """Training jobs run (see emulator/training_jobs.py): statuses, artifact, logs, metrics, StopTrainingJob,
    and DescribeTrainingJob answers with the fields SageMaker fills in.

    moto's jobs are Completed at once, drop most request fields, overwrite a job of the same name
    and have no StopTrainingJob. Requests are checked against botocore's model first (SageMaker
    validates server-side; Step Functions' client sends without client-side validation).
    """
    from moto.core.responses import ActionResult, EmptyResult
    from moto.sagemaker.exceptions import SagemakerClientError
    from moto.sagemaker.responses import SageMakerResponse

    service_model = boto3.session.Session()._session.get_service_model("sagemaker")
    create_shape = service_model.operation_model("CreateTrainingJob").input_shape
    registries = _TrainingJobRegistries(endpoint)

    def answer(action: Callable[[], Any]) -> Any:
        try:
            return action()
        except training_jobs.TrainingJobError as error:
            raise SagemakerClientError(error.code, error.message) from None

    def create_training_job(self: SageMakerResponse) -> ActionResult:
        request = json.loads(self.body)
        report = ParamValidator().validate(request, create_shape)
        if report.has_errors():
            raise SagemakerClientError("ValidationException", report.generate_report())
        job = answer(lambda: registries.of(self).create(request))
        return ActionResult({"TrainingJobArn": job.arn})

    def describe_training_job(self: SageMakerResponse) -> ActionResult:
        name = json.loads(self.body)["TrainingJobName"]
        return ActionResult(answer(lambda: registries.of(self).get(name).describe()))

    def stop_training_job(self: SageMakerResponse) -> EmptyResult:
        name = json.loads(self.body)["TrainingJobName"]
        answer(lambda: registries.of(self).stop(name))
        return EmptyResult()

    SageMakerResponse.create_training_job = create_training_job
    SageMakerResponse.describe_training_job = describe_training_job
    SageMakerResponse.stop_training_job = stop_training_job


def list_training_jobs_as_sagemaker_does() -> None:
    """ListTrainingJobs with SageMaker's filters, order and pages (emulator/training_job_list.py).

    moto's compares naive request times with the jobs' aware ones (HTTP 500), ignores SortBy and
    SortOrder, and has no SecondaryStatus in its summaries.
    """
    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import SagemakerClientError
    from moto.sagemaker.responses import SageMakerResponse

    def list_training_jobs(self: SageMakerResponse) -> ActionResult:
        try:
            query = training_job_list.ListQuery.from_request(json.loads(self.body or "{}"))
            jobs = list(self.sagemaker_backend.training_jobs.values())
            return ActionResult(training_job_list.list_jobs(jobs, query))
        except training_job_list.InvalidListRequest as error:
            raise SagemakerClientError("ValidationException", str(error)) from None

    SageMakerResponse.list_training_jobs = list_training_jobs


class _TrainingJobRegistries:
    """One training_jobs.TrainingJobRegistry per account and region, whose jobs leave their traces
    (artifact, logs, state change events) through the emulator's own API at `endpoint`."""

    def __init__(self, endpoint: str) -> None:
        self._clients = _EmulatorClients(endpoint)
        self._registries: dict[tuple[str, str], training_jobs.TrainingJobRegistry] = {}
        self._lock = threading.Lock()

    def of(self, response: Any) -> training_jobs.TrainingJobRegistry:
        """The registry of the SageMakerResponse's account and region."""
        key = (response.current_account, response.region)
        with self._lock:
            if key not in self._registries:
                prefix = f"arn:aws:sagemaker:{response.region}:{response.current_account}:training-job/"
                traces = _JobTraces(self._clients, response.region)
                registry = training_jobs.TrainingJobRegistry(prefix, traces.side_effects)
                registry.jobs = response.sagemaker_backend.training_jobs  # moto's list, search and tags see them
                self._registries[key] = registry
            return self._registries[key]


class _EmulatorClients:
    """boto3 clients of the emulator's own API, one per service and region, made at first use."""

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint
        self._clients: dict[tuple[str, str], Any] = {}

    def get(self, service: str, region: str) -> Any:
        if (service, region) not in self._clients:
            self._clients[(service, region)] = boto3.client(
                service,
                region_name=region,
                endpoint_url=self._endpoint,
                config=Config(retries={"max_attempts": 1}),
                **DUMMY_CREDENTIALS,
            )
        return self._clients[(service, region)]


@dataclass(frozen=True)
class _JobTraces:
    """What a job of `region` leaves where SageMaker leaves it: its model artifact in S3, its log lines
    in CloudWatch Logs, its metric values in CloudWatch, its state changes on the default event bus."""

    clients: _EmulatorClients
    region: str

    def side_effects(self) -> training_jobs.SideEffects:
        return training_jobs.SideEffects(
            put_object=self.put_object,
            put_log_lines=self.put_log_lines,
            put_metric_data=self.put_metric_data,
            put_state_change=self.put_state_change,
        )

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        self.clients.get("s3", self.region).put_object(Bucket=bucket, Key=key, Body=body)

    def put_log_lines(self, group: str, stream: str, lines: list[tuple[datetime, str]]) -> None:
        logs = self.clients.get("logs", self.region)
        for create in (
            lambda: logs.create_log_group(logGroupName=group),
            lambda: logs.create_log_stream(logGroupName=group, logStreamName=stream),
        ):
            with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                create()
        events = [{"timestamp": round(timestamp.timestamp() * 1000), "message": line} for timestamp, line in lines]
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    def put_metric_data(self, job_name: str, points: list[training_jobs.MetricPoint]) -> None:
        """As SageMaker publishes a training job's metrics: one namespace, the job's name as the dimension."""
        dimensions = [{"Name": "TrainingJobName", "Value": job_name}]
        self.clients.get("cloudwatch", self.region).put_metric_data(
            Namespace=TRAINING_JOB_METRICS_NAMESPACE,
            MetricData=[
                {"MetricName": p.name, "Dimensions": dimensions, "Timestamp": p.timestamp, "Value": p.value}
                for p in points
            ],
        )

    def put_state_change(self, described: dict[str, Any]) -> None:
        detail = json.dumps(described, default=lambda t: int(t.timestamp() * 1000))
        self.clients.get("events", self.region).put_events(
            Entries=[
                {
                    "Source": "aws.sagemaker",
                    "DetailType": "SageMaker Training Job State Change",
                    "Resources": [described["TrainingJobArn"]],
                    "Detail": detail,
                }
            ]
        )
