"""What a real account must refuse, judged by the independent evaluator against this checkout's synthesized
policies (deployed with made-up names in a fake account).

Each case is a call the platform's limits forbid: jobs without the cost tag, roles passed where they must not
go, the execution role beyond its buckets and repository, requests without TLS, principals of another
account, each function's role beyond the calls its function makes. Most carry a control: the same call with
the one detail that makes it legitimate, which must be allowed, so a case is refused for the reason it names
and not because its ARN is mistyped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from permissions.deployed_stacks import FAKE_ACCOUNT, FAKE_REGION
from permissions.evaluator import judge, summary
from permissions.fake_platform import OTHER_ACCOUNT, TLS, FakePlatform
from permissions.policies import AccountPolicies, Request
from platform_contract import SAGEMAKER_TUNING_SYNC_RULE, TRAINING_JOB_LOG_GROUP, TRAINING_JOB_METRICS_NAMESPACE

PLAIN_HTTP = {"aws:SecureTransport": "false"}
INTRUDER = f"arn:aws:iam::{OTHER_ACCOUNT}:role/intruder"
ANYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
TAGGED = {**TLS, "aws:RequestTag/CER": "1", "aws:TagKeys": ["CER"]}


@dataclass(frozen=True)
class Names:
    """The fake deployment's names the cases use."""

    platform: FakePlatform

    def role(self, stem: str) -> str:
        return self.platform.role(stem)

    def fact(self, name: str) -> str:
        return str(self.platform.facts[name])

    def object(self, bucket_fact: str, key: str) -> str:
        return f"arn:aws:s3:::{self.fact(bucket_fact)}/{key}"

    def function(self, fact: str) -> str:
        return f"arn:aws:lambda:{FAKE_REGION}:{FAKE_ACCOUNT}:function:{self.fact(fact)}"

    @property
    def job(self) -> str:
        return f"arn:aws:sagemaker:{FAKE_REGION}:{FAKE_ACCOUNT}:training-job/gan-20261130"

    @property
    def tuning_job(self) -> str:
        return f"arn:aws:sagemaker:{FAKE_REGION}:{FAKE_ACCOUNT}:hyper-parameter-tuning-job/gan-tuning-20261130"

    def sync_rule(self, name: str) -> str:
        return f"arn:aws:events:{FAKE_REGION}:{FAKE_ACCOUNT}:rule/{name}"

    @property
    def repository(self) -> str:
        return f"arn:aws:ecr:{FAKE_REGION}:{FAKE_ACCOUNT}:repository/{self.fact('repository')}"


@dataclass(frozen=True)
class Case:
    refused: Request
    control: Request | None = None  # the same call made legitimate: must be allowed


def _role(names: Names, stem: str, action: str, resource: str, context=None, *, control=None) -> Case:
    request = Request(names.role(stem), action, resource, FAKE_ACCOUNT, context if context is not None else TLS)
    return Case(request, control and Request(names.role(stem), *control))


def _service(service: str, action: str, resource: str, context: dict, *, control: dict | None = None) -> Case:
    def request(values: dict) -> Request:
        return Request(service, action, resource, FAKE_ACCOUNT, values, principal_type="service")

    return Case(request(context), (control is not None and request(control)) or None)


def _intruder(action: str, resource: str) -> Case:
    return Case(Request(INTRUDER, action, resource, FAKE_ACCOUNT, TLS))


SM, EXEC = "TrainingWorkflowStateMachineRole", "ExecutionRole"
PREPARE, WRITE, NOTIFY, EVENTS = (
    "TrainingWorkflowPrepareRole",
    "TrainingWorkflowWriteResultRole",
    "MonitoringNotifyRole",
    "TrainingWorkflowStateMachineEventsRole",
)
VIA_S3 = {**TLS, "kms:ViaService": f"s3.{FAKE_REGION}.amazonaws.com"}

