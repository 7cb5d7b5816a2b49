"""The Lambda adapter (emulator/adapters/lambda_functions.py): Python functions run in a subprocess,
with their environment, seeing only what they would see on AWS."""

from __future__ import annotations

import json
from typing import Any

from adapter_resources import python_package, unique


# run_python_lambdas_in_a_subprocess -----------------------------------------------------------
def test_a_python_lambda_runs_with_its_environment_and_reaches_the_emulator(
    emulator: Any, output_bucket: str, lambda_role: str
) -> None:
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
        FunctionName=name,
        Runtime="python3.11",
        Role=lambda_role,
        Handler="index.handler",
        Timeout=30,
        Code={"ZipFile": python_package(source)},
        Environment={"Variables": {"SETTING": "from-the-stack", "BUCKET": output_bucket}},
    )
    answer = awslambda.invoke(FunctionName=name, Payload=json.dumps({"value": 42}))
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {
        "setting": "from-the-stack",
        "region": emulator.region,
        "sees_bucket": True,
        "echo": 42,
        "function": name,
    }

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
    awslambda.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=lambda_role,
        Handler="index.handler",
        Timeout=30,
        Code={"ZipFile": python_package(source)},
    )
    allowed = awslambda.invoke(FunctionName=name, Payload=json.dumps({"module": "dateutil.parser"}))
    assert "FunctionError" not in allowed and json.loads(allowed["Payload"].read()) == "boto3"
    # platform_contract: the emulator's server imports it from lambda/, a function only from its own package.
    for module in ("sagemaker", "moto", "emulator", "platform_contract"):
        refused = awslambda.invoke(FunctionName=name, Payload=json.dumps({"module": module}))
        assert refused.get("FunctionError"), module
        error = json.loads(refused["Payload"].read())
        assert (error["errorType"], error["errorMessage"]) == ("ModuleNotFoundError", f"No module named '{module}'")
