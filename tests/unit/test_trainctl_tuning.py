"""trainctl and hyperparameter tuning jobs: the tuning job an execution runs (from its history), its
status from DescribeHyperParameterTuningJob, its training jobs from ListTrainingJobsForHyperParameterTuningJob,
`start --follow` (each training job's end, the best so far, the tuning job's end), `status`, `list`, `stop`
and their `--json`.

AWS answers come from botocore's Stubber, which validates every response against SageMaker's and Step
Functions' service models; the tuning job's configuration in them is the request the platform's own
builder makes for the test's input (what SageMaker describes back)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from test_trainctl_platform import (  # noqa: F401 (offline_credentials: the autouse fixture, offline)
    ACCOUNT,
    ENVIRONMENT,
    EXECUTION,
    EXECUTION_STARTED,
    MACHINE,
    REGION,
    T0,
    Stubs,
    ctrl_c,
    description,
    entered,
    history,
    offline_credentials,
    prepared,
    run_command,
    scheduled,
)

from platform_contract import RequestKind, WorkflowState
from trainctl.errors import PlatformError
from trainctl.history import NamedJob, job_in_history
from trainctl.reporting import invocation
from trainctl.tuning import TunedTrainingJob, TuningJobState, tuning_progress
from training_request import PlatformDefaults, build_tuning_job

TUNING = "gan-241130-1000-a1b"
TUNING_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/{TUNING}"
TUNING_INPUT = {
    "role": ENVIRONMENT["DEFAULT_ROLE_ARN"],
    "image_uri": ENVIRONMENT["DEFAULT_IMAGE_URI"],
    "instance_type": "ml.m5.xlarge",
    "instance_count": 1,
    "hyperparameters": {"epochs": 3},
    "job_name": TUNING,
    "tuner": {
        "objective_metric_name": "ganloss",
        "objective_type": "Minimize",
        "metric_definitions": [{"Name": "ganloss", "Regex": "GAN_loss=(.*?);"}],
        "hyperparameter_ranges": {
            "learning_rate": {"type": "Continuous", "min_value": 0.0001, "max_value": 0.1},
            "batch_size": {"type": "Categorical", "values": [32, 64]},
        },
        "max_jobs": 4,
        "max_parallel_jobs": 2,
    },
}
CREATE_REQUEST = build_tuning_job(
    TUNING_INPUT, region=REGION, defaults=PlatformDefaults.from_environment(ENVIRONMENT), now=T0
).request
CONSOLE = f"https://{REGION}.console.aws.amazon.com/sagemaker/home?region={REGION}#/hyper-tuning-jobs/{TUNING}"


def training_job_name(number: int) -> str:
    """SageMaker's name for a tuning job's training job: <tuning job>-<number>-<hash>."""
    return f"{TUNING}-{number:03d}-{number:08x}"


def tuned(number: int, status: str = "Completed", value: float | None = None, **extra: object) -> dict:
    """A HyperParameterTrainingJobSummary, ended `number` minutes after T0 when it has ended."""
    summary: dict = {
        "TrainingJobName": training_job_name(number),
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{training_job_name(number)}",
        "TuningJobName": TUNING,
        "CreationTime": T0,
        "TrainingJobStatus": status,
        "TunedHyperParameters": {"learning_rate": f"0.00{number}", "batch_size": '"64"'},
        "ObjectiveStatus": "Succeeded" if value is not None else "Pending",
    }
    if status != "InProgress":
        summary["TrainingEndTime"] = T0 + timedelta(minutes=number)
    if value is not None:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": "Minimize",
            "MetricName": "ganloss",
            "Value": value,
        }
    summary.update(extra)
    return summary


def tuning_description(status: str = "InProgress", best: dict | None = None, **counters: int) -> dict:
    """DescribeHyperParameterTuningJob's answer for the test's tuning job."""
    answer: dict = {
        "HyperParameterTuningJobName": TUNING,
        "HyperParameterTuningJobArn": TUNING_ARN,
        "HyperParameterTuningJobConfig": CREATE_REQUEST["HyperParameterTuningJobConfig"],
        "TrainingJobDefinition": CREATE_REQUEST["TrainingJobDefinition"],
        "HyperParameterTuningJobStatus": status,
        "CreationTime": T0,
        "LastModifiedTime": T0,
        "TrainingJobStatusCounters": {
            "Completed": counters.get("completed", 0),
            "InProgress": counters.get("in_progress", 0),
            "RetryableError": counters.get("retryable", 0),
            "NonRetryableError": counters.get("failed", 0),
            "Stopped": counters.get("stopped", 0),
        },
        "ObjectiveStatusCounters": {"Succeeded": counters.get("completed", 0), "Pending": 0, "Failed": 0},
    }
    if status in ("Completed", "Failed", "Stopped"):
        answer["HyperParameterTuningEndTime"] = T0 + timedelta(minutes=10)
    if best is not None:
        answer["BestTrainingJob"] = best
    return answer


def listed(*summaries: dict, next_token: str | None = None) -> dict:
    return {"TrainingJobSummaries": list(summaries), **({"NextToken": next_token} if next_token else {})}


def tuning_started() -> list[dict]:
    """Prepare named the tuning job and the RunTuningJob task was scheduled to create it."""
    return [
        *prepared({"request_kind": "tuning", "tuning_job_name": TUNING, "wait": True, "request": CREATE_REQUEST}),
        entered("Route", "Choice"),
        entered(WorkflowState.RUN_TUNING_JOB.value),
        scheduled("sagemaker", "createHyperParameterTuningJob.sync", {"HyperParameterTuningJobName": TUNING}),
    ]


@pytest.fixture
def stubs() -> Stubs:
    return Stubs()


def not_a_training_job(stubs: Stubs) -> None:
    stubs.error("sagemaker", "describe_training_job", "ValidationException", "Requested resource not found.")


# -- the job an execution runs --------------------------------------------------------------------


def test_an_execution_of_a_tuning_request_names_its_tuning_job_in_prepares_output_and_the_tuning_task():
    tuning_job = NamedJob(RequestKind.TUNING, TUNING)
    prepare_only = prepared({"request_kind": "tuning", "tuning_job_name": TUNING, "request": CREATE_REQUEST})
    assert job_in_history(history(EXECUTION_STARTED, prepare_only)["events"]) == tuning_job
    assert job_in_history(history(EXECUTION_STARTED, tuning_started())["events"]) == tuning_job
    # "wait": false: the StartTuningJob task names it.
    not_waiting = [
        *prepared({"request_kind": "tuning", "wait": False}),
        entered(WorkflowState.START_TUNING_JOB.value),
        scheduled("sagemaker", "createHyperParameterTuningJob", {"HyperParameterTuningJobName": TUNING}),
    ]
    assert job_in_history(history(EXECUTION_STARTED, not_waiting)["events"]) == tuning_job


def test_a_tuning_job_is_named_only_by_the_field_of_its_kind():
    # A tuning output's job_name (or a training output's tuning_job_name) names nothing.
    assert (
        job_in_history(history(EXECUTION_STARTED, prepared({"request_kind": "tuning", "job_name": "x"}))["events"])
        is None
    )
    training = prepared({"request_kind": "training", "job_name": "train-1", "tuning_job_name": "not-this"})
    assert job_in_history(history(EXECUTION_STARTED, training)["events"]) == NamedJob(RequestKind.TRAINING, "train-1")


# -- reading a tuning job -------------------------------------------------------------------------


def test_a_tuning_jobs_description_gives_its_search_counts_and_best_job(stubs):
    best = tuned(2, value=0.25)
    stubs.add(
        "sagemaker",
        "describe_hyper_parameter_tuning_job",
        tuning_description("InProgress", best, completed=2, in_progress=1, retryable=1, failed=1),
        {"HyperParameterTuningJobName": TUNING},
    )
    tuning = stubs.platform.tuning_job(TUNING)
    assert tuning.to_json() == {
        "tuning_job_name": TUNING,
        "tuning_job_arn": TUNING_ARN,
        "status": "InProgress",
        "failure_reason": None,
        "strategy": "Bayesian",
        "objective_type": "Minimize",
        "objective_metric": "ganloss",
        "max_jobs": 4,
        "max_parallel_jobs": 2,
        "instance_type": "ml.m5.xlarge",
        "instance_count": 1,
        "created": T0.isoformat(),
        "ended": None,
        "duration_seconds": tuning.duration_seconds(),
        "training_job_counts": {"completed": 2, "in_progress": 1, "stopped": 0, "failed": 2},
        "best_training_job": {
            "name": training_job_name(2),
            "status": "Completed",
            "failure_reason": None,
            "objective_metric": "ganloss",
            "objective_value": 0.25,
            "tuned_hyperparameters": {"learning_rate": "0.002", "batch_size": '"64"'},
            "created": T0.isoformat(),
            "ended": (T0 + timedelta(minutes=2)).isoformat(),
            "model_artifacts": None,
        },
        "links": {
            "console": CONSOLE,
            "logs": tuning.links["logs"],
        },
    }
    assert tuning.links["logs"].endswith(f"logStreamNameFilter$3D{TUNING}")
    assert tuning.duration_seconds(now=T0 + timedelta(seconds=75)) == 75 and not tuning.finished
    stubs.done()


def test_an_unknown_tuning_job_is_one_clear_error(stubs):
    stubs.error("sagemaker", "describe_hyper_parameter_tuning_job", "ResourceNotFound", "Amazon SageMaker can't find")
    with pytest.raises(PlatformError, match=f"^no tuning job named 'nope' in {REGION}$"):
        stubs.platform.tuning_job("nope")


def test_a_tuning_jobs_training_jobs_are_read_page_by_page(stubs):
    request = {
        "HyperParameterTuningJobName": TUNING,
        "MaxResults": 100,
        "SortBy": "CreationTime",
        "SortOrder": "Ascending",
    }
    stubs.add(
        "sagemaker",
        "list_training_jobs_for_hyper_parameter_tuning_job",
        listed(tuned(1, value=0.5), next_token="t1"),
        request,
    )
    stubs.add(
        "sagemaker",
        "list_training_jobs_for_hyper_parameter_tuning_job",
        listed(tuned(2, "Failed", FailureReason="AlgorithmError: out of memory")),
        {**request, "NextToken": "t1"},
    )
    from trainctl.tuning import tuned_training_jobs

    jobs = tuned_training_jobs(stubs.clients["sagemaker"], TUNING)
    assert [(job.name, job.status, job.objective, job.failure_reason) for job in jobs] == [
        (training_job_name(1), "Completed", "ganloss = 0.5", None),
        (training_job_name(2), "Failed", "", "AlgorithmError: out of memory"),
    ]
    stubs.done()


# -- following ------------------------------------------------------------------------------------


def test_progress_shows_each_training_jobs_end_in_order_and_the_best_only_when_it_improves():
    one, two, three = tuned(1, value=0.5), tuned(2, value=0.25), tuned(3, value=0.75)
    running = tuned(4, "InProgress")
    failed = tuned(5, "Failed", FailureReason="AlgorithmError: ExecuteUserScriptError")
    reads = iter(
        [
            (tuning_description(in_progress=2), [tuned(1, "InProgress"), running]),
            (tuning_description(best=one, completed=1, in_progress=1), [one, running]),
            # Two ended between reads, listed in creation order: shown in the order they ended.
            (tuning_description(best=two, completed=3, in_progress=1), [one, three, two, running]),
            (tuning_description(best=two, completed=3, in_progress=1), [one, three, two, running]),
            (
                tuning_description("Completed", best=two, completed=4, failed=1),
                [one, three, two, tuned(4, value=0.9), failed],
            ),
        ]
    )
    sleeps: list[None] = []

    def read() -> tuple[TuningJobState, list[TunedTrainingJob]]:
        description, summaries = next(reads)
        return TuningJobState.from_description(description), [TunedTrainingJob.from_summary(s) for s in summaries]

    lines = [str(event) for event in tuning_progress(read, lambda: sleeps.append(None))]
    assert lines == [
        f"{lines[0][:8]} tuning job {TUNING}: InProgress",  # not ended: stamped with the time it is read
        f"10:01:00 {training_job_name(1)} Completed: ganloss = 0.5",
        f"10:01:00 best so far: {training_job_name(1)} ganloss = 0.5",
        f"10:02:00 {training_job_name(2)} Completed: ganloss = 0.25",
        f"10:03:00 {training_job_name(3)} Completed: ganloss = 0.75",
        f"10:02:00 best so far: {training_job_name(2)} ganloss = 0.25",
        f"10:04:00 {training_job_name(4)} Completed: ganloss = 0.9",
        f"10:05:00 {training_job_name(5)} Failed: AlgorithmError: ExecuteUserScriptError",
        f"10:10:00 tuning job {TUNING}: Completed (4 completed, 0 in progress, 0 stopped, 1 failed)",
    ]
    assert len(sleeps) == 4  # between reads, none after the end


def test_start_follow_of_a_tuning_request_shows_training_jobs_best_so_far_and_the_summary(stubs, monkeypatch, tmp_path):
    source = tmp_path / "tuning.json"
    source.write_text(json.dumps(TUNING_INPUT))
    best = tuned(1, value=0.25)
    completed = tuning_description("Completed", best, completed=2)
    stubs.add("lambda", "get_function_configuration", {"Environment": {"Variables": ENVIRONMENT}})
    stubs.add("stepfunctions", "start_execution", {"executionArn": EXECUTION, "startDate": T0})
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, tuning_started()))
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description(in_progress=2))  # it exists
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description(in_progress=2))
    stubs.add("sagemaker", "list_training_jobs_for_hyper_parameter_tuning_job", listed(tuned(1, "InProgress")))
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", completed)
    stubs.add("sagemaker", "list_training_jobs_for_hyper_parameter_tuning_job", listed(best, tuned(2, value=0.5)))
    # The final state: the execution, the job it ran, the best job's model.
    succeeded = {
        "executionArn": EXECUTION,
        "stateMachineArn": MACHINE,
        "status": "SUCCEEDED",
        "startDate": T0,
        "stopDate": T0 + timedelta(minutes=11),
        "output": json.dumps({"tuning_job_name": TUNING}),
    }
    stubs.add("stepfunctions", "describe_execution", succeeded)
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, tuning_started()))
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", completed)
    model = f"s3://mltrain-artifacts/{training_job_name(1)}/output/model.tar.gz"
    stubs.add(
        "sagemaker",
        "describe_training_job",
        description("Completed", TrainingJobName=training_job_name(1), ModelArtifacts={"S3ModelArtifacts": model}),
        {"TrainingJobName": training_job_name(1)},
    )
    code, out, err = run_command(
        stubs, monkeypatch, "start", str(source), "--follow", "--stack", "s", "--region", REGION
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:2] == [f"execution: {EXECUTION}", f"tuning:    {TUNING}"]
    assert lines[2].endswith(f" tuning job {TUNING}: InProgress")
    assert lines[3:] == [
        f"10:01:00 {training_job_name(1)} Completed: ganloss = 0.25",
        f"10:02:00 {training_job_name(2)} Completed: ganloss = 0.5",
        f"10:01:00 best so far: {training_job_name(1)} ganloss = 0.25",
        f"10:10:00 tuning job {TUNING}: Completed (2 completed, 0 in progress, 0 stopped, 0 failed)",
        "execution: run-1 SUCCEEDED",
        f"tuning:    {TUNING} Completed",
        "search:    Bayesian, Minimize ganloss, 4 training jobs, 2 at a time",
        "instances: 1 x ml.m5.xlarge per training job",
        "jobs:      2 completed, 0 in progress, 0 stopped, 0 failed",
        f"best:      {training_job_name(1)} ganloss = 0.25",
        'tuned:     batch_size = "64"',
        "tuned:     learning_rate = 0.001",
        f"model:     {model}",
        "duration:  10m00s",
        f"console:   {CONSOLE}",
        f"logs:      {TuningJobState.from_description(completed).links['logs']}",
    ]
    stubs.done()


def test_ctrl_c_while_following_a_tuning_job_leaves_it_running(stubs, monkeypatch, tmp_path):
    source = tmp_path / "tuning.json"
    source.write_text(json.dumps(TUNING_INPUT))
    stubs.error("lambda", "get_function_configuration", "AccessDeniedException")
    stubs.add("stepfunctions", "start_execution", {"executionArn": EXECUTION, "startDate": T0})
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, tuning_started()))
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description(in_progress=2))
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description(in_progress=2))
    stubs.add("sagemaker", "list_training_jobs_for_hyper_parameter_tuning_job", listed(tuned(1, "InProgress")))
    stubs.meanwhile = [ctrl_c]  # pressed while waiting for the next read
    code, out, err = run_command(stubs, monkeypatch, "start", str(source), "--wait", "--stack", "s", "--region", REGION)
    assert code == 130 and out.splitlines()[-1].endswith(f" tuning job {TUNING}: InProgress")
    assert err == f"\nleft running; stop it with: {invocation()} stop {EXECUTION}\n"
    stubs.done()


def test_start_of_a_tuning_request_without_waiting_names_the_tuning_job(stubs, monkeypatch, tmp_path):
    source = tmp_path / "tuning.json"
    source.write_text(json.dumps(TUNING_INPUT))
    stubs.error("lambda", "get_function_configuration", "AccessDeniedException")  # read once: stand-ins
    for _ in range(2):  # then with --json
        stubs.add("stepfunctions", "start_execution", {"executionArn": EXECUTION, "startDate": T0})
        stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, tuning_started()))
        stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description(in_progress=2))
    code, out, _ = run_command(stubs, monkeypatch, "start", str(source), "--stack", "s", "--region", REGION)
    assert code == 0
    assert out.splitlines() == [
        f"execution: {EXECUTION}",
        f"tuning:    {TUNING}",
        f"follow it with: {invocation()} status {TUNING}",
    ]
    code, out, err = run_command(stubs, monkeypatch, "start", str(source), "--json", "--stack", "s", "--region", REGION)
    assert code == 0 and err.splitlines() == [f"execution: {EXECUTION}", f"tuning:    {TUNING}"]
    assert json.loads(out) == {
        "execution_arn": EXECUTION,
        "kind": "tuning",
        "job_name": None,
        "tuning_job_name": TUNING,
    }
    stubs.done()


# -- status, list, stop ---------------------------------------------------------------------------


def test_status_of_a_tuning_job_name_shows_its_progress_and_best_job_so_far(stubs, monkeypatch):
    not_a_training_job(stubs)
    stubs.add(
        "sagemaker",
        "describe_hyper_parameter_tuning_job",
        tuning_description("InProgress", tuned(3, value=0.125), completed=3, in_progress=1, failed=1),
    )
    stubs.add("sagemaker", "describe_training_job", description("Completed", TrainingJobName=training_job_name(3)))
    code, out, _ = run_command(stubs, monkeypatch, "status", TUNING, "--stack", "s", "--region", REGION)
    assert code == 0
    lines = out.splitlines()
    assert lines[:7] == [
        f"tuning:    {TUNING} InProgress",
        "search:    Bayesian, Minimize ganloss, 4 training jobs, 2 at a time",
        "instances: 1 x ml.m5.xlarge per training job",
        "jobs:      3 completed, 1 in progress, 0 stopped, 1 failed",
        f"best:      {training_job_name(3)} ganloss = 0.125",
        'tuned:     batch_size = "64"',
        "tuned:     learning_rate = 0.003",
    ]
    assert lines[7].startswith("duration:  ") and lines[8] == f"console:   {CONSOLE}"  # a job with no model yet
    stubs.done()


def test_status_json_of_an_execution_running_a_tuning_job(stubs, monkeypatch):
    running = {"executionArn": EXECUTION, "stateMachineArn": MACHINE, "status": "RUNNING", "startDate": T0}
    stubs.add("stepfunctions", "describe_execution", running, {"executionArn": EXECUTION})
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, tuning_started()))
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description(in_progress=2))
    code, out, _ = run_command(stubs, monkeypatch, "status", EXECUTION, "--json", "--stack", "s", "--region", REGION)
    state = json.loads(out)
    assert code == 0
    assert (state["succeeded"], state["kind"], state["job"]) == (False, "tuning", None)
    assert state["execution"]["execution_status"] == "RUNNING"
    assert state["tuning_job"]["tuning_job_name"] == TUNING and state["tuning_job"]["best_training_job"] is None
    stubs.done()


def test_list_shows_tuning_jobs_beside_trainings_with_a_kind_column(stubs, monkeypatch):
    stubs.add(
        "stepfunctions",
        "list_executions",
        {
            "executions": [
                {
                    "executionArn": EXECUTION,
                    "stateMachineArn": MACHINE,
                    "name": "run-1",
                    "status": "RUNNING",
                    "startDate": T0,
                },
                {
                    "executionArn": EXECUTION.replace("run-1", "run-0"),
                    "stateMachineArn": MACHINE,
                    "name": "run-0",
                    "status": "SUCCEEDED",
                    "startDate": T0,
                    "stopDate": T0,
                },
            ]
        },
    )
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, tuning_started()))
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description(in_progress=2))
    job = "gan-2024-05-01-10-00-00-000"
    training_run = prepared({"request_kind": "training", "job_name": job})
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, training_run))
    stubs.add(
        "sagemaker",
        "describe_training_job",
        description("Completed", [("Completed", "")], TrainingEndTime=T0 + timedelta(seconds=64)),
    )
    code, out, _ = run_command(stubs, monkeypatch, "list", "--stack", "s", "--region", REGION)
    table = [line.split() for line in out.splitlines()]
    assert code == 0
    assert table[0] == ["STARTED", "EXECUTION", "STATUS", "KIND", "JOB", "JOB", "STATUS", "INSTANCES", "DURATION"]
    assert table[1][2:6] == ["run-1", "RUNNING", "tuning", TUNING] and table[1][6] == "InProgress"
    assert table[1][7:10] == ["1", "x", "ml.m5.xlarge"]
    assert table[2][2:9] == ["run-0", "SUCCEEDED", "training", job, "Completed", "2", "x"]
    assert table[2][-1] == "1m04s"
    stubs.done()


def test_stop_of_a_tuning_job_name_asks_sagemaker_to_stop_it(stubs, monkeypatch):
    not_a_training_job(stubs)
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description(in_progress=2))
    stubs.add("sagemaker", "stop_hyper_parameter_tuning_job", {}, {"HyperParameterTuningJobName": TUNING})
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description("Stopping", in_progress=2))
    code, out, _ = run_command(stubs, monkeypatch, "stop", TUNING, "--json", "--stack", "s", "--region", REGION)
    assert code == 0 and json.loads(out)["tuning_job"]["status"] == "Stopping"
    stubs.done()


def test_stop_of_a_running_execution_stops_it_and_its_tuning_job(stubs, monkeypatch):
    running = {"executionArn": EXECUTION, "stateMachineArn": MACHINE, "status": "RUNNING", "startDate": T0}
    stubs.add("stepfunctions", "describe_execution", running)
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, tuning_started()))
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description(in_progress=2))
    stubs.add(
        "stepfunctions",
        "stop_execution",
        {"stopDate": T0},
        {"executionArn": EXECUTION, "error": "StoppedByUser", "cause": "stopped with trainctl"},
    )
    # Step Functions stops the .sync job too: SageMaker may have it Stopping already.
    stubs.error("sagemaker", "stop_hyper_parameter_tuning_job", "ValidationException", "already stopping")
    stubs.add("stepfunctions", "describe_execution", {**running, "status": "ABORTED"})
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, tuning_started()))
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description("Stopping", in_progress=2))
    code, out, _ = run_command(stubs, monkeypatch, "stop", EXECUTION, "--stack", "s", "--region", REGION)
    assert (code, out) == (0, f"stop requested: execution run-1 and tuning job {TUNING}\n")
    stubs.done()


def test_stop_of_an_ended_or_stopping_tuning_job_says_there_is_nothing_to_stop(stubs, monkeypatch):
    not_a_training_job(stubs)
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description("Completed", completed=4))
    not_a_training_job(stubs)
    stubs.add("sagemaker", "describe_hyper_parameter_tuning_job", tuning_description("Stopping", in_progress=2))
    code, out, err = run_command(stubs, monkeypatch, "stop", TUNING, "--stack", "s", "--region", REGION)
    assert (code, out, err) == (1, "", f"error: {TUNING} already ended (Completed); nothing to stop\n")
    code, out, err = run_command(stubs, monkeypatch, "stop", TUNING, "--stack", "s", "--region", REGION)
    assert (code, out, err) == (1, "", f"error: {TUNING} is already stopping; nothing more to stop\n")
    stubs.done()
