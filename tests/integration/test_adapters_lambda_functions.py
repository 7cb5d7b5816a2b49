"""The Lambda adapters (emulator/adapters/lambda_functions.py): Python functions run in execution
environments reused between invocations, with their environment, seeing only what they would see on
AWS, within their timeouts and the machine's cap, and logging where their logging configuration says."""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from adapter_resources import deploy_template, python_package, unique
from botocore.exceptions import ClientError
from execution_waits import wait_for

from emulator.adapters.lambda_functions import lambda_runtime_library
from emulator.lambda_environments import configured_concurrency

LAMBDA_STREAM = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")
_REPORT = re.compile(r"^REPORT RequestId: (\S+)\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t")

# A handler that counts its invocations in module state and can sleep, fail or exit when asked.
_COUNTING_SOURCE = """
import json, logging, os, subprocess, time
INVOCATIONS = 0
print("init: loading the model")
def handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    started = time.time()
    print("serving", json.dumps(event))
    if event.get("child_pid_file"):
        child = subprocess.Popen(["sleep", "60"])
        with open(event["child_pid_file"], "w") as pid_file:
            pid_file.write(str(child.pid))
    if event.get("log_warning"):
        logging.getLogger("model").warning("first line\\nsecond line")
    time.sleep(event.get("sleep", 0))
    if event.get("exit"):
        os._exit(event["exit"])
    return {"invocations": INVOCATIONS, "pid": os.getpid(), "started": started, "ended": time.time(),
            "remaining_ms": context.get_remaining_time_in_millis(), "stream": context.log_stream_name}
"""


def create_function(emulator: Any, role: str, source: str = _COUNTING_SOURCE, **settings: Any) -> str:
    name = unique("fn")
    emulator.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": python_package(source)},
        **{"Timeout": 30, **settings},
    )
    return name


def invoke(emulator: Any, name: str, event: dict[str, Any] | None = None, **options: Any) -> tuple[dict[str, Any], Any]:
    answer = emulator.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event or {}), **options)
    return answer, json.loads(answer["Payload"].read())


def log_messages(emulator: Any, group: str) -> dict[str, list[str]]:
    """Every stream of the group, with its messages."""
    logs = emulator.client("logs")
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    return {
        s["logStreamName"]: [
            e["message"]
            for e in logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"], startFromHead=True)[
                "events"
            ]
        ]
        for s in streams
    }


