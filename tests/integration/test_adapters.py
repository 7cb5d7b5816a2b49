"""Each adapter of emulator/adapters/, exercised through the emulator's API with boto3-made resources.

A test failing after a moto upgrade names the adapter to look at again.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator import scheduled_event_entry
from execution_waits import all_job_names, execution_output, finished_execution, wait_for

ROLE_ARN = "arn:aws:iam::123456789012:role/emulator-test"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/trainer:latest"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def python_package(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("index.py", source)
    return buffer.getvalue()


CDK_CHANGE_SET = "cdk-deploy-change-set"  # the CDK CLI gives every stack's change set this name


def deploy_template(emulator: Any, template: dict[str, Any], stack_name: str) -> dict[str, Any]:
    """Deploy as the CDK CLI does: delete the stack's old change set, create one by name, execute it.

    find_change_sets_by_stack_and_name keeps the same-named change sets of several stacks apart;
    keep_previous_ssm_parameter_values_on_update lets an update reuse an SSM-typed parameter.
    """
    cloudformation = emulator.client("cloudformation")
    exists = any(s["StackName"] == stack_name for s in cloudformation.describe_stacks()["Stacks"])
    cloudformation.delete_change_set(StackName=stack_name, ChangeSetName=CDK_CHANGE_SET)
    with pytest.raises(ClientError, match="ChangeSetNotFound"):
        cloudformation.describe_change_set(StackName=stack_name, ChangeSetName=CDK_CHANGE_SET)
    parameters = [{"ParameterKey": name, "UsePreviousValue": True} for name in template.get("Parameters", {})]
    cloudformation.create_change_set(
        StackName=stack_name, ChangeSetName=CDK_CHANGE_SET, TemplateBody=json.dumps(template),
        ChangeSetType="UPDATE" if exists else "CREATE", Parameters=parameters if exists else [],
    )
    assert cloudformation.describe_change_set(StackName=stack_name, ChangeSetName=CDK_CHANGE_SET)["StackName"] == stack_name
    cloudformation.execute_change_set(StackName=stack_name, ChangeSetName=CDK_CHANGE_SET)
    return cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]


def training_request(name: str, bucket: str, **hyperparameters: str) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE_ARN,
        "AlgorithmSpecification": {
            "TrainingImage": IMAGE, "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "loss", "Regex": "Loss = (.*?);"}],
        },
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "HyperParameters": {"run": unique("run"), **hyperparameters},
        "Tags": [{"Key": "CER", "Value": "1"}],
    }


@pytest.fixture(scope="module")
def output_bucket(emulator: Any) -> str:
    name = unique("artifacts")
    emulator.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": emulator.region})
    return name


@pytest.fixture(scope="module")
def lambda_role(emulator: Any) -> str:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "lambda.amazonaws.com"}}]}
    return emulator.client("iam").create_role(RoleName=unique("function"), AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"]["Arn"]


def final_job(sagemaker: Any, name: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        job = sagemaker.describe_training_job(TrainingJobName=name)
        return job if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped") else None

    return wait_for(ended, timeout=30)


# run_state_machines_created_by_cloudformation ------------------------------------------------
def test_a_state_machine_created_by_cloudformation_runs(emulator: Any) -> None:
    definition = {"StartAt": "Greet", "States": {"Greet": {
        "Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.name)"}, "End": True}}}
    template = {"Resources": {"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionString": json.dumps(definition), "RoleArn": ROLE_ARN}}},
        "Outputs": {"Arn": {"Value": {"Ref": "Machine"}}}}
    stack = deploy_template(emulator, template, unique("machine"))
    sfn = emulator.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=stack["Outputs"][0]["OutputValue"], input='{"name": "Ada"}')
    described = finished_execution(sfn, execution["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert execution_output(described) == {"greeting": "hello Ada"}


# name_executions_started_without_a_name ---------------------------------------------------------
def test_executions_started_without_a_name_get_distinct_names(emulator: Any) -> None:
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    sfn = emulator.client("stepfunctions")
    machine = sfn.create_state_machine(name=unique("unnamed"), definition=json.dumps(definition), roleArn=ROLE_ARN)
    arns = {sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"] for _ in range(2)}
    assert len(arns) == 2 and not any(arn.endswith(":None") for arn in arns)


# evaluate_jsonata_with_jsonata_python -----------------------------------------------------------
def test_a_jsonata_state_machine_evaluates_its_expressions(emulator: Any) -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "Remember", "States": {
        "Remember": {"Type": "Pass", "Assign": {"quoted": "{% $states.input.text %}", "count": 1}, "Next": "Answer"},
        "Answer": {"Type": "Pass", "Output": (
            "{% {'parsed': $parse($quoted).a, 'count': $count + 1, "
            "'capacity': $contains('CapacityError: none left', /CapacityError|InsufficientCapacity/), "
            "'metrics': $merge([{'MetricName': 'loss', 'Value': 0.5}].{MetricName: Value})} %}"), "End": True}}}
    sfn = emulator.client("stepfunctions")
    machine = sfn.create_state_machine(name=unique("jsonata"), definition=json.dumps(definition), roleArn=ROLE_ARN)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"text": '{"a": "b\\"c"}'}))
    described = finished_execution(sfn, execution["executionArn"])
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert execution_output(described) == {"parsed": 'b"c', "count": 2, "capacity": True, "metrics": {"loss": 0.5}}


# run_python_lambdas_in_a_subprocess -----------------------------------------------------------
def test_a_python_lambda_runs_with_its_environment_and_reaches_the_emulator(
        emulator: Any, output_bucket: str, lambda_role: str) -> None:
    source = (
        "import os, boto3\n"
        "def handler(event, context):\n"
        "    if event.get('fail'):\n"
        "        raise ValueError('instance_type: must be an ml.* type')\n"
        "    names = [b['Name'] for b in boto3.client('s3').list_buckets()['Buckets']]\n"
        "    return {'setting': os.environ['SETTING'], 'region': os.environ['AWS_REGION'],\n"
        "            'sees_bucket': os.environ['BUCKET'] in names, 'echo': event['value'],\n"
        "            'function': context.function_name}\n"
    )
    awslambda = emulator.client("lambda")
    name = unique("fn")
    awslambda.create_function(
        FunctionName=name, Runtime="python3.11", Role=lambda_role, Handler="index.handler", Timeout=30,
        Code={"ZipFile": python_package(source)},
        Environment={"Variables": {"SETTING": "from-the-stack", "BUCKET": output_bucket}},
    )
    answer = awslambda.invoke(FunctionName=name, Payload=json.dumps({"value": 42}))
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {
        "setting": "from-the-stack", "region": emulator.region, "sees_bucket": True, "echo": 42, "function": name}

    failure = awslambda.invoke(FunctionName=name, Payload=json.dumps({"fail": True}))
    assert failure["FunctionError"]
    error = json.loads(failure["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "instance_type: must be an ml.* type")


def test_a_lambda_can_import_boto3_but_not_the_project_s_other_packages(emulator: Any, lambda_role: str) -> None:
    """On AWS a function sees its own code, the standard library and boto3: an import of sagemaker
    (installed in the project's venv) must fail here too, not pass unnoticed."""
    source = (
        "import importlib, boto3\n"
        "def handler(event, context):\n"
        "    importlib.import_module(event['module'])\n"
        "    return boto3.__name__\n"
    )
    awslambda = emulator.client("lambda")
    name = unique("imports")
    awslambda.create_function(FunctionName=name, Runtime="python3.11", Role=lambda_role, Handler="index.handler",
                              Timeout=30, Code={"ZipFile": python_package(source)})
    allowed = awslambda.invoke(FunctionName=name, Payload=json.dumps({"module": "dateutil.parser"}))
    assert "FunctionError" not in allowed and json.loads(allowed["Payload"].read()) == "boto3"
    for module in ("sagemaker", "moto", "emulator"):
        refused = awslambda.invoke(FunctionName=name, Payload=json.dumps({"module": module}))
        assert refused.get("FunctionError"), module
        error = json.loads(refused["Payload"].read())
        assert (error["errorType"], error["errorMessage"]) == ("ModuleNotFoundError", f"No module named '{module}'")


# rebuild_stack_outputs_after_change_sets ------------------------------------------------------
def test_a_change_set_deploy_gives_outputs_and_exports_and_can_be_redeployed(emulator: Any) -> None:
    export = unique("Export")
    producer = unique("producer")
    ssm_parameter = f"/{unique('bootstrap')}/version"
    emulator.client("ssm").put_parameter(Name=ssm_parameter, Value="30", Type="String")

    def producer_template(tag: str) -> dict[str, Any]:
        return {"Parameters": {"BootstrapVersion": {
                    "Type": "AWS::SSM::Parameter::Value<String>", "Default": ssm_parameter}},
                "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
                "Outputs": {"BucketName": {"Value": {"Ref": "Bucket"}, "Export": {"Name": export}},
                            "Version": {"Value": tag}}}

    first = deploy_template(emulator, producer_template("one"), producer)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in first["Outputs"]}
    assert outputs["Version"] == "one" and outputs["BucketName"].startswith(producer.lower())

    consumer = deploy_template(emulator, {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"Imported": {"Value": {"Fn::ImportValue": export}}}}, unique("consumer"))
    assert consumer["Outputs"][0]["OutputValue"] == outputs["BucketName"]

    second = deploy_template(emulator, producer_template("two"), producer)
    assert {o["OutputKey"]: o["OutputValue"] for o in second["Outputs"]}["Version"] == "two"
    assert second["StackStatus"] == "UPDATE_COMPLETE"