CASES: dict[str, Callable[[Names], Case]] = {
    # -- the state machine's role: jobs tagged CER=1, the execution role to SageMaker only --------------------
    "create a job without the CER tag": lambda n: _role(
        n,
        SM,
        "sagemaker:CreateTrainingJob",
        n.job,
        {**TLS, "aws:RequestTag/Team": "ml", "aws:TagKeys": ["Team"]},
        control=("sagemaker:CreateTrainingJob", n.job, FAKE_ACCOUNT, TAGGED),
    ),
    "create a job tagged CER=2": lambda n: _role(
        n,
        SM,
        "sagemaker:CreateTrainingJob",
        n.job,
        {**TLS, "aws:RequestTag/CER": "2", "aws:TagKeys": ["CER"]},
        control=("sagemaker:CreateTrainingJob", n.job, FAKE_ACCOUNT, TAGGED),
    ),
    "create a tuning job without the CER tag": lambda n: _role(
        n,
        SM,
        "sagemaker:CreateHyperParameterTuningJob",
        n.tuning_job,
        {**TLS, "aws:RequestTag/Team": "ml", "aws:TagKeys": ["Team"]},
        control=("sagemaker:CreateHyperParameterTuningJob", n.tuning_job, FAKE_ACCOUNT, TAGGED),
    ),
    "create a tuning job tagged CER=2": lambda n: _role(
        n,
        SM,
        "sagemaker:CreateHyperParameterTuningJob",
        n.tuning_job,
        {**TLS, "aws:RequestTag/CER": "2", "aws:TagKeys": ["CER"]},
        control=("sagemaker:CreateHyperParameterTuningJob", n.tuning_job, FAKE_ACCOUNT, TAGGED),
    ),
    "create a tuning job in another region": lambda n: _role(
        n,
        SM,
        "sagemaker:CreateHyperParameterTuningJob",
        n.tuning_job.replace(FAKE_REGION, "us-east-2"),
        TAGGED,
        control=("sagemaker:CreateHyperParameterTuningJob", n.tuning_job, FAKE_ACCOUNT, TAGGED),
    ),
    "put a managed rule other than Step Functions' SageMaker ones": lambda n: _role(
        n,
        SM,
        "events:PutRule",
        n.sync_rule("StepFunctionsGetEventsForECSTaskRule"),
        control=("events:PutRule", n.sync_rule(SAGEMAKER_TUNING_SYNC_RULE), FAKE_ACCOUNT, TLS),
    ),
    "stop another kind of SageMaker job": lambda n: _role(
        n,
        SM,
        "sagemaker:StopProcessingJob",
        f"arn:aws:sagemaker:{FAKE_REGION}:{FAKE_ACCOUNT}:processing-job/gan-20261130",
        control=("sagemaker:StopHyperParameterTuningJob", n.tuning_job, FAKE_ACCOUNT, TLS),
    ),
    "pass the Prepare role to SageMaker": lambda n: _role(
        n,
        SM,
        "iam:PassRole",
        n.role(PREPARE),
        {**TLS, "iam:PassedToService": "sagemaker.amazonaws.com"},
        control=("iam:PassRole", n.role(EXEC), FAKE_ACCOUNT, {**TLS, "iam:PassedToService": "sagemaker.amazonaws.com"}),
    ),
    "pass the execution role to EC2": lambda n: _role(
        n, SM, "iam:PassRole", n.role(EXEC), {**TLS, "iam:PassedToService": "ec2.amazonaws.com"}
    ),
    "the workflow invokes Notify": lambda n: _role(
        n,
        SM,
        "lambda:InvokeFunction",
        n.function("notify_function"),
        control=("lambda:InvokeFunction", n.function("prepare_function"), FAKE_ACCOUNT, TLS),
    ),
    "the workflow reads a request file itself": lambda n: _role(
        n, SM, "s3:GetObject", n.object("data_bucket", "requests/gan.json")
    ),
    # -- the execution role: its buckets and repository, never deleting ------------------------------------------
    "the execution role deletes a model artifact": lambda n: _role(
        n,
        EXEC,
        "s3:DeleteObject",
        n.object("artifacts_bucket", "gan/output/model.tar.gz"),
        control=("s3:PutObject", n.object("artifacts_bucket", "gan/output/model.tar.gz"), FAKE_ACCOUNT, TLS),
    ),
    "the execution role deletes a checkpoint version": lambda n: _role(
        n, EXEC, "s3:DeleteObjectVersion", n.object("checkpoints_bucket", "gan/checkpoint-1.pt")
    ),
    "the execution role reads a bucket not configured": lambda n: _role(
        n,
        EXEC,
        "s3:GetObject",
        "arn:aws:s3:::team-datasets/train/part-0",
        control=("s3:GetObject", n.object("data_bucket", "gan/train/part-0"), FAKE_ACCOUNT, TLS),
    ),
    "the execution role writes the data bucket's requests": lambda n: _role(
        n, EXEC, "s3:PutObject", n.object("data_bucket", "requests/gan.json")
    ),
    "the execution role pulls another account's repository": lambda n: Case(
        Request(
            n.role(EXEC),
            "ecr:BatchGetImage",
            n.repository.replace(FAKE_ACCOUNT, OTHER_ACCOUNT),
            OTHER_ACCOUNT,
            TLS,
        ),
        Request(n.role(EXEC), "ecr:BatchGetImage", n.repository, FAKE_ACCOUNT, TLS),
    ),
    "the execution role grants the key to a non-AWS resource": lambda n: _role(
        n,
        EXEC,
        "kms:CreateGrant",
        n.fact("key_arn"),
        {**TLS, "kms:GrantIsForAWSResource": "false"},
        control=("kms:CreateGrant", n.fact("key_arn"), FAKE_ACCOUNT, {**TLS, "kms:GrantIsForAWSResource": "true"}),
    ),
    "the execution role publishes metrics in another namespace": lambda n: _role(
        n,
        EXEC,
        "cloudwatch:PutMetricData",
        "*",
        {**TLS, "cloudwatch:namespace": "Custom/Team"},
        control=(
            "cloudwatch:PutMetricData",
            "*",
            FAKE_ACCOUNT,
            {**TLS, "cloudwatch:namespace": TRAINING_JOB_METRICS_NAMESPACE},
        ),
    ),
    "the execution role writes a function's log group": lambda n: _role(
        n,
        EXEC,
        "logs:PutLogEvents",
        f"arn:aws:logs:{FAKE_REGION}:{FAKE_ACCOUNT}:log-group:/aws/lambda/{n.fact('prepare_function')}:log-stream:x",
        control=(
            "logs:PutLogEvents",
            f"arn:aws:logs:{FAKE_REGION}:{FAKE_ACCOUNT}:log-group:{TRAINING_JOB_LOG_GROUP}:log-stream:gan/algo-1",
            FAKE_ACCOUNT,
            TLS,
        ),
    ),
    "the execution role passes itself on": lambda n: _role(
        n, EXEC, "iam:PassRole", n.role(EXEC), {**TLS, "iam:PassedToService": "sagemaker.amazonaws.com"}
    ),
    # -- no TLS, no access, on every bucket --------------------------------------------------------------------
    **{
        f"reading the {bucket.split('_')[0]} bucket without TLS": (
            lambda n, bucket=bucket: _role(
                n,
                EXEC,
                "s3:GetObject",
                n.object(bucket, "gan/part-0"),
                PLAIN_HTTP,
                control=("s3:GetObject", n.object(bucket, "gan/part-0"), FAKE_ACCOUNT, TLS),
            )
        )
        for bucket in ("data_bucket", "artifacts_bucket", "checkpoints_bucket", "tensorboard_bucket")
    },
    "writing a result file without TLS": lambda n: _role(
        n, WRITE, "s3:PutObject", n.object("data_bucket", "results/gan.json"), PLAIN_HTTP
    ),
    # -- principals of another account (who may do anything in theirs) --------------------------------------------
    "another account decrypts with the key": lambda n: _intruder("kms:Decrypt", n.fact("key_arn")),
    "another account publishes to the topic": lambda n: _intruder("sns:Publish", n.fact("topic_arn")),
    "another account reads the data bucket": lambda n: _intruder("s3:GetObject", n.object("data_bucket", "gan/a")),
    "another account writes the artifacts bucket": lambda n: _intruder(
        "s3:PutObject", n.object("artifacts_bucket", "gan/a")
    ),
    "another account invokes Notify": lambda n: _intruder("lambda:InvokeFunction", n.function("notify_function")),
    # -- services: only what the resource policies and trust policies name ---------------------------------------
    "another rule invokes Notify": lambda n: _service(
        "events.amazonaws.com",
        "lambda:InvokeFunction",
        n.function("notify_function"),
        {"aws:SourceArn": f"arn:aws:events:{FAKE_REGION}:{FAKE_ACCOUNT}:rule/other", "aws:SourceAccount": FAKE_ACCOUNT},
        control={
            "aws:SourceArn": n.platform.arn("-training", "MonitoringJobStateRule", "AWS::Events::Rule"),
            "aws:SourceAccount": FAKE_ACCOUNT,
        },
    ),
    "another account's alarm publishes to the topic": lambda n: _service(
        "cloudwatch.amazonaws.com",
        "sns:Publish",
        n.fact("topic_arn"),
        {**TLS, "aws:SourceAccount": OTHER_ACCOUNT},
        control={**TLS, "aws:SourceAccount": FAKE_ACCOUNT},
    ),
    "Lambda assumes the execution role": lambda n: _service("lambda.amazonaws.com", "sts:AssumeRole", n.role(EXEC), {}),
    "SageMaker assumes the Prepare role": lambda n: _service(
        "sagemaker.amazonaws.com", "sts:AssumeRole", n.role(PREPARE), {}
    ),
    "another bucket's access logs land in the log bucket": lambda n: _service(
        "logging.s3.amazonaws.com",
        "s3:PutObject",
        n.platform.arn("-stateful", "StorageAccessLogs", "AWS::S3::Bucket") + "/data/log-1",
        {**TLS, "aws:SourceArn": "arn:aws:s3:::someone-elses", "aws:SourceAccount": FAKE_ACCOUNT},
        control={**TLS, "aws:SourceArn": f"arn:aws:s3:::{n.fact('data_bucket')}", "aws:SourceAccount": FAKE_ACCOUNT},
    ),
    # -- each function's role: the calls its function makes, nothing more --------------------------------------
    "Prepare writes a request file": lambda n: _role(
        n,
        PREPARE,
        "s3:PutObject",
        n.object("data_bucket", "requests/gan.json"),
        control=("s3:GetObject", n.object("data_bucket", "requests/gan.json"), FAKE_ACCOUNT, TLS),
    ),
    "Prepare decrypts with the key outside S3": lambda n: _role(
        n,
        PREPARE,
        "kms:Decrypt",
        n.fact("key_arn"),
        control=("kms:Decrypt", n.fact("key_arn"), FAKE_ACCOUNT, VIA_S3),
    ),
    "Prepare creates a training job": lambda n: _role(n, PREPARE, "sagemaker:CreateTrainingJob", n.job, TAGGED),
    "WriteResult overwrites a request file": lambda n: _role(
        n,
        WRITE,
        "s3:PutObject",
        n.object("data_bucket", "requests/gan.json"),
        control=("s3:PutObject", n.object("data_bucket", "results/gan.json"), FAKE_ACCOUNT, TLS),
    ),
    "WriteResult reads a request file": lambda n: _role(
        n, WRITE, "s3:GetObject", n.object("data_bucket", "requests/gan.json")
    ),
    "WriteResult encrypts with the key outside S3": lambda n: _role(
        n,
        WRITE,
        "kms:GenerateDataKey",
        n.fact("key_arn"),
        {**TLS, "kms:ViaService": f"sns.{FAKE_REGION}.amazonaws.com"},
        control=("kms:GenerateDataKey", n.fact("key_arn"), FAKE_ACCOUNT, VIA_S3),
    ),
    "Notify creates a training job": lambda n: _role(n, NOTIFY, "sagemaker:CreateTrainingJob", n.job, TAGGED),
    "Notify publishes to another topic": lambda n: _role(
        n,
        NOTIFY,
        "sns:Publish",
        f"arn:aws:sns:{FAKE_REGION}:{FAKE_ACCOUNT}:other",
        control=("sns:Publish", n.fact("topic_arn"), FAKE_ACCOUNT, TLS),
    ),
    "Notify starts the workflow": lambda n: _role(n, NOTIFY, "states:StartExecution", n.fact("state_machine_arn")),
    "the rules start another state machine": lambda n: _role(
        n,
        EVENTS,
        "states:StartExecution",
        f"arn:aws:states:{FAKE_REGION}:{FAKE_ACCOUNT}:stateMachine:other",
        control=("states:StartExecution", n.fact("state_machine_arn"), FAKE_ACCOUNT, TLS),
    ),
    "the rules' role passes the execution role": lambda n: _role(
        n, EVENTS, "iam:PassRole", n.role(EXEC), {**TLS, "iam:PassedToService": "sagemaker.amazonaws.com"}
    ),
    "the rules' role invokes Prepare": lambda n: _role(
        n, EVENTS, "lambda:InvokeFunction", n.function("prepare_function")
    ),
}