def process_ended(pid: int) -> bool:
    """Whether the process is gone (or a zombie no one has reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in state


# run_python_lambdas_in_reused_execution_environments -----------------------------------------
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
    name = create_function(
        emulator, lambda_role, source, Environment={"Variables": {"SETTING": "from-the-stack", "BUCKET": output_bucket}}
    )
    answer, payload = invoke(emulator, name, {"value": 42})
    assert "FunctionError" not in answer
    assert payload == {
        "setting": "from-the-stack",
        "region": emulator.region,
        "sees_bucket": True,
        "echo": 42,
        "function": name,
    }

    failure, error = invoke(emulator, name, {"fail": True})
    assert failure["FunctionError"] == "Unhandled"
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "instance_type: must be an ml.* type")
    assert error["stackTrace"] and "raise ValueError" in error["stackTrace"][-1]


def test_a_lambda_can_import_boto3_but_not_the_project_s_other_packages(emulator: Any, lambda_role: str) -> None:
    """On AWS a function sees its own code, the standard library and boto3: an import of sagemaker
    (installed in the project's venv) must fail here too, not pass unnoticed."""
    source = (
        "import importlib, boto3\n"
        "def handler(event, context):\n"
        "    importlib.import_module(event['module'])\n"
        "    return boto3.__name__\n"
    )
    name = create_function(emulator, lambda_role, source)
    allowed, payload = invoke(emulator, name, {"module": "dateutil.parser"})
    assert "FunctionError" not in allowed and payload == "boto3"
    # platform_contract: the emulator's server imports it from lambda/, a function only from its own package.
    for module in ("sagemaker", "moto", "emulator", "platform_contract"):
        refused, error = invoke(emulator, name, {"module": module})
        assert refused.get("FunctionError"), module
        assert (error["errorType"], error["errorMessage"]) == ("ModuleNotFoundError", f"No module named '{module}'")


def test_a_handler_module_that_cannot_be_imported_fails_as_lambda_reports_it(emulator: Any, lambda_role: str) -> None:
    name = create_function(emulator, lambda_role, "import sagemaker\ndef handler(event, context):\n    return 1\n")
    answer, error = invoke(emulator, name)
    assert answer["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"] == "Unable to import module 'index': No module named 'sagemaker'"


def test_module_state_survives_between_invocations_and_init_is_not_billed_to_the_timeout(
    emulator: Any, lambda_role: str
) -> None:
    """Init (2 s of module-level work) runs once, outside the function's 1 s timeout; the second
    invocation finds the first one's module state, in the same process."""
    slow_init = "import time\ntime.sleep(2)\n" + _COUNTING_SOURCE
    name = create_function(emulator, lambda_role, slow_init, Timeout=1)
    first_answer, first = invoke(emulator, name)
    assert "FunctionError" not in first_answer, first
    _, second = invoke(emulator, name)
    assert (first["invocations"], second["invocations"]) == (1, 2)
    assert first["pid"] == second["pid"]
    assert 0 < second["remaining_ms"] <= 1000


def test_a_timed_out_invocation_says_so_kills_the_function_s_processes_and_gets_a_fresh_environment(
    emulator: Any, lambda_role: str, tmp_path: Path
) -> None:
    name = create_function(emulator, lambda_role, Timeout=1)
    _, warm = invoke(emulator, name)
    pid_file = tmp_path / "child.pid"
    answer, error = invoke(emulator, name, {"sleep": 5, "child_pid_file": str(pid_file)})
    assert answer["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    # The function printed before timing out: the message is still the timeout, not its output.
    assert re.fullmatch(r"RequestId: \S+ Error: Task timed out after 1\.00 seconds", error["errorMessage"])
    wait_for(lambda: process_ended(int(pid_file.read_text())), timeout=10)
    _, fresh = invoke(emulator, name)
    assert fresh["invocations"] == 1 and fresh["pid"] != warm["pid"]


def test_a_crashed_runtime_is_reported_and_replaced(emulator: Any, lambda_role: str) -> None:
    name = create_function(emulator, lambda_role)
    answer, error = invoke(emulator, name, {"exit": 3})
    assert answer["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"].endswith("Error: Runtime exited with error: exit status 3")
    _, after = invoke(emulator, name)
    assert after["invocations"] == 1


def test_updated_code_gets_a_new_environment(emulator: Any, lambda_role: str) -> None:
    name = create_function(emulator, lambda_role)
    invoke(emulator, name)
    updated = _COUNTING_SOURCE.replace('"invocations": INVOCATIONS', '"invocations": INVOCATIONS, "updated": True')
    emulator.client("lambda").update_function_code(FunctionName=name, ZipFile=python_package(updated))
    _, payload = invoke(emulator, name)
    assert payload["updated"] is True and payload["invocations"] == 1


def test_invocations_beyond_the_machine_s_cap_wait_their_turn_without_timing_out(
    emulator: Any, lambda_role: str
) -> None:
    """cap + 2 invocations of 1.5 s under a 2 s timeout: all succeed, never more than the cap at once."""
    cap = configured_concurrency()
    name = create_function(emulator, lambda_role, Timeout=2)
    with ThreadPoolExecutor(cap + 2) as pool:
        answers = list(pool.map(lambda _: invoke(emulator, name, {"sleep": 1.5}), range(cap + 2)))
    assert all("FunctionError" not in answer for answer, _ in answers), answers
    spans = [(payload["started"], payload["ended"]) for _, payload in answers]
    most_at_once = max(sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans)
    assert 1 <= most_at_once <= cap


def test_reserved_concurrency_throttles_synchronous_invocations_and_queues_asynchronous_ones(
    emulator: Any, lambda_role: str
) -> None:
    awslambda = emulator.client("lambda")
    name = create_function(emulator, lambda_role)
    awslambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    running = threading.Thread(target=invoke, args=(emulator, name, {"sleep": 5}))
    running.start()
    try:
        wait_for(lambda: any("serving" in m for lines in _function_logs(emulator, name) for m in lines), timeout=30)
        with pytest.raises(ClientError) as throttled:
            invoke(emulator, name)
        assert throttled.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        started = time.monotonic()
        queued = awslambda.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"marker": "queued"}))
        assert queued["StatusCode"] == 202 and time.monotonic() - started < 2.5
    finally:
        running.join()
    wait_for(lambda: any('"marker": "queued"' in m for lines in _function_logs(emulator, name) for m in lines), 30)