# accept_tagged_kms_keys_from_cloudformation, name_unnamed_ecr_repositories_in_lowercase -------
def test_a_tagged_kms_key_and_an_unnamed_repository_deploy(emulator: Any) -> None:
    stack_name = unique("Stateful")
    stack = deploy_template(emulator, {
        "Resources": {
            "Key": {"Type": "AWS::KMS::Key", "Properties": {
                "KeyPolicy": {"Version": "2012-10-17", "Statement": []}, "Tags": [{"Key": "CER", "Value": "1"}]}},
            "Repository": {"Type": "AWS::ECR::Repository", "Properties": {"Tags": [{"Key": "CER", "Value": "1"}]}}},
        "Outputs": {"KeyId": {"Value": {"Ref": "Key"}}, "Repository": {"Value": {"Ref": "Repository"}}}}, stack_name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    tags = emulator.client("kms").list_resource_tags(KeyId=outputs["KeyId"])["Tags"]
    assert tags == [{"TagKey": "CER", "TagValue": "1"}]
    assert outputs["Repository"] == outputs["Repository"].lower()
    emulator.client("ecr").describe_repositories(repositoryNames=[outputs["Repository"]])


# deliver_eventbridge_events_to_state_machines_topics_and_functions, spell_s3_events_like_aws,
# apply_bucket_eventbridge_setting_from_cloudformation, apply_bucket_versioning_from_cloudformation
def test_an_object_put_in_an_eventbridge_enabled_bucket_starts_the_rule_s_state_machine(emulator: Any) -> None:
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    stack = deploy_template(emulator, {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {
                "VersioningConfiguration": {"Status": "Enabled"},
                "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}}},
            "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
                "DefinitionString": json.dumps(definition), "RoleArn": ROLE_ARN}}},
        "Outputs": {"Bucket": {"Value": {"Ref": "Bucket"}}, "Machine": {"Value": {"Ref": "Machine"}}}},
        unique("events"))
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    events = emulator.client("events")
    rule = unique("requests")
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.s3"], "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [outputs["Bucket"]]}, "object": {"key": [{"prefix": "requests/"}]}}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "workflow", "Arn": outputs["Machine"], "RoleArn": ROLE_ARN}])

    s3 = emulator.client("s3")
    assert s3.get_bucket_versioning(Bucket=outputs["Bucket"])["Status"] == "Enabled"
    s3.put_object(Bucket=outputs["Bucket"], Key="elsewhere/ignored.json", Body=b"{}")
    put = [s3.put_object(Bucket=outputs["Bucket"], Key="requests/gan.json", Body=body) for body in (b"{}", b"[]")]

    sfn = emulator.client("stepfunctions")
    executions = wait_for(lambda: len(sfn.list_executions(stateMachineArn=outputs["Machine"])["executions"]) == 2 and
                          sfn.list_executions(stateMachineArn=outputs["Machine"])["executions"])
    events_in = [json.loads(finished_execution(sfn, e["executionArn"])["input"]) for e in executions]
    assert len(executions) == 2
    for event in events_in:
        assert (event["source"], event["detail-type"]) == ("aws.s3", "Object Created")
        assert event["detail"]["object"]["key"] == "requests/gan.json"
        assert event["detail"]["bucket"]["name"] == outputs["Bucket"]
        assert "eTag" not in event["detail"]["object"]
    by_version = {e["detail"]["object"]["version-id"]: e["detail"]["object"]["etag"] for e in events_in}
    assert by_version == {p["VersionId"]: p["ETag"].strip('"') for p in put}  # two versions, AWS's spelling
    assert len({e["id"] for e in events_in}) == 2


