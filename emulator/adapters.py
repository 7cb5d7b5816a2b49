"""What moto 5.2.5 lacks to run this platform, each fixed by one small adapter.

Each adapter is a function named for what it makes work; `install(endpoint)` applies them all,
in the emulator's server process, before it serves. Each has a test in tests/integration/
test_adapters.py: after a moto upgrade, the failing test names the adapter to look at again.

1. Step Functions: run_state_machines_created_by_cloudformation, name_executions_started_without_a_name,
   evaluate_jsonata_with_jsonata_python
2. Lambda: run_python_lambdas_in_a_subprocess
3. CloudFormation: rebuild_stack_outputs_after_change_sets, find_change_sets_by_stack_and_name,
   keep_previous_ssm_parameter_values_on_update, accept_tagged_kms_keys_from_cloudformation,
   name_unnamed_ecr_repositories_in_lowercase
4. EventBridge and S3: deliver_eventbridge_events_to_state_machines_topics_and_functions,
   match_scheduled_rules_only_to_their_own_firings, spell_s3_events_like_aws,
   apply_bucket_eventbridge_setting_from_cloudformation, apply_bucket_versioning_from_cloudformation
5. SageMaker: give_training_jobs_a_lifecycle, run_create_training_job_sync_in_step_functions
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from emulator import training_jobs

_RUNTIME_SOURCE = (Path(__file__).parent / "lambda_runtime.py").read_text(encoding="utf-8")
_DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def install(endpoint: str, work_dir: Path) -> None:
    """Apply every adapter. `endpoint` is the emulator's own URL (http://localhost:PORT).

    The order matters where adapters wrap the same moto method. Three wrap Rule.send_to_targets,
    each around the one installed before it, so the last installed runs first:
    spell_s3_events_like_aws (rewrites an S3 event) -> match_scheduled_rules_only_to_their_own_firings
    (drops what a scheduled rule must not get) -> deliver_eventbridge_events_to_state_machines_topics_and_functions
    (delivers, handing other targets to moto's own). Installed in another order, a scheduled rule's
    targets or the S3 event's spelling would be wrong. The two bucket adapters each wrap the bucket's
    CloudFormation create/update and are independent of each other.
    """
    run_state_machines_created_by_cloudformation()
    name_executions_started_without_a_name()
    evaluate_jsonata_with_jsonata_python()
    run_python_lambdas_in_a_subprocess(endpoint, work_dir / "lambda")
    rebuild_stack_outputs_after_change_sets()
    find_change_sets_by_stack_and_name()
    keep_previous_ssm_parameter_values_on_update()
    accept_tagged_kms_keys_from_cloudformation()
    name_unnamed_ecr_repositories_in_lowercase()
    deliver_eventbridge_events_to_state_machines_topics_and_functions()
    match_scheduled_rules_only_to_their_own_firings()
    spell_s3_events_like_aws()
    apply_bucket_eventbridge_setting_from_cloudformation()
    apply_bucket_versioning_from_cloudformation()
    give_training_jobs_a_lifecycle(endpoint)
    run_create_training_job_sync_in_step_functions()


# 1. Step Functions -------------------------------------------------------------------------
def run_state_machines_created_by_cloudformation() -> None:
    """Executions really run, also for state machines CloudFormation created.

    moto runs definitions only with `stepfunctions.execute_state_machine` on, and then serves the
    API from a second registry (stepfunctions_parser_backends) while CloudFormation keeps creating
    state machines in the first one (stepfunctions_backends): the API cannot see them. Turn the
    setting on and make the interpreter's registry the only one.
    """
    from moto.core.config import default_user_config
    from moto.stepfunctions import models as sfn_models
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    default_user_config["stepfunctions"]["execute_state_machine"] = True
    sfn_models.stepfunctions_backends = stepfunctions_parser_backends  # read by the CFN model


def name_executions_started_without_a_name() -> None:
    """StartExecution without a name gets a generated one, as on AWS.

    moto's interpreter names such an execution `None`: the second one fails with
    ExecutionAlreadyExists (as do the executions EventBridge starts).
    """
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original_start = StepFunctionsParserBackend.start_execution

    def start_execution(self: Any, state_machine_arn: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        return original_start(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    StepFunctionsParserBackend.start_execution = start_execution


def evaluate_jsonata_with_jsonata_python() -> None:
    """JSONata state machines run: expressions are evaluated by jsonata-python.

    moto's interpreter parses JSONata but leaves the evaluator unset (it expects a JVM bridge), so
    the first `{% ... %}` fails. It also declares string variables without escaping them, which
    breaks on any value with a quote or backslash (an error Cause holding JSON): values are
    declared as JSON here.
    """
    import jsonata as jsonata_python
    from moto.stepfunctions.parser.asl.eval import states as states_module
    from moto.stepfunctions.parser.asl.eval import variable_store as variable_store_module
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    def evaluate(expression: str) -> Any:
        try:
            result = jsonata_python.Jsonata(expression).evaluate(None)
        except Exception as error:  # noqa: BLE001 - reported as States.QueryEvaluationError
            raise moto_jsonata.JSONataException("UNKNOWN", str(error)) from None
        return None if result is None else json.loads(to_json_str(result))

    def encode_declarations(bindings: dict[str, Any]) -> str:
        return "".join(f"{reference}:={to_json_str(value, separators=(',', ':'))};" for reference, value in bindings.items())

    moto_jsonata._eval_jsonata = evaluate
    for module in (moto_jsonata, states_module, variable_store_module):
        module.encode_jsonata_variable_declarations = encode_declarations


# 2. Lambda ---------------------------------------------------------------------------------
# What a function can import besides its own code and the standard library: the Lambda Python
# runtime's boto3 and what boto3 itself needs.
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")


def lambda_runtime_library(directory: Path) -> Path:
    """A directory holding (links to) only the project's copies of LAMBDA_RUNTIME_PACKAGES."""
    import importlib.util

    directory.mkdir(parents=True, exist_ok=True)
    for name in LAMBDA_RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, f"{name} is installed with boto3"
        source = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        link = directory / source.name
        if not link.exists():
            link.symlink_to(source)
    return directory


def run_python_lambdas_in_a_subprocess(endpoint: str, code_root: Path) -> None:
    """Python Lambda functions run without Docker: the project's Python, in a subprocess.

    The deployment package (the CDK asset zip, or inline code) is unpacked once per code hash;
    the function gets its deployed environment variables, handler and timeout, the variables the
    Lambda runtime sets, dummy credentials and AWS_ENDPOINT_URL pointing at the emulator. Its
    output goes to /aws/lambda/<function>, as moto does for Docker runs. It can import what it
    can on AWS: its own code, the standard library, boto3 and boto3's dependencies; not the
    project's other packages (sagemaker, moto...): the interpreter runs isolated and without
    site-packages (-I -S), with only lambda_runtime_library() added to its path.
    """
    from moto.awslambda.models import LambdaFunction

    unpack_lock = threading.Lock()
    library = lambda_runtime_library(code_root.parent / "lambda-runtime-library")

    def unpacked_code(function: Any) -> Path:
        target = code_root / hashlib.sha256(function.code_bytes).hexdigest()
        with unpack_lock:
            if not target.exists():
                staging = Path(tempfile.mkdtemp(dir=code_root.parent))
                zipfile.ZipFile(io.BytesIO(function.code_bytes)).extractall(staging)
                code_root.mkdir(parents=True, exist_ok=True)
                staging.rename(target)
        return target

    def invoke_in_subprocess(self: Any, event: Any = None) -> tuple[str, bool, str]:
        if not str(self.run_time or "").startswith("python"):
            message = f"the emulator runs Python functions only, not {self.run_time}"
            return json.dumps({"errorMessage": message, "errorType": "Runtime.Unsupported"}), True, ""
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": os.environ.get("HOME", "/tmp"),
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": _DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": _DUMMY_CREDENTIALS["aws_secret_access_key"],
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.run_time}",
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": str(self.version),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(self.timeout),
            "AWS_LAMBDA_LOG_GROUP_NAME": self.logs_group_name,
            "EMULATOR_FUNCTION_ARN": self.function_arn,
            "_HANDLER": str(self.handler),
            **{str(k): str(v) for k, v in self.environment_vars.items()},
            "AWS_ENDPOINT_URL": endpoint,
        }
        code_dir = unpacked_code(self)
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as result_file:
            result_path = result_file.name
        try:
            try:
                process = subprocess.run(
                    [sys.executable, "-I", "-S", "-c", _RUNTIME_SOURCE, str(self.handler), result_path, str(library)],
                    input=json.dumps(event if event is not None else {}),
                    capture_output=True, text=True, cwd=code_dir, env=environment,
                    timeout=float(self.timeout),
                )
                logs = process.stdout + process.stderr
                payload = Path(result_path).read_text(encoding="utf-8")
                failed = process.returncode != 0
            except subprocess.TimeoutExpired as expired:
                logs = str(expired.stdout or "") + str(expired.stderr or "")
                payload, failed = "", True
            if not payload:
                reason = f"Task timed out after {self.timeout} seconds" if not logs else logs.strip()[-500:]
                payload = json.dumps({"errorMessage": reason, "errorType": "Runtime.ExitError"})
        finally:
            os.unlink(result_path)
        self.logs_backend.ensure_log_group(self.logs_group_name)
        self.save_logs(logs or "(no output)")
        return payload, failed, logs

    LambdaFunction._invoke_lambda = invoke_in_subprocess