def _function_logs(emulator: Any, name: str) -> list[list[str]]:
    try:
        return list(log_messages(emulator, f"/aws/lambda/{name}").values())
    except emulator.client("logs").exceptions.ResourceNotFoundException:
        return []


def test_logs_have_lambda_s_lines_and_one_stream_per_environment(emulator: Any, lambda_role: str) -> None:
    name = create_function(emulator, lambda_role)
    first_answer, first = invoke(emulator, name, {"log_warning": True}, LogType="Tail")
    invoke(emulator, name)
    tail = base64.b64decode(first_answer["LogResult"]).decode()
    assert tail.startswith("START RequestId: ") and "\nREPORT RequestId: " in tail

    streams = log_messages(emulator, f"/aws/lambda/{name}")
    assert list(streams) == [first["stream"]] and LAMBDA_STREAM.match(first["stream"])
    messages = streams[first["stream"]]
    assert messages[0].startswith("INIT_START Runtime Version: python:3.")
    assert messages[1] == "init: loading the model"
    assert [m.split(" RequestId: ")[0] for m in messages if " RequestId: " in m[:20]] == [
        "START",
        "END",
        "REPORT",
        "START",
        "END",
        "REPORT",
    ]
    reports = [m for m in messages if _REPORT.match(m)]
    assert len(reports) == 2 and "Init Duration: " in reports[0] and "Init Duration: " not in reports[1]
    # A logging record is one event, in the Lambda runtime's text format.
    warning = next(m for m in messages if m.startswith("[WARNING]"))
    assert re.fullmatch(r"\[WARNING\]\t\S+Z\t[0-9a-f-]{36}\tfirst line\nsecond line", warning)


# honour_function_logging_configuration ----------------------------------------------------------
def test_a_function_logs_to_the_log_group_its_stack_names(emulator: Any, lambda_role: str) -> None:
    template = {
        "Resources": {
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.11",
                    "Handler": "index.handler",
                    "Role": lambda_role,
                    "Code": {"ZipFile": "def handler(event, context):\n    print('to my own group')\n    return 1\n"},
                    "LoggingConfig": {"LogGroup": {"Ref": "Logs"}},
                },
            },
        },
        "Outputs": {"Function": {"Value": {"Ref": "Function"}}, "Logs": {"Value": {"Ref": "Logs"}}},
    }
    stack = deploy_template(emulator, template, unique("logging"))
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    configuration = emulator.client("lambda").get_function_configuration(FunctionName=outputs["Function"])
    assert configuration["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": outputs["Logs"]}
    invoke(emulator, outputs["Function"])
    messages = [m for lines in log_messages(emulator, outputs["Logs"]).values() for m in lines]
    assert "to my own group" in messages
    groups = emulator.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{outputs['Function']}")
    assert groups["logGroups"] == []


def test_the_json_log_format_writes_platform_records_and_json_log_records(emulator: Any, lambda_role: str) -> None:
    name = create_function(emulator, lambda_role, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"})
    configuration = emulator.client("lambda").get_function_configuration(FunctionName=name)
    assert configuration["LoggingConfig"] == {
        "LogFormat": "JSON",
        "LogGroup": f"/aws/lambda/{name}",
        "ApplicationLogLevel": "WARN",
        "SystemLogLevel": "INFO",
    }
    _, payload = invoke(emulator, name, {"log_warning": True})
    messages = log_messages(emulator, f"/aws/lambda/{name}")[payload["stream"]]
    records = [json.loads(m) for m in messages if m.startswith("{")]
    assert [r["type"] for r in records if "type" in r] == ["platform.initStart", "platform.start", "platform.report"]
    report = next(r for r in records if r.get("type") == "platform.report")["record"]
    assert report["status"] == "success" and report["metrics"]["memorySizeMB"] == 128
    warning = next(r for r in records if r.get("level") == "WARNING")
    assert (warning["message"], warning["logger"]) == ("first line\nsecond line", "model")
    assert 'serving {"log_warning": true}' in messages  # print output stays plain text


def test_a_dangling_library_link_from_an_old_virtualenv_is_replaced(tmp_path: Path) -> None:
    library = tmp_path / "lambda-runtime-library"
    library.mkdir()
    (library / "boto3").symlink_to(tmp_path / "removed-venv" / "boto3")
    lambda_runtime_library(library)
    assert (library / "boto3" / "__init__.py").is_file()
    assert os.path.realpath(library / "boto3") != str(tmp_path / "removed-venv" / "boto3")
