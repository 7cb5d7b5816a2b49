"""SageMaker: training jobs with a lifecycle (emulator/training_jobs.py), StopTrainingJob, requests
checked against botocore's model, ListTrainingJobs as SageMaker answers it (emulator/training_job_list.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.validate import ParamValidator

from emulator import call_log, training_job_calls, training_job_list, training_jobs
from emulator.adapters.principals import assumed_role
from emulator.call_recording_kms import resolved_key_arn
from platform_contract import FINAL_JOB_STATUSES, TRAINING_JOB_METRICS_NAMESPACE


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
    registries = training_job_registries(endpoint)

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


_REGISTRIES: dict[str, TrainingJobRegistries] = {}


def training_job_registries(endpoint: str) -> TrainingJobRegistries:
    """The server's training job registries (one set per emulator endpoint): the tuning jobs'
    adapter launches its training jobs into the same ones."""
    return _REGISTRIES.setdefault(endpoint, TrainingJobRegistries(endpoint))


MetricObserver = Callable[[str, list[training_jobs.MetricPoint]], None]  # training job name, values


class TrainingJobRegistries:
    """One training_jobs.TrainingJobRegistry per account and region, whose jobs leave their traces
    (artifact, logs, state change events) through the emulator's own API at `endpoint`. Each metric
    value a job reports is also handed to `metric_observers` (the tuning jobs' early stopping)."""

    def __init__(self, endpoint: str) -> None:
        self.clients = _EmulatorClients(endpoint)
        self._registries: dict[tuple[str, str], training_jobs.TrainingJobRegistry] = {}
        self._lock = threading.Lock()
        self.metric_observers: list[MetricObserver] = []

    def of(self, response: Any) -> training_jobs.TrainingJobRegistry:
        """The registry of the SageMakerResponse's account and region."""
        key = (response.current_account, response.region)
        with self._lock:
            if key not in self._registries:
                prefix = f"arn:aws:sagemaker:{response.region}:{response.current_account}:training-job/"
                clients, region, account = self.clients, response.region, response.current_account

                def side_effects(job: training_jobs.TrainingJob) -> training_jobs.SideEffects:
                    effects = _JobTraces(clients, region, account, job.request, job.arn).side_effects()
                    return dataclasses.replace(effects, put_metric_data=self._observed(effects.put_metric_data))

                registry = training_jobs.TrainingJobRegistry(prefix, side_effects)
                registry.jobs = response.sagemaker_backend.training_jobs  # moto's list, search and tags see them
                self._registries[key] = registry
            return self._registries[key]

    def _observed(self, put_metric_data: MetricObserver) -> MetricObserver:
        def put_and_observe(job_name: str, points: list[training_jobs.MetricPoint]) -> None:
            try:
                put_metric_data(job_name, points)
            finally:
                for observe in list(self.metric_observers):
                    observe(job_name, points)

        return put_and_observe


class _EmulatorClients:
    """boto3 clients of the emulator's own API, one per service, region and access key, made at first use."""

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str, region: str, access_key: str) -> Any:
        with self._lock:
            if (service, region, access_key) not in self._clients:
                self._clients[(service, region, access_key)] = boto3.client(
                    service,
                    region_name=region,
                    endpoint_url=self._endpoint,
                    config=Config(retries={"max_attempts": 1}),
                    aws_access_key_id=access_key,
                    aws_secret_access_key=call_log.SECRET_ACCESS_KEY,
                )
            return self._clients[(service, region, access_key)]