# Confused-deputy refusals: a service acting for another account (aws:SourceAccount on the trust and key policies).
CONFUSED_DEPUTY: dict[str, Callable[[Names], Case]] = {
    "SageMaker assumes the execution role for another account": lambda n: _service(
        "sagemaker.amazonaws.com",
        "sts:AssumeRole",
        n.role(EXEC),
        {"aws:SourceAccount": OTHER_ACCOUNT},
        control={"aws:SourceAccount": FAKE_ACCOUNT},
    ),
    "EventBridge assumes the rules' role for another account": lambda n: _service(
        "events.amazonaws.com",
        "sts:AssumeRole",
        n.role(EVENTS),
        {"aws:SourceAccount": OTHER_ACCOUNT},
        control={"aws:SourceAccount": FAKE_ACCOUNT},
    ),
    "another account's alarm uses the key": lambda n: _service(
        "cloudwatch.amazonaws.com",
        "kms:GenerateDataKey",
        n.fact("key_arn"),
        {**TLS, "aws:SourceAccount": OTHER_ACCOUNT},
        control={**TLS, "aws:SourceAccount": FAKE_ACCOUNT},
    ),
}
CASES.update(CONFUSED_DEPUTY)


def _with_intruder(policies: AccountPolicies) -> AccountPolicies:
    """The platform's policies, and an identity policy allowing everything for a role of another account."""
    return dataclasses.replace(
        policies, identity={**policies.identity, INTRUDER: [{"name": "all", "policy": ANYTHING}]}
    )