# 3. CloudFormation change sets -------------------------------------------------------------
def rebuild_stack_outputs_after_change_sets() -> None:
    """`cdk deploy` (which deploys with change sets) sees outputs and exports, and can redeploy.

    moto's ExecuteChangeSet updates the resources but keeps the outputs of the template the stack
    had before (none, for a new stack), never registers exports, and gives stacks made by
    CreateChangeSet no view of other stacks' exports (Fn::ImportValue fails).
    """
    from moto.cloudformation.models import CloudFormationBackend

    original_create = CloudFormationBackend.create_change_set
    original_execute = CloudFormationBackend.execute_change_set

    def create_change_set(self: CloudFormationBackend, *args: Any, **kwargs: Any) -> tuple[str, str]:
        change_set_id, stack_id = original_create(self, *args, **kwargs)
        stack = self.stacks[stack_id]
        stack.cross_stack_resources = self.exports
        stack.resource_map.cross_stack_resources = self.exports
        return change_set_id, stack_id

    def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        original_execute(self, change_set_name, stack_name)
        change_set = self.describe_change_set(change_set_name)
        stack = self.stacks[change_set.stack_id]
        for export in stack.exports:
            self.exports.pop(export.name, None)
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        stack.output_map = stack._create_output_map()
        for export in stack.exports:
            self.exports[export.name] = export

    CloudFormationBackend.create_change_set = create_change_set
    CloudFormationBackend.execute_change_set = execute_change_set