def test_a_rule_invokes_its_lambda_target_without_making_put_events_wait(emulator: Any, lambda_role: str) -> None:
    sqs, events, awslambda = emulator.client("sqs"), emulator.client("events"), emulator.client("lambda")
    queue = sqs.create_queue(QueueName=unique("delivered"))["QueueUrl"]
    source = (
        "import json, os, time, boto3\n"
        "def handler(event, context):\n"
        "    time.sleep(10)\n"
        "    boto3.client('sqs').send_message(QueueUrl=os.environ['QUEUE'], MessageBody=json.dumps(event))\n"
    )
    function = awslambda.create_function(
        FunctionName=unique("notify"), Runtime="python3.11", Role=lambda_role, Handler="index.handler", Timeout=30,
        Code={"ZipFile": python_package(source)}, Environment={"Variables": {"QUEUE": queue}})["FunctionArn"]
    rule, job = unique("job-state"), unique("job")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.sagemaker"], "detail": {"TrainingJobStatus": ["Failed"]}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "notifier", "Arn": function, "InputTransformer": {
        "InputPathsMap": {"name": "$.detail.TrainingJobName"}, "InputTemplate": '{"job": <name>, "why": "it failed"}'}}])

    started = time.monotonic()
    answer = events.put_events(Entries=[{"Source": "aws.sagemaker", "DetailType": "SageMaker Training Job State Change",
                                         "Detail": json.dumps({"TrainingJobName": job, "TrainingJobStatus": "Failed"})}])
    assert answer["FailedEntryCount"] == 0
    assert time.monotonic() - started < 5  # the function sleeps 10 s: PutEvents did not wait for it

    messages = wait_for(lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"), timeout=30)
    assert json.loads(messages[0]["Body"]) == {"job": job, "why": "it failed"}


# match_scheduled_rules_only_to_their_own_firings ------------------------------------------------
def test_a_scheduled_rule_receives_only_its_own_firings(emulator: Any) -> None:
    sqs, events = emulator.client("sqs"), emulator.client("events")
    queue = sqs.create_queue(QueueName=unique("nightly"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = events.put_rule(Name=unique("nightly"), ScheduleExpression="cron(0 2 * * ? *)")["RuleArn"]
    events.put_targets(Rule=rule.split("/")[-1], Targets=[{"Id": "queue", "Arn": queue_arn}])

    events.put_events(Entries=[
        {"Source": "aws.ecr", "DetailType": "ECR Image Action", "Detail": json.dumps({"result": "SUCCESS"})},
        scheduled_event_entry(rule.replace("nightly", "another")),
    ])
    assert not sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages")

    events.put_events(Entries=[scheduled_event_entry(rule)])
    messages = wait_for(lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"), timeout=10)
    firing = json.loads(messages[0]["Body"])
    assert (firing["source"], firing["detail-type"], firing["resources"]) == ("aws.events", "Scheduled Event", [rule])


# give_training_jobs_a_lifecycle -----------------------------------------------------------------
def test_a_training_job_goes_through_its_statuses_and_leaves_artifact_logs_and_metrics(
        emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    name = unique("job")
    sagemaker.create_training_job(**training_request(name, output_bucket))
    first = sagemaker.describe_training_job(TrainingJobName=name)
    assert (first["TrainingJobStatus"], first["SecondaryStatus"]) == ("InProgress", "Starting")

    job = final_job(sagemaker, name)
    assert job["TrainingJobStatus"] == "Completed"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://{output_bucket}/models/{name}/output/model.tar.gz"
    emulator.client("s3").head_object(Bucket=output_bucket, Key=f"models/{name}/output/model.tar.gz")
    assert [m["MetricName"] for m in job["FinalMetricDataList"]] == ["loss"]
    assert job["TrainingTimeInSeconds"] >= 1 and job["BillableTimeInSeconds"] == job["TrainingTimeInSeconds"]
    assert job["HyperParameters"]["run"].startswith("run-")  # the request's fields, all kept

    logs = emulator.client("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=f"{name}/algo-1-")
    stream = streams["logStreams"][0]["logStreamName"]
    messages = [e["message"] for e in logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream)["events"]]
    assert any("loss=" in m for m in messages)
    assert sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"] == [{"Key": "CER", "Value": "1"}]


def test_each_instance_logs_on_its_own_stream_while_the_job_trains(emulator: Any, output_bucket: str) -> None:
    sagemaker, logs = emulator.client("sagemaker"), emulator.client("logs")
    name = unique("job")
    request = training_request(name, output_bucket, emulator_seconds="10")  # Training: 4.5 s, a line every ~1 s
    request["ResourceConfig"]["InstanceCount"] = 2
    sagemaker.create_training_job(**request)

    def stream_messages() -> dict[str, list[str]]:
        streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=f"{name}/")
        return {s["logStreamName"].split("/")[1].rsplit("-", 1)[0]: [e["message"] for e in logs.get_log_events(
            logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=s["logStreamName"])["events"]]
            for s in streams["logStreams"]}

    def first_lines_written() -> dict[str, list[str]] | None:
        messages = stream_messages()
        return messages if len(messages) == 2 and all(messages.values()) else None

    during = wait_for(first_lines_written, timeout=30, interval=0.2)
    assert sagemaker.describe_training_job(TrainingJobName=name)["SecondaryStatus"] == "Training"
    assert set(during) == {"algo-1", "algo-2"}
    assert not any("Training complete" in line for lines in during.values() for line in lines)  # more to come

    job = final_job(sagemaker, name)
    assert job["TrainingJobStatus"] == "Completed"
    after = stream_messages()
    assert after["algo-1"] == after["algo-2"]
    assert any("loss=" in line for line in after["algo-1"]) and "Training complete" in after["algo-1"][-2]


@pytest.mark.parametrize(("outcome", "reason_start"), [("failed", "AlgorithmError: "), ("capacity", "CapacityError: ")])
def test_a_training_job_fails_when_asked(emulator: Any, output_bucket: str, outcome: str, reason_start: str) -> None:
    sagemaker = emulator.client("sagemaker")
    name = unique("job")
    sagemaker.create_training_job(**training_request(name, output_bucket, emulator_outcome=outcome))
    job = final_job(sagemaker, name)
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"].startswith(reason_start)


def test_an_outcome_sequence_fails_the_first_job_and_completes_the_retry(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    request = training_request(unique("job"), output_bucket, emulator_outcome="capacity,completed")
    sagemaker.create_training_job(**request)
    retry = dict(request, TrainingJobName=unique("retry"))
    sagemaker.create_training_job(**retry)
    assert final_job(sagemaker, request["TrainingJobName"])["TrainingJobStatus"] == "Failed"
    assert final_job(sagemaker, retry["TrainingJobName"])["TrainingJobStatus"] == "Completed"


def test_stop_training_job_stops_it_and_a_stopped_outcome_stops_by_itself(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    long_job = unique("job")
    sagemaker.create_training_job(**training_request(long_job, output_bucket, emulator_seconds="60"))
    sagemaker.stop_training_job(TrainingJobName=long_job)
    assert sagemaker.describe_training_job(TrainingJobName=long_job)["TrainingJobStatus"] in ("Stopping", "Stopped")
    assert final_job(sagemaker, long_job)["TrainingJobStatus"] == "Stopped"

    self_stopping = unique("job")
    sagemaker.create_training_job(**training_request(self_stopping, output_bucket, emulator_outcome="stopped"))
    assert final_job(sagemaker, self_stopping)["TrainingJobStatus"] == "Stopped"


def test_a_duplicate_job_name_and_an_invalid_request_are_refused(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    request = training_request(unique("job"), output_bucket)
    sagemaker.create_training_job(**request)
    with pytest.raises(ClientError) as duplicate:
        sagemaker.create_training_job(**request)
    assert duplicate.value.response["Error"]["Code"] == "ResourceInUse"

    invalid = {k: v for k, v in training_request(unique("job"), output_bucket).items() if k != "RoleArn"}
    with pytest.raises(ClientError) as refused:
        _send_without_client_validation(emulator, invalid)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "RoleArn" in refused.value.response["Error"]["Message"]
    assert invalid["TrainingJobName"] not in all_job_names(emulator)


def _send_without_client_validation(emulator: Any, request: dict[str, Any]) -> None:
    """Send as Step Functions does, without botocore's client-side parameter validation."""
    raw = boto3.client("sagemaker", endpoint_url=emulator.endpoint, region_name=emulator.region,
                       aws_access_key_id="testing", aws_secret_access_key="testing",
                       config=Config(parameter_validation=False))
    raw.create_training_job(**request)


# run_create_training_job_sync_in_step_functions -------------------------------------------------
@pytest.fixture(scope="module")
def training_machine(emulator: Any, output_bucket: str) -> str:
    request = training_request("unused", output_bucket)
    parameters = {k: v for k, v in request.items() if k not in ("TrainingJobName", "HyperParameters")}
    definition = {"StartAt": "Train", "States": {"Train": {
        "Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
        "Parameters": {**parameters, "TrainingJobName.$": "$.name", "HyperParameters.$": "$.hyperparameters"},
        "End": True}}}
    sfn = emulator.client("stepfunctions")
    return sfn.create_state_machine(name=unique("train"), definition=json.dumps(definition), roleArn=ROLE_ARN)[
        "stateMachineArn"]


def start_training(emulator: Any, machine: str, **hyperparameters: str) -> tuple[str, str]:
    name = unique("job")
    execution = emulator.client("stepfunctions").start_execution(stateMachineArn=machine, input=json.dumps(
        {"name": name, "hyperparameters": {"run": unique("run"), **hyperparameters}}))
    return execution["executionArn"], name


def test_create_training_job_sync_returns_the_completed_job(emulator: Any, training_machine: str) -> None:
    execution, name = start_training(emulator, training_machine)
    described = finished_execution(emulator.client("stepfunctions"), execution)
    assert described["status"] == "SUCCEEDED"
    output = execution_output(described)
    assert (output["TrainingJobName"], output["TrainingJobStatus"]) == (name, "Completed")
    assert isinstance(output["CreationTime"], int)  # epoch milliseconds, as Step Functions gives them


def test_create_training_job_sync_fails_with_the_job_description_as_cause(emulator: Any, training_machine: str) -> None:
    execution, name = start_training(emulator, training_machine, emulator_outcome="failed")
    described = finished_execution(emulator.client("stepfunctions"), execution)
    assert (described["status"], described["error"]) == ("FAILED", "States.TaskFailed")
    cause = json.loads(described["cause"])
    assert (cause["TrainingJobName"], cause["TrainingJobStatus"]) == (name, "Failed")
    assert cause["FailureReason"].startswith("AlgorithmError: ")


def test_sagemaker_errors_are_named_as_step_functions_names_them(emulator: Any, training_machine: str) -> None:
    """A modelled error (ResourceInUse) gets its own name; others the generic AmazonSageMakerException."""
    sfn = emulator.client("stepfunctions")
    first, name = start_training(emulator, training_machine)
    finished_execution(sfn, first)
    duplicate = sfn.start_execution(stateMachineArn=training_machine, input=json.dumps(
        {"name": name, "hyperparameters": {"run": unique("run")}}))["executionArn"]
    described = finished_execution(sfn, duplicate)
    assert (described["status"], described["error"]) == ("FAILED", "SageMaker.ResourceInUseException")
    assert "Error Code: ResourceInUse;" in described["cause"]

    invalid = sfn.start_execution(stateMachineArn=training_machine, input=json.dumps(
        {"name": unique("job"), "hyperparameters": {"run": unique("run"), "emulator_outcome": "unknown"}}))["executionArn"]
    described = finished_execution(sfn, invalid)
    assert (described["status"], described["error"]) == ("FAILED", "SageMaker.AmazonSageMakerException")
    assert "Error Code: ValidationException;" in described["cause"]


def test_stopping_the_execution_stops_its_training_job(emulator: Any, training_machine: str) -> None:
    sfn, sagemaker = emulator.client("stepfunctions"), emulator.client("sagemaker")
    execution, name = start_training(emulator, training_machine, emulator_seconds="60")
    wait_for(lambda: name in all_job_names(emulator))
    sfn.stop_execution(executionArn=execution)
    assert finished_execution(sfn, execution)["status"] == "ABORTED"
    assert final_job(sagemaker, name)["TrainingJobStatus"] == "Stopped"


# deliver_eventbridge_events_to_state_machines_topics_and_functions (SNS), and the job's state change events
def test_a_job_s_end_reaches_a_topic_through_an_eventbridge_rule(emulator: Any, output_bucket: str) -> None:
    sns, sqs, events = emulator.client("sns"), emulator.client("sqs"), emulator.client("events")
    topic = sns.create_topic(Name=unique("jobs"))["TopicArn"]
    queue = sqs.create_queue(QueueName=unique("inbox"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    name = unique("job")
    rule = unique("job-ends")
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Training Job State Change"],
        "detail": {"TrainingJobName": [name], "TrainingJobStatus": ["Completed", "Failed", "Stopped"]}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "topic", "Arn": topic, "InputPath": "$.detail"}])

    emulator.client("sagemaker").create_training_job(**training_request(name, output_bucket))
    messages = wait_for(lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"), timeout=30)
    detail = json.loads(messages[0]["Body"])
    assert (detail["TrainingJobName"], detail["TrainingJobStatus"]) == (name, "Completed")