def _judge_case(platform: FakePlatform, case: Case) -> tuple[list, list[str]]:
    requests = [case.refused] + ([case.control] if case.control else [])
    verdicts = judge(_with_intruder(platform.policies), requests)
    problems = [] if verdicts[0].refused else ["must be refused:\n" + verdicts[0].described()]
    if case.control and not verdicts[1].allowed:
        problems.append("its control must be allowed:\n" + verdicts[1].described())
    return verdicts, problems


def test_the_matrix_has_at_least_25_cases():
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_real_account_refuses(name, platform):
    _, problems = _judge_case(platform, CASES[name](Names(platform)))
    assert not problems, "\n".join(problems)


def test_the_whole_matrix_in_one_batch(platform, record_property):
    """All cases judged at once (one simulator process), for the counts printed at the end of the run."""
    cases = [build(Names(platform)) for build in CASES.values()]
    refused = judge(_with_intruder(platform.policies), [case.refused for case in cases])
    controls = judge(platform.policies, [case.control for case in cases if case.control])
    record_property("summary", summary(refused, "negative matrix, calls a real account must refuse"))
    record_property("summary", summary(controls, "negative matrix, their controls"))
    assert all(verdict.refused for verdict in refused)
    assert all(verdict.allowed for verdict in controls)
    assert len(controls) >= 15