def keep_previous_ssm_parameter_values_on_update() -> None:
    """A stack update that reuses an SSM-typed parameter's previous value (CDK's BootstrapVersion) works.

    For UsePreviousValue moto passes the previous *resolved* value ("30") where it expects the
    SSM parameter's name, looks "30" up in SSM and crashes on None. A value that names no SSM
    parameter is taken as that already-resolved value.
    """
    from moto.cloudformation.parsing import ResourceMap
    from moto.ssm.models import ssm_backends

    original_parse = ResourceMap.parse_ssm_parameter

    def parse_ssm_parameter(self: ResourceMap, value: str, value_type: str) -> Any:
        if ssm_backends[self._account_id][self._region_name].get_parameter(value) is None:
            return value
        return original_parse(self, value, value_type)

    ResourceMap.parse_ssm_parameter = parse_ssm_parameter


def find_change_sets_by_stack_and_name() -> None:
    """A change set named with its stack is that stack's change set (CDK reuses one name for all).

    moto looks change sets up by name alone, ignoring StackName: with two stacks deployed, the CDK
    CLI's `cdk-deploy-change-set` of one stack is described, executed or deleted in place of the
    other's, and the second deploy fails with "Stack with id cdk-deploy-change-set does not exist".
    """
    from moto.cloudformation.exceptions import CloudFormationError
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import EmptyResult

    def scoped(method_name: str) -> None:
        original = getattr(CloudFormationResponse, method_name)

        def method(self: CloudFormationResponse) -> Any:
            name, stack = self._get_param("ChangeSetName"), self._get_param("StackName")
            if name and stack and not str(name).startswith("arn:"):
                candidates = [cs for cs in self.cloudformation_backend.change_sets.values()
                              if cs.change_set_name == name and stack in (cs.stack_name, cs.stack_id)]
                if not candidates:
                    if method_name == "delete_change_set":
                        return EmptyResult()  # the CLI deletes "if it exists"
                    raise CloudFormationError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist")
                change_set_id = max(candidates, key=lambda cs: cs.creation_time).change_set_id
                unscoped_get_param = self._get_param
                self._get_param = lambda key, if_none=None: (  # type: ignore[method-assign]
                    change_set_id if key == "ChangeSetName" else unscoped_get_param(key, if_none))
            return original(self)

        setattr(CloudFormationResponse, method_name, method)

    for method_name in ("describe_change_set", "execute_change_set", "delete_change_set"):
        scoped(method_name)


