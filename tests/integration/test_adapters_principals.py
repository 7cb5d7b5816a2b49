"""The principals of the call log (emulator/adapters/principals.py, and the keys Lambda functions get
in lambda_functions.py): a state machine's integrations call with its role, a function with its own."""

from __future__ import annotations

import json
from typing import Any

from adapter_resources import python_package, unique
from call_records import calls, find, one
from execution_waits import finished_execution

_LISTING_SOURCE = """
import boto3

def handler(event, context):
    return {"buckets": len(boto3.client("s3").list_buckets()["Buckets"])}
"""


# sign_state_machine_calls_with_their_role ------------------------------------------------------
def test_a_state_machine_invokes_with_its_role_and_the_function_calls_with_its_own(
    emulator: Any, lambda_role: str
) -> None:
    function = unique("fn")
    emulator.client("lambda").create_function(
        FunctionName=function,
        Runtime="python3.11",
        Role=lambda_role,
        Handler="index.handler",
        Code={"ZipFile": python_package(_LISTING_SOURCE)},
        Timeout=30,
    )
    function_arn = emulator.client("lambda").get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    machine_role = f"arn:aws:iam::123456789012:role/{unique('machine')}"
    definition = {
        "StartAt": "List",
        "States": {
            "List": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload": {}},
                "End": True,
            }
        },
    }
    sfn = emulator.client("stepfunctions")
    machine = sfn.create_state_machine(name=unique("machine"), definition=json.dumps(definition), roleArn=machine_role)
    since = len(calls(emulator))
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])
    assert finished_execution(sfn, execution["executionArn"])["status"] == "SUCCEEDED"

    records = calls(emulator, since)
    invoked = one(records, action="lambda:InvokeFunction", resource=function_arn)
    assert (invoked["principal"], invoked["principal_type"]) == (machine_role, "role")
    assumed = one(records, principal="states.amazonaws.com", action="sts:AssumeRole", resource=machine_role)
    assert assumed["context"]["aws:SourceArn"] == machine["stateMachineArn"]
    listed = one(records, action="s3:ListAllMyBuckets")
    assert (listed["principal"], listed["by"]) == (lambda_role, f"function {function}")
    assert find(records, principal="lambda.amazonaws.com", action="sts:AssumeRole", resource=lambda_role)
