"""The call log's mapping of requests to IAM actions, resources and context keys: requests built by
botocore (as the platform's clients send them) routed and parsed as the emulator's server does."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from werkzeug.test import EnvironBuilder

from emulator import call_log, training_job_calls
from emulator.call_log import Authorization, CallLog, Principals
from emulator.call_recording import RecordingMiddleware, authorizations_of, error_code, served_request, signer_of

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ENDPOINT = "http://localhost:5000"
JOB = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/gan-2026-11-30"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ExecutionRole"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Prepare"


def prepared(service: str, operation: str, access_key: str = "testing", **params: Any) -> AWSPreparedRequest:
    """The request botocore sends for `operation` (answered here, never sent)."""
    captured: list[AWSPreparedRequest] = []

    def capture(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        captured.append(request)
        return AWSResponse(request.url, 500, {}, None)  # type: ignore[arg-type]

    client = boto3.client(
        service,
        region_name=REGION,
        endpoint_url=ENDPOINT,
        aws_access_key_id=access_key,
        aws_secret_access_key="testing",
        config=boto3.session.Config(retries={"max_attempts": 0}),
    )
    client.meta.events.register("before-send", capture)
    with pytest.raises(Exception):  # noqa: B017 (the fake answer is no valid response)
        getattr(client, operation)(**params)
    return captured[0]


def _headers(request: AWSPreparedRequest) -> dict[str, str]:
    return {k.lower(): v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()}


def _body(request: AWSPreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    return body if isinstance(body, bytes) else body.read()


def recorded(service: str, operation: str, **params: Any) -> list[Authorization]:
    request = prepared(service, operation, **params)
    headers = _headers(request)
    signer = signer_of(headers, request.url.partition("?")[2])
    assert signer is not None
    served = served_request(signer, request.method, request.url, headers, _body(request))
    return authorizations_of(signer, served, operation)


def actions(calls: list[Authorization]) -> list[tuple[str, str]]:
    return [(c.action, c.resource) for c in calls]


CREATE_TRAINING_JOB = {
    "TrainingJobName": "gan-2026-11-30",
    "RoleArn": EXECUTION_ROLE,
    "AlgorithmSpecification": {
        "TrainingImage": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/gan:1",
        "TrainingInputMode": "File",
    },
    "OutputDataConfig": {"S3OutputPath": "s3://artifacts/", "KmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/k"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    "VpcConfig": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
    "Tags": [{"Key": "CER", "Value": "1"}, {"Key": "Team", "Value": "ml"}],
}


def test_create_training_job_is_authorized_as_create_add_tags_and_pass_role() -> None:
    create, add_tags, pass_role = recorded("sagemaker", "create_training_job", **CREATE_TRAINING_JOB)
    assert (create.action, create.resource) == ("sagemaker:CreateTrainingJob", JOB)
    assert create.context["aws:RequestTag/CER"] == "1" and create.context["aws:TagKeys"] == ["CER", "Team"]
    assert create.context["sagemaker:InstanceTypes"] == ["ml.m5.xlarge"]
    assert create.context["sagemaker:VpcSubnets"] == ["subnet-1"]
    assert create.context["sagemaker:OutputKmsKey"] == CREATE_TRAINING_JOB["OutputDataConfig"]["KmsKeyId"]  # type: ignore[index]
    assert (add_tags.action, add_tags.resource, add_tags.context["aws:RequestTag/Team"]) == (
        "sagemaker:AddTags",
        JOB,
        "ml",
    )
    assert (pass_role.action, pass_role.resource) == ("iam:PassRole", EXECUTION_ROLE)
    assert pass_role.context == {"iam:PassedToService": "sagemaker.amazonaws.com"}


def test_a_job_created_without_tags_needs_no_add_tags() -> None:
    untagged = {k: v for k, v in CREATE_TRAINING_JOB.items() if k != "Tags"}
    assert [c.action for c in recorded("sagemaker", "create_training_job", **untagged)] == [
        "sagemaker:CreateTrainingJob",
        "iam:PassRole",
    ]


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        (
            "sagemaker",
            "describe_training_job",
            {"TrainingJobName": "GAN-2026-11-30"},
            [("sagemaker:DescribeTrainingJob", JOB)],
        ),
        ("sagemaker", "stop_training_job", {"TrainingJobName": "gan-2026-11-30"}, [("sagemaker:StopTrainingJob", JOB)]),
        ("sagemaker", "list_tags", {"ResourceArn": JOB}, [("sagemaker:ListTags", JOB)]),
        ("lambda", "invoke", {"FunctionName": FUNCTION, "Payload": b"{}"}, [("lambda:InvokeFunction", FUNCTION)]),
        (
            "lambda",
            "invoke",
            {"FunctionName": "Prepare", "Qualifier": "live"},
            [("lambda:InvokeFunction", f"{FUNCTION}:live")],
        ),
        (
            "s3",
            "get_object",
            {"Bucket": "data", "Key": "requests/a b.json"},
            [("s3:GetObject", "arn:aws:s3:::data/requests/a b.json")],
        ),
        (
            "s3",
            "get_object",
            {"Bucket": "data", "Key": "requests/a.json", "VersionId": "v1"},
            [("s3:GetObjectVersion", "arn:aws:s3:::data/requests/a.json")],
        ),
        ("s3", "head_object", {"Bucket": "data", "Key": "k"}, [("s3:GetObject", "arn:aws:s3:::data/k")]),
        (
            "s3",
            "put_object",
            {"Bucket": "data", "Key": "results/a.json", "Body": b"{}"},
            [("s3:PutObject", "arn:aws:s3:::data/results/a.json")],
        ),
        (
            "s3",
            "put_object",
            {"Bucket": "data", "Key": "k", "Body": b"", "Tagging": "a=b"},
            [("s3:PutObject", "arn:aws:s3:::data/k"), ("s3:PutObjectTagging", "arn:aws:s3:::data/k")],
        ),
        (
            "s3",
            "copy_object",
            {"Bucket": "out", "Key": "b", "CopySource": {"Bucket": "in", "Key": "a"}},
            [("s3:GetObject", "arn:aws:s3:::in/a"), ("s3:PutObject", "arn:aws:s3:::out/b")],
        ),
        ("s3", "list_object_versions", {"Bucket": "data"}, [("s3:ListBucketVersions", "arn:aws:s3:::data")]),
        ("s3", "list_buckets", {}, [("s3:ListAllMyBuckets", "*")]),
        (
            "sns",
            "publish",
            {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:jobs", "Message": "m"},
            [("sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:jobs")],
        ),
        (
            "stepfunctions",
            "start_execution",
            {"stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:w"},
            [("states:StartExecution", f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:w")],
        ),
        (
            "logs",
            "create_log_group",
            {"logGroupName": "/aws/sagemaker/TrainingJobs"},
            [("logs:CreateLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs")],
        ),
        (
            "logs",
            "put_log_events",
            {
                "logGroupName": "/aws/sagemaker/TrainingJobs",
                "logStreamName": "j/algo-1",
                "logEvents": [{"timestamp": 1, "message": "m"}],
            },
            [
                (
                    "logs:PutLogEvents",
                    f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs:log-stream:j/algo-1",
                )
            ],
        ),
        (
            "events",
            "describe_rule",
            {"Name": "StepFunctionsGetEventsForSageMakerTrainingJobsRule"},
            [
                (
                    "events:DescribeRule",
                    f"arn:aws:events:{REGION}:{ACCOUNT}:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule",
                )
            ],
        ),
        ("ecr", "get_authorization_token", {}, [("ecr:GetAuthorizationToken", "*")]),
        (
            "kms",
            "decrypt",
            {"CiphertextBlob": b"x", "KeyId": "1234"},
            [("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234")],
        ),
    ],
)
def test_each_operation_the_platform_calls_maps_to_its_iam_action_and_resource(
    service: str, operation: str, params: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert actions(recorded(service, operation, **params)) == expected


def test_listing_a_channel_is_list_bucket_with_its_prefix() -> None:
    (listed,) = recorded("s3", "list_objects_v2", Bucket="data", Prefix="gan/train/")
    assert (listed.action, listed.resource, listed.context) == (
        "s3:ListBucket",
        "arn:aws:s3:::data",
        {"s3:prefix": "gan/train/"},
    )


def test_metrics_are_put_on_any_resource_in_their_namespace() -> None:
    (put,) = recorded(
        "cloudwatch",
        "put_metric_data",
        Namespace="/aws/sagemaker/TrainingJobs",
        MetricData=[{"MetricName": "loss", "Value": 1.0}],
    )
    assert (put.action, put.resource, put.context) == (
        "cloudwatch:PutMetricData",
        "*",
        {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"},
    )


def test_put_events_names_the_bus_sources_and_detail_types() -> None:
    entries = [
        {"Source": "aws.s3", "DetailType": "Object Created", "Detail": "{}"},
        {"Source": "app", "DetailType": "x", "Detail": "{}"},
    ]
    (put,) = recorded("events", "put_events", Entries=entries)
    assert put.resource == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    assert put.context == {"events:source": ["app", "aws.s3"], "events:detail-type": ["Object Created", "x"]}


def test_an_operation_without_a_mapping_is_recorded_as_unknown() -> None:
    (call,) = recorded("sagemaker", "list_endpoints")
    assert (call.action, call.resource) == ("unknown:sagemaker.ListEndpoints", "*")


def test_the_signer_comes_from_the_credential_scope_or_a_presigned_url() -> None:
    request = prepared("cloudwatch", "list_metrics", access_key="AKIAEXAMPLE")
    signer = signer_of(_headers(request), "")
    assert signer is not None and (signer.access_key, signer.region, signer.service) == (
        "AKIAEXAMPLE",
        REGION,
        "cloudwatch",
    )
    url = boto3.client(
        "s3", region_name=REGION, endpoint_url=ENDPOINT, aws_access_key_id="AKIAURL", aws_secret_access_key="s"
    ).generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    presigned = signer_of({}, url.partition("?")[2])
    assert presigned is not None and (presigned.access_key, presigned.service) == ("AKIAURL", "s3")
    assert signer_of({}, "") is None


def test_error_codes_are_read_from_json_and_xml_answers() -> None:
    assert error_code(200, b"") == "ok"
    assert error_code(400, b'{"__type": "com.amazonaws#ResourceInUse", "message": "m"}') == "ResourceInUse"
    assert error_code(404, b"<Error><Code>NoSuchKey</Code></Error>") == "NoSuchKey"
    assert error_code(500, b"boom") == "HTTP500"


def test_principals_keys_stand_for_their_principal_and_any_other_key_for_the_caller() -> None:
    principals = Principals()
    prepare = call_log.role(f"arn:aws:iam::{ACCOUNT}:role/PrepareRole", "function Prepare")
    key = principals.key_for(prepare)
    assert principals.key_for(prepare) == key and len(key) == 20
    assert principals.of(key) == prepare
    assert principals.of("testing") == call_log.CALLER


def _wsgi_answer(status: str, body: bytes) -> Callable[..., list[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        environ["wsgi.input"].read()
        start_response(status, [("Content-Type", "application/json")])
        return [body]

    return app


def _environ(request: AWSPreparedRequest) -> dict[str, Any]:
    path, _, query = request.url.removeprefix(ENDPOINT).partition("?")
    return EnvironBuilder(
        method=request.method, path=path, query_string=query, headers=_headers(request), data=_body(request)
    ).get_environ()


def test_the_middleware_records_each_signed_call_with_its_principal_and_outcome(tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.jsonl")
    role = call_log.role(EXECUTION_ROLE, "training job gan")
    key = call_log.PRINCIPALS.key_for(role)
    refused = RecordingMiddleware(_wsgi_answer("400 Bad Request", b'{"__type": "ValidationException"}'), log)
    request = prepared("sagemaker", "describe_training_job", access_key=key, TrainingJobName="gan-2026-11-30")
    answer = refused(_environ(request), lambda status, headers: None)
    assert b"".join(answer) == b'{"__type": "ValidationException"}'

    (record,) = log.records()
    assert (
        record["principal"] == EXECUTION_ROLE
        and record["principal_type"] == "role"
        and record["by"] == "training job gan"
    )
    assert (record["action"], record["resource"], record["outcome"]) == (
        "sagemaker:DescribeTrainingJob",
        JOB,
        "ValidationException",
    )
    assert record["context"] == {"aws:SecureTransport": "true"} and record["resource_account"] == ACCOUNT
    assert json.loads((tmp_path / "calls.jsonl").read_text()) == record

    statuses: list[str] = []
    listing = RecordingMiddleware(_wsgi_answer("200 OK", b""), log)
    served = listing(
        EnvironBuilder(path="/emulator-api/calls", query_string="since=1").get_environ(),
        lambda s, h: statuses.append(s),
    )
    assert statuses == ["200 OK"] and json.loads(b"".join(served)) == {"calls": []}


def test_unsigned_requests_and_the_emulator_s_own_plumbing_are_not_recorded(tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.jsonl")
    middleware = RecordingMiddleware(_wsgi_answer("200 OK", b"{}"), log)
    middleware(EnvironBuilder(path="/moto-api/").get_environ(), lambda s, h: None)
    entry = {"Source": "aws.sagemaker", "DetailType": "SageMaker Training Job State Change", "Detail": "{}"}
    internal = prepared("events", "put_events", access_key=call_log.UNRECORDED_ACCESS_KEY, Entries=[entry])
    middleware(_environ(internal), lambda s, h: None)
    assert log.records() == []


def test_a_job_pulls_its_training_image_and_its_rule_images() -> None:
    rule_image = "929884845733.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-debugger-rules:latest"
    request = {
        **CREATE_TRAINING_JOB,
        "DebugRuleConfigurations": [{"RuleConfigurationName": "loss", "RuleEvaluatorImage": rule_image}],
        "ProfilerRuleConfigurations": [{"RuleConfigurationName": "report", "RuleEvaluatorImage": rule_image}],
    }
    pulls = actions(training_job_calls.image_pulls(request))
    assert pulls[0] == ("ecr:GetAuthorizationToken", "*")
    assert ("ecr:BatchGetImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/gan") in pulls
    assert ("ecr:BatchGetImage", "arn:aws:ecr:eu-west-1:929884845733:repository/sagemaker-debugger-rules") in pulls
    assert len(pulls) == 1 + 3 * 2
    assert training_job_calls.image_pulls({"AlgorithmSpecification": {"TrainingImage": "python:3.11"}}) == []


def test_a_job_in_a_vpc_creates_its_interfaces_in_its_subnets_and_groups() -> None:
    calls = actions(training_job_calls.vpc_calls(CREATE_TRAINING_JOB, REGION, ACCOUNT))
    assert ("ec2:CreateNetworkInterface", f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/subnet-1") in calls
    assert ("ec2:CreateNetworkInterface", f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-1") in calls
    assert ("ec2:DescribeVpcs", "*") in calls
    cleanup = {call.action for call in training_job_calls.vpc_cleanup(CREATE_TRAINING_JOB, REGION, ACCOUNT)}
    assert cleanup == {"ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"}
    assert training_job_calls.vpc_calls({"TrainingJobName": "j"}, REGION, ACCOUNT) == []


def test_a_job_writes_checkpoints_tensorboard_and_debugger_data_where_configured() -> None:
    request = {
        **CREATE_TRAINING_JOB,
        "CheckpointConfig": {"S3Uri": "s3://checkpoints/gan/"},
        "TensorBoardOutputConfig": {"S3OutputPath": "s3://tensorboard/runs"},
        "DebugRuleConfigurations": [{"RuleConfigurationName": "loss", "RuleEvaluatorImage": "i"}],
    }
    written = [uri for uri, _ in training_job_calls.extra_outputs(request)]
    assert written == [
        "s3://checkpoints/gan/emulator-checkpoint.json",
        "s3://tensorboard/runs/gan-2026-11-30/tensorboard-output/emulator.json",
        "s3://artifacts/gan-2026-11-30/rule-output/loss/emulator.json",
    ]


def test_s3_and_sns_make_their_kms_calls_with_the_caller_s_permissions() -> None:
    from moto import mock_aws

    from emulator.call_recording_kms import implied_kms_calls
    from emulator.call_recording_table import ServedRequest

    with mock_aws():
        key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="data", CreateBucketConfiguration={"LocationConstraint": REGION})
        default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
        rules = [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]
        s3.put_bucket_encryption(Bucket="data", ServerSideEncryptionConfiguration={"Rules": rules})
        s3.put_object(Bucket="data", Key="requests/a.json", Body=b"{}")
        s3.create_bucket(Bucket="plain", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket="plain", Key="a", Body=b"{}", ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
        topic = boto3.client("sns", region_name=REGION).create_topic(Name="jobs", Attributes={"KmsMasterKeyId": key})

        def implied(service: str, operation: str, **params: Any) -> list[Authorization]:
            return implied_kms_calls(call_log.CALLER, ServedRequest(service, operation, params, REGION, ACCOUNT))

        (decrypt,) = implied("s3", "GetObject", Bucket="data", Key="requests/a.json")
        assert (decrypt.action, decrypt.resource, decrypt.via) == ("kms:Decrypt", key, "s3.amazonaws.com")
        assert decrypt.context["kms:ViaService"] == f"s3.{REGION}.amazonaws.com"
        assert decrypt.context["kms:EncryptionContext:aws:s3:arn"] == "arn:aws:s3:::data"  # the Bucket Key's
        (data_key,) = implied("s3", "PutObject", Bucket="plain", Key="a")
        assert (data_key.action, data_key.context["kms:EncryptionContext:aws:s3:arn"]) == (
            "kms:GenerateDataKey",
            "arn:aws:s3:::plain/a",
        )
        published = implied("sns", "Publish", TopicArn=topic["TopicArn"], Message="m")
        assert [(c.action, c.resource, c.via) for c in published] == [
            ("kms:GenerateDataKey", key, "sns.amazonaws.com"),
            ("kms:Decrypt", key, "sns.amazonaws.com"),
        ]
        assert published[0].context["kms:EncryptionContext:aws:sns:topicArn"] == topic["TopicArn"]
        assert implied("s3", "HeadObject", Bucket="data", Key="requests/a.json") == []


TUNING_JOB = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/gan-261201"
CREATE_TUNING_JOB = {
    "HyperParameterTuningJobName": "gan-261201",
    "HyperParameterTuningJobConfig": {
        "Strategy": "Random",
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
    },
    "TrainingJobDefinition": {
        **{k: v for k, v in CREATE_TRAINING_JOB.items() if k not in ("TrainingJobName", "ResourceConfig", "Tags")},
        "HyperParameterTuningResourceConfig": {
            "InstanceType": "ml.g4dn.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
        },
        "StaticHyperParameters": {"epochs": "5"},
    },
    "Tags": [{"Key": "CER", "Value": "1"}],
}


def test_create_tuning_job_is_authorized_as_create_add_tags_and_pass_role_with_the_definition_s_context() -> None:
    create, add_tags, pass_role = recorded("sagemaker", "create_hyper_parameter_tuning_job", **CREATE_TUNING_JOB)
    assert (create.action, create.resource) == ("sagemaker:CreateHyperParameterTuningJob", TUNING_JOB)
    assert create.context["aws:RequestTag/CER"] == "1" and create.context["aws:TagKeys"] == ["CER"]
    assert create.context["sagemaker:InstanceTypes"] == ["ml.g4dn.xlarge"]
    assert create.context["sagemaker:VpcSubnets"] == ["subnet-1"]
    assert create.context["sagemaker:VpcSecurityGroupIds"] == ["sg-1"]
    assert create.context["sagemaker:MaxRuntimeInSeconds"] == "3600"
    assert create.context["sagemaker:NetworkIsolation"] == "false"
    assert (add_tags.action, add_tags.resource) == ("sagemaker:AddTags", TUNING_JOB)
    assert (pass_role.action, pass_role.resource) == ("iam:PassRole", EXECUTION_ROLE)
    assert pass_role.context == {"iam:PassedToService": "sagemaker.amazonaws.com"}


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    [
        ("describe_hyper_parameter_tuning_job", {"HyperParameterTuningJobName": "GAN-261201"}, TUNING_JOB),
        ("stop_hyper_parameter_tuning_job", {"HyperParameterTuningJobName": "gan-261201"}, TUNING_JOB),
        (
            "list_training_jobs_for_hyper_parameter_tuning_job",
            {"HyperParameterTuningJobName": "gan-261201"},
            TUNING_JOB,
        ),
        ("list_hyper_parameter_tuning_jobs", {}, "*"),
        ("list_tags", {"ResourceArn": TUNING_JOB}, TUNING_JOB),
    ],
)
def test_tuning_operations_map_to_their_action_on_the_tuning_job(
    operation: str, params: dict[str, Any], expected: str
) -> None:
    (call,) = recorded("sagemaker", operation, **params)
    assert (call.action, call.resource) == ("sagemaker:" + "".join(p.title() for p in operation.split("_")), expected)