def name_unnamed_ecr_repositories_in_lowercase() -> None:
    """An ECR repository without RepositoryName deploys: its generated name is lowercase.

    moto names unnamed resources `<stack>-<LogicalId>-<suffix>`, keeping the logical ID's capitals,
    which ECR's name rule rejects. CloudFormation generates lowercase repository names.
    """
    from moto.cloudformation import parsing

    original = parsing.generate_resource_name

    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        name = original(resource_type, stack_name, logical_id)
        return name.lower() if resource_type == "AWS::ECR::Repository" else name

    parsing.generate_resource_name = generate_resource_name


def accept_tagged_kms_keys_from_cloudformation() -> None:
    """A KMS key with Tags in its template deploys (every resource here carries CER=1).

    CloudFormation writes tags as Key/Value; moto hands them to the KMS API, which spells them
    TagKey/TagValue, and fails with KeyError. The key policy, a JSON object in the template, is
    stored as the JSON string the API returns.
    """
    from moto.kms.models import Key

    original_create = Key.create_from_cloudformation_json.__func__

    def create(cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Any:
        template = copy.deepcopy(cloudformation_json)
        properties = template["Properties"]
        properties["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags", [])]
        if not isinstance(properties.get("KeyPolicy"), str):
            properties["KeyPolicy"] = json.dumps(properties.get("KeyPolicy"))
        return original_create(cls, resource_name, template, *args, **kwargs)

    Key.create_from_cloudformation_json = classmethod(create)


# 4. EventBridge and S3 ---------------------------------------------------------------------
SCHEDULED_EVENT = ("aws.events", "Scheduled Event")  # (source, detail-type) of a schedule's firing
_ASYNC_LAMBDA_CONCURRENCY = 4