@dataclass(frozen=True)
class _JobTraces:
    """What a job of `region` leaves where SageMaker leaves it, acting with the job's execution role:
    its model artifact (and checkpoints, TensorBoard and Debugger data) in S3, its log lines in
    CloudWatch Logs, its metric values in CloudWatch; as it starts, its channels read and the calls the
    emulator only records (emulator/training_job_calls.py). Its state changes go on the default event
    bus as SageMaker's own, recorded for nobody."""

    clients: _EmulatorClients
    region: str
    account: str
    request: dict[str, Any]
    arn: str
    streams: set[tuple[str, str]] = field(default_factory=set, compare=False)  # created by this job

    @property
    def principal(self) -> call_log.Principal:
        return call_log.role(str(self.request["RoleArn"]), f"training job {self.request['TrainingJobName']}")

    def client(self, service: str) -> Any:
        return self.clients.get(service, self.region, call_log.PRINCIPALS.key_for(self.principal))

    def side_effects(self) -> training_jobs.SideEffects:
        return training_jobs.SideEffects(
            put_object=self.put_object,
            put_log_lines=self.put_log_lines,
            put_metric_data=self.put_metric_data,
            put_state_change=self.put_state_change,
            enter_phase=self.enter_phase,
        )

    def enter_phase(self, status: str) -> None:
        if status == "Starting":
            self.start()
        elif status == "Downloading":
            for channel, data_type, uri in training_job_calls.s3_channels(self.request):
                self.read_channel(channel, data_type, uri)
        elif status == "Uploading":
            for uri, what in training_job_calls.extra_outputs(self.request):
                self.put_object(*training_job_calls.s3_location(uri), json.dumps({"emulator": what}).encode())
        elif status in FINAL_JOB_STATUSES:
            call_log.record(self.principal, training_job_calls.vpc_cleanup(self.request, self.region, self.account))

    def start(self) -> None:
        """SageMaker assumes the role, sets up the VPC and the volume key, and pulls the images."""
        by = f"SageMaker, for {self.principal.by}"
        volume_key = (self.request.get("ResourceConfig") or {}).get("VolumeKmsKeyId")
        key = resolved_key_arn(self.region, self.account, str(volume_key)) if volume_key else None
        call_log.record(self.principal, assumed_role("sagemaker", self.principal.arn, by, self.arn))
        call_log.record(
            self.principal,
            [
                *training_job_calls.vpc_calls(self.request, self.region, self.account),
                *training_job_calls.volume_key_calls(self.request, key),
                *training_job_calls.image_pulls(self.request),
            ],
        )

    def read_channel(self, channel: str, data_type: str, uri: str) -> None:
        """Every object of an S3Prefix channel (a manifest channel: its manifest), read as the role."""
        s3 = self.client("s3")
        bucket, prefix = training_job_calls.s3_location(uri)
        if data_type != "S3Prefix":
            s3.get_object(Bucket=bucket, Key=prefix)["Body"].read()
            return
        keys = [
            item["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]
        if not keys:
            print(f"emulator: training job channel {channel}: no object under {uri}", flush=True)
        for key in keys:
            s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        """As SageMaker uploads: encrypted with OutputDataConfig's KmsKeyId when given, else as the bucket says."""
        output_key = (self.request.get("OutputDataConfig") or {}).get("KmsKeyId")
        encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": output_key} if output_key else {}
        self.client("s3").put_object(Bucket=bucket, Key=key, Body=body, **encryption)

    def put_log_lines(self, group: str, stream: str, lines: list[tuple[datetime, str]]) -> None:
        logs = self.client("logs")
        creates = (
            lambda: logs.create_log_group(logGroupName=group),
            lambda: logs.create_log_stream(logGroupName=group, logStreamName=stream),
        )
        for create in creates if (group, stream) not in self.streams else ():
            with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                create()
        self.streams.add((group, stream))
        events = [{"timestamp": round(timestamp.timestamp() * 1000), "message": line} for timestamp, line in lines]
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    def put_metric_data(self, job_name: str, points: list[training_jobs.MetricPoint]) -> None:
        """As SageMaker publishes a training job's metrics: one namespace, the job's name as the dimension."""
        dimensions = [{"Name": "TrainingJobName", "Value": job_name}]
        self.client("cloudwatch").put_metric_data(
            Namespace=TRAINING_JOB_METRICS_NAMESPACE,
            MetricData=[
                {"MetricName": p.name, "Dimensions": dimensions, "Timestamp": p.timestamp, "Value": p.value}
                for p in points
            ],
        )

    def put_state_change(self, described: dict[str, Any]) -> None:
        detail = json.dumps(described, default=lambda t: int(t.timestamp() * 1000))
        self.clients.get("events", self.region, call_log.UNRECORDED_ACCESS_KEY).put_events(
            Entries=[
                {
                    "Source": "aws.sagemaker",
                    "DetailType": "SageMaker Training Job State Change",
                    "Resources": [described["TrainingJobArn"]],
                    "Detail": detail,
                }
            ]
        )