def deliver_eventbridge_events_to_state_machines_topics_and_functions() -> None:
    """A rule whose target is a state machine starts an execution, an SNS topic gets a message, a
    Lambda function is invoked (asynchronously, as EventBridge does: PutEvents never waits for it);
    each with the (transformed) event.

    moto raises NotImplementedError for any target but logs, archives, SQS, buses and API
    destinations (PutEvents answered HTTP 500 for an event matching a rule with a Lambda target).
    Input, InputPath ($ or $.detail...) and InputTransformer are honoured.
    """
    from moto.awslambda.models import lambda_backends
    from moto.events.models import Rule
    from moto.sns.models import sns_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    original_send = Rule.send_to_targets
    handled_services = ("states", "sns", "lambda")

    def target_input(target: dict[str, Any], event: dict[str, Any]) -> str:
        if "Input" in target:
            return str(target["Input"])
        if "InputTransformer" in target:
            transformer = target["InputTransformer"]
            return render_input_template(transformer["InputTemplate"], transformer.get("InputPathsMap", {}), event)
        selected: Any = event
        for part in target.get("InputPath", "$").removeprefix("$").strip(".").split("."):
            selected = selected[part] if part else selected
        return json.dumps(selected)

    # Asynchronous invocations queue up, a few run at once: a burst of events must not start a
    # Python process for each at the same time on a small machine.
    running_invocations = threading.BoundedSemaphore(_ASYNC_LAMBDA_CONCURRENCY)

    def invoke_function(arn: str, payload: str) -> None:
        _, _, _, region, account = arn.split(":")[:5]
        with running_invocations:
            try:
                function = lambda_backends[account][region].get_function(arn)
                function.invoke(payload, {"x-amz-invocation-type": "Event"}, {})
            except Exception as error:  # noqa: BLE001 - asynchronous: reported in the emulator's log
                print(f"emulator: EventBridge could not invoke {arn}: {error}", flush=True)

    def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        handled = [t for t in self.targets if t["Arn"].split(":")[2] in handled_services]
        event = dict(original_event)
        if isinstance(event.get("time"), (int, float)):
            event["time"] = datetime.utcfromtimestamp(event["time"]).strftime("%Y-%m-%dT%H:%M:%SZ")
        for target in handled:
            arn = target["Arn"]
            _, _, service, region, account = arn.split(":")[:5]
            if service == "states":
                stepfunctions_parser_backends[account][region].start_execution(
                    arn, execution_input=target_input(target, event))
            elif service == "sns":
                sns_backends[account][region].publish(message=target_input(target, event), arn=arn)
            else:
                threading.Thread(target=invoke_function, args=(arn, target_input(target, event)),
                                 name=f"eventbridge-{self.name}", daemon=True).start()
        if len(handled) < len(self.targets):
            others = copy.copy(self)
            others.targets = [t for t in self.targets if t not in handled]
            original_send(others, original_event, transform_input)

    Rule.send_to_targets = send_to_targets


def render_input_template(template: str, paths: dict[str, str], event: dict[str, Any]) -> str:
    """An InputTransformer's output, as EventBridge renders it (moto's parser leaves strings unquoted).

    A placeholder inside a JSON string is replaced by the value's text; elsewhere by the value as JSON
    (a string gets its quotes). A path that selects nothing gives null.
    """
    from jsonpath_ng.ext import parse as parse_json_path

    values: dict[str, Any] = {"aws.events.event.json": event}
    for name, path in paths.items():
        found = parse_json_path(path).find(event)
        values[name] = found[0].value if found else None
    rendered, position = [], 0
    for placeholder in re.finditer(r"<([A-Za-z0-9_.\-]+)>", template):
        if placeholder.group(1) not in values:
            continue
        before = template[position:placeholder.start()]
        rendered.append(before)
        value = values[placeholder.group(1)]
        in_string = len(re.findall(r'(?<!\\)"', template[:placeholder.start()])) % 2 == 1
        if in_string:
            rendered.append(json.dumps(value if isinstance(value, str) else json.dumps(value))[1:-1])
        else:
            rendered.append(json.dumps(value))
        position = placeholder.end()
    rendered.append(template[position:])
    return "".join(rendered)


def match_scheduled_rules_only_to_their_own_firings() -> None:
    """A rule with a ScheduleExpression receives only its own firings, which can be sent at will.

    moto has no pattern for such a rule, so it matched EVERY event put on the bus (an image push
    started the scheduled training too), and it never fires schedules. Here a scheduled rule
    receives only a "Scheduled Event" (source aws.events) naming the rule's ARN in its resources:
    the event EventBridge sends when the schedule fires. To fire a schedule now, put that event
    (emulator.scheduled_event_entry(rule_arn)) with PutEvents.
    """
    from moto.events.models import Rule

    original_send = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if self.scheduled_expression:
            firing = (original_event.get("source"), original_event.get("detail-type")) == SCHEDULED_EVENT
            if not firing or self.arn not in original_event.get("resources", []) or self.state != "ENABLED":
                return
        original_send(self, original_event, transform_input)

    Rule.send_to_targets = send_to_targets


def spell_s3_events_like_aws() -> None:
    """S3's "Object Created" events carry `detail.object.etag` and an event id of their own.

    moto spells the field `eTag` (AWS's S3 EventBridge events spell it `etag`) and sends every S3
    event with the same fixed id. The S3 event being sent is marked per thread, so events other
    callers put meanwhile are left as they are.
    """
    from moto.events.models import Rule
    from moto.s3 import notifications

    original_send_s3_event = notifications._send_event_bridge_message
    original_send = Rule.send_to_targets
    sending = threading.local()

    def send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        sending.event_id = str(uuid.uuid4())
        try:
            original_send_s3_event(account_id, bucket, event_name, key)
        finally:
            sending.event_id = None

    def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
        event_id = getattr(sending, "event_id", None)
        if event_id is not None:
            original_event = copy.deepcopy(original_event)
            original_event["id"] = event_id
            s3_object = original_event.get("detail", {}).get("object", {})
            if "eTag" in s3_object:
                s3_object["etag"] = s3_object.pop("eTag")
        original_send(self, original_event, transform_input)

    notifications._send_event_bridge_message = send_event_bridge_message
    Rule.send_to_targets = send_to_targets


def apply_bucket_versioning_from_cloudformation() -> None:
    """A bucket whose template says VersioningConfiguration.Status Enabled (or Suspended) has it.

    moto's CloudFormation drops VersioningConfiguration: the data bucket, declared versioned, gave
    no VersionId, so a new version of a request file could not be told from the old one.
    """
    def apply(bucket: Any, properties: dict[str, Any]) -> None:
        status = properties.get("VersioningConfiguration", {}).get("Status")
        if status in ("Enabled", "Suspended"):
            bucket.versioning_status = status

    _apply_to_buckets_from_cloudformation(apply)


def apply_bucket_eventbridge_setting_from_cloudformation() -> None:
    """A bucket whose template says NotificationConfiguration.EventBridgeConfiguration sends events.

    moto's CloudFormation ignores the bucket's NotificationConfiguration, so objects put in a
    bucket deployed with `event_bridge_enabled` produced no "Object Created" event.
    """
    def apply(bucket: Any, properties: dict[str, Any]) -> None:
        if "EventBridgeConfiguration" in properties.get("NotificationConfiguration", {}):
            bucket.set_notification_configuration({"EventBridgeConfiguration": {}})

    _apply_to_buckets_from_cloudformation(apply)


def _apply_to_buckets_from_cloudformation(apply: Callable[[Any, dict[str, Any]], None]) -> None:
    """After moto's CloudFormation creates or updates an AWS::S3::Bucket, `apply(bucket, Properties)`."""
    from moto.s3.models import FakeBucket

    original_create = FakeBucket.create_from_cloudformation_json.__func__
    original_update = FakeBucket.update_from_cloudformation_json.__func__

    def create(cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Any:
        bucket = original_create(cls, resource_name, cloudformation_json, *args, **kwargs)
        apply(bucket, cloudformation_json.get("Properties", {}))
        return bucket

    def update(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: Any,
               *args: Any, **kwargs: Any) -> Any:
        bucket = original_update(cls, original_resource, new_resource_name, cloudformation_json, *args, **kwargs)
        apply(bucket, cloudformation_json.get("Properties", {}))
        return bucket

    FakeBucket.create_from_cloudformation_json = classmethod(create)
    FakeBucket.update_from_cloudformation_json = classmethod(update)


# 5. SageMaker ------------------------------------------------------------------------------
def give_training_jobs_a_lifecycle(endpoint: str) -> None:
    """Training jobs run (see emulator/training_jobs.py): statuses, artifact, logs, StopTrainingJob.

    moto's jobs are Completed at once, drop most request fields, overwrite a job of the same name
    and have no StopTrainingJob. Requests are checked against botocore's model first (SageMaker
    validates server-side; Step Functions' client sends without client-side validation).
    """
    from moto.sagemaker.exceptions import SagemakerClientError
    from moto.sagemaker.responses import SageMakerResponse
    from moto.core.responses import ActionResult, EmptyResult

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


class _TrainingJobRegistries:
    """One training_jobs.TrainingJobRegistry per account and region, whose jobs leave their traces
    (artifact, logs, state change events) through the emulator's own API at `endpoint`."""

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint
        self._registries: dict[tuple[str, str], training_jobs.TrainingJobRegistry] = {}
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def of(self, response: Any) -> training_jobs.TrainingJobRegistry:
        """The registry of the SageMakerResponse's account and region."""
        key = (response.current_account, response.region)
        with self._lock:
            if key not in self._registries:
                prefix = f"arn:aws:sagemaker:{response.region}:{response.current_account}:training-job/"
                region = response.region
                registry = training_jobs.TrainingJobRegistry(prefix, lambda: self._side_effects(region))
                registry.jobs = response.sagemaker_backend.training_jobs  # moto's list, search and tags see them
                self._registries[key] = registry
            return self._registries[key]

    def _client(self, service: str, region: str) -> Any:
        if (service, region) not in self._clients:
            self._clients[(service, region)] = boto3.client(
                service, region_name=region, endpoint_url=self._endpoint,
                config=Config(retries={"max_attempts": 1}), **_DUMMY_CREDENTIALS,
            )
        return self._clients[(service, region)]

    def _side_effects(self, region: str) -> training_jobs.SideEffects:
        def put_object(bucket: str, key: str, body: bytes) -> None:
            self._client("s3", region).put_object(Bucket=bucket, Key=key, Body=body)

        def put_log_lines(group: str, stream: str, lines: list[str]) -> None:
            logs = self._client("logs", region)
            for create in (lambda: logs.create_log_group(logGroupName=group),
                           lambda: logs.create_log_stream(logGroupName=group, logStreamName=stream)):
                try:
                    create()
                except logs.exceptions.ResourceAlreadyExistsException:
                    pass
            now = int(datetime.now().timestamp() * 1000)
            logs.put_log_events(logGroupName=group, logStreamName=stream,
                                logEvents=[{"timestamp": now, "message": line} for line in lines])

        def put_state_change(described: dict[str, Any]) -> None:
            detail = json.dumps(described, default=lambda t: int(t.timestamp() * 1000))
            self._client("events", region).put_events(Entries=[{
                "Source": "aws.sagemaker", "DetailType": "SageMaker Training Job State Change",
                "Resources": [described["TrainingJobArn"]], "Detail": detail}])

        return training_jobs.SideEffects(put_object=put_object, put_log_lines=put_log_lines,
                                         put_state_change=put_state_change)


def run_create_training_job_sync_in_step_functions() -> None:
    """`arn:aws:states:::sagemaker:createTrainingJob.sync` works like AWS's optimised integration.

    moto forwards SageMaker tasks only request-response (and refuses `.sync` when the definition
    is created). Here: create the job, poll DescribeTrainingJob until it ends, return its output
    (timestamps in epoch milliseconds, as Step Functions gives them); Failed or Stopped fail the
    task with States.TaskFailed and the DescribeTrainingJob output as Cause; an execution stopped
    (or a task timed out) while waiting stops the job. SageMaker API errors are named as Step
    Functions names them (after the AWS Java SDK's exception classes): an error the operation
    models gets its own name (ResourceInUse -> `SageMaker.ResourceInUseException`, likewise
    ResourceLimitExceeded and ResourceNotFound), any other one (ValidationException, throttling)
    is `SageMaker.AmazonSageMakerException`; the cause carries the SageMaker error code.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory as task_factory
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_factory as factory,
    )

    sagemaker_task = _sagemaker_task_class()
    original_factory = factory.state_task_service_for

    def state_task_service_for(service_name: str) -> Any:
        return sagemaker_task() if service_name == "sagemaker" else original_factory(service_name)

    factory.state_task_service_for = state_task_service_for
    task_factory.state_task_service_for = state_task_service_for  # imported there by name


_SAGEMAKER_MODEL = boto3.session.Session()._session.get_service_model("sagemaker")


def _step_functions_error_name(boto_action: str, code: str) -> str:
    """The error name Step Functions gives a SageMaker API error (see the adapter's docstring)."""
    operation = _SAGEMAKER_MODEL.operation_model(
        next(name for name in _SAGEMAKER_MODEL.operation_names if xform_name(name) == boto_action))
    if code in {shape.name for shape in operation.error_shapes}:
        return f"SageMaker.{code}" + ("" if code.endswith("Exception") else "Exception")
    return "SageMaker.AmazonSageMakerException"


def _step_functions_json(value: Any) -> Any:
    """A boto3 response as Step Functions passes it on: epoch-millisecond times, no ResponseMetadata."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _step_functions_json(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_step_functions_json(v) for v in value]
    return value


def _sagemaker_task_class() -> type:
    """The Step Functions task state for `arn:aws:states:::sagemaker:*`: request-response, and .sync
    for createTrainingJob (moto's interpreter classes are imported only in the server process)."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    class SageMakerTask(StateTaskServiceCallback):
        def __init__(self) -> None:
            super().__init__({ResourceCondition.WaitForTaskToken, ResourceCondition.Sync})

        def _validate_service_integration_is_supported(self) -> None:
            if self.resource.condition == ResourceCondition.Sync and self.resource.api_action.lower() != "createtrainingjob":
                raise ValueError(f"The emulator runs .sync only for createTrainingJob: {self.resource.resource_arn}")

        def _client(self, region: str, credentials: Any) -> Any:
            return boto_client_for(region=region, service="sagemaker", state_credentials=credentials)

        def _from_error(self, env: Any, ex: Exception) -> Any:
            if not isinstance(ex, ClientError):
                return super()._from_error(env=env, ex=ex)
            error = _step_functions_error_name(self._get_boto_service_action(), ex.response["Error"]["Code"])
            meta = ex.response["ResponseMetadata"]
            cause = (f"{ex.response['Error']['Message']} (Service: AmazonSageMaker; Status Code: "
                     f"{meta['HTTPStatusCode']}; Error Code: {ex.response['Error']['Code']}; "
                     f"Request ID: {meta.get('RequestId')}; Proxy: null)")
            return FailureEvent(
                env=env, error_name=CustomErrorName(error), event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
                    error=error, cause=cause, resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type())),
            )

        def _eval_service_task(self, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                               state_credentials: Any) -> None:
            sagemaker = self._client(resource_runtime_part.region, state_credentials)
            response = getattr(sagemaker, self._get_boto_service_action())(**normalised_parameters)
            env.stack.append(_step_functions_json(response))

        def _build_sync_resolver(self, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                                 state_credentials: Any) -> Callable[[], Any]:
            sagemaker = self._client(resource_runtime_part.region, state_credentials)
            env.stack.pop()  # CreateTrainingJob's own output: the .sync result replaces it
            name = normalised_parameters["TrainingJobName"]

            def resolve() -> dict[str, Any] | None:
                described = _step_functions_json(sagemaker.describe_training_job(TrainingJobName=name))
                if described["TrainingJobStatus"] == "Completed":
                    return described
                if described["TrainingJobStatus"] in ("Failed", "Stopped"):
                    error = StatesErrorNameType.StatesTaskFailed
                    raise FailureEventException(FailureEvent(
                        env=env, error_name=StatesErrorName(typ=error), event_type=HistoryEventType.TaskFailed,
                        event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
                            resource=self._get_sfn_resource(), resourceType=self._get_sfn_resource_type(),
                            error=error.to_name(), cause=to_json_str(described))),
                    ))
                return None

            self._stop_job = lambda: sagemaker.stop_training_job(TrainingJobName=name)
            return resolve

        def _eval_sync(self, env: Any, sync_resolver: Any, timeout_seconds: Any, callback_endpoint: Any,
                       heartbeat_endpoint: Any) -> Any:
            outcome = super()._eval_sync(env, sync_resolver, timeout_seconds, callback_endpoint, heartbeat_endpoint)
            if outcome is None and not env.is_running():
                try:
                    self._stop_job()
                except ClientError:
                    pass  # it ended meanwhile
            return outcome


    return SageMakerTask


__all__ = ["install"]
