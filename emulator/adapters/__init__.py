"""What moto 5.2.5 lacks to run this platform, each fixed by one small adapter.

Each adapter is a function named for what it makes work, in the module of the service it fixes;
`install(endpoint, work_dir)` applies them all, in the emulator's server process, before it serves.
Each has a test in tests/integration/test_adapters_<module>.py: after a moto upgrade, the failing
test names the adapter to look at again.

1. Step Functions (stepfunctions.py): run_state_machines_created_by_cloudformation,
   name_executions_started_without_a_name, evaluate_jsonata_with_jsonata_python,
   run_create_training_job_sync_in_step_functions (and createHyperParameterTuningJob.sync),
   describe_executions_as_aws_does, page_execution_histories_as_aws_does, stop_executions_with_their_error_and_cause,
   publish_step_functions_execution_metrics
2. Lambda (lambda_functions.py): run_python_lambdas_in_reused_execution_environments,
   honour_function_logging_configuration
3. CloudFormation (cloudformation.py): rebuild_stack_outputs_after_change_sets,
   find_change_sets_by_stack_and_name, keep_previous_ssm_parameter_values_on_update,
   accept_tagged_kms_keys_from_cloudformation, name_unnamed_ecr_repositories_in_lowercase,
   create_alarms_and_metric_filters_from_cloudformation
4. EventBridge (eventbridge.py): deliver_eventbridge_events_to_state_machines_topics_and_functions,
   match_scheduled_rules_only_to_their_own_firings
   S3 (s3.py): spell_s3_events_like_aws, apply_bucket_eventbridge_setting_from_cloudformation,
   apply_bucket_versioning_from_cloudformation, apply_bucket_key_setting_from_cloudformation
5. SageMaker (sagemaker.py): give_training_jobs_a_lifecycle, list_training_jobs_as_sagemaker_does;
   (sagemaker_tuning.py): run_hyperparameter_tuning_jobs
6. CloudWatch Logs (logs.py): find_log_groups_by_name_or_arn, filter_log_events_as_aws_does,
   turn_log_events_into_metrics_with_metric_filters
   CloudWatch (cloudwatch.py): evaluate_alarms_and_notify_their_actions
7. Principals (principals.py): sign_state_machine_calls_with_their_role (the call log's principals;
   Lambda functions and training jobs get their roles' keys from the adapters above)

moto itself is imported by the adapters when they are installed, not when this package is imported.
"""

from __future__ import annotations

from pathlib import Path

from emulator.adapters.cloudformation import (
    accept_tagged_kms_keys_from_cloudformation,
    create_alarms_and_metric_filters_from_cloudformation,
    find_change_sets_by_stack_and_name,
    keep_previous_ssm_parameter_values_on_update,
    name_unnamed_ecr_repositories_in_lowercase,
    rebuild_stack_outputs_after_change_sets,
)
from emulator.adapters.cloudwatch import evaluate_alarms_and_notify_their_actions
from emulator.adapters.eventbridge import (
    deliver_eventbridge_events_to_state_machines_topics_and_functions,
    match_scheduled_rules_only_to_their_own_firings,
)
from emulator.adapters.lambda_functions import (
    honour_function_logging_configuration,
    run_python_lambdas_in_reused_execution_environments,
)
from emulator.adapters.logs import (
    filter_log_events_as_aws_does,
    find_log_groups_by_name_or_arn,
    turn_log_events_into_metrics_with_metric_filters,
)
from emulator.adapters.principals import sign_state_machine_calls_with_their_role
from emulator.adapters.s3 import (
    apply_bucket_eventbridge_setting_from_cloudformation,
    apply_bucket_key_setting_from_cloudformation,
    apply_bucket_versioning_from_cloudformation,
    spell_s3_events_like_aws,
)
from emulator.adapters.sagemaker import give_training_jobs_a_lifecycle, list_training_jobs_as_sagemaker_does
from emulator.adapters.sagemaker_tuning import run_hyperparameter_tuning_jobs
from emulator.adapters.stepfunctions import (
    describe_executions_as_aws_does,
    evaluate_jsonata_with_jsonata_python,
    name_executions_started_without_a_name,
    page_execution_histories_as_aws_does,
    publish_step_functions_execution_metrics,
    run_create_training_job_sync_in_step_functions,
    run_state_machines_created_by_cloudformation,
    stop_executions_with_their_error_and_cause,
)


def install(endpoint: str, work_dir: Path) -> None:
    """Apply every adapter. `endpoint` is the emulator's own URL (http://localhost:PORT); Lambda
    deployment packages are unpacked under `work_dir`.

    The order matters where adapters wrap the same moto method. Three wrap Rule.send_to_targets,
    each around the one installed before it, so the last installed runs first:
    spell_s3_events_like_aws (rewrites an S3 event) -> match_scheduled_rules_only_to_their_own_firings
    (drops what a scheduled rule must not get) -> deliver_eventbridge_events_to_state_machines_topics_and_functions
    (delivers, handing other targets to moto's own). Installed in another order, a scheduled rule's
    targets or the S3 event's spelling would be wrong. The three bucket adapters each wrap the bucket's
    CloudFormation create/update and are independent of each other.
    """
    run_state_machines_created_by_cloudformation()
    name_executions_started_without_a_name()
    evaluate_jsonata_with_jsonata_python()
    run_python_lambdas_in_reused_execution_environments(endpoint, work_dir / "lambda")
    honour_function_logging_configuration()
    rebuild_stack_outputs_after_change_sets()
    find_change_sets_by_stack_and_name()
    keep_previous_ssm_parameter_values_on_update()
    accept_tagged_kms_keys_from_cloudformation()
    name_unnamed_ecr_repositories_in_lowercase()
    create_alarms_and_metric_filters_from_cloudformation()
    deliver_eventbridge_events_to_state_machines_topics_and_functions()
    match_scheduled_rules_only_to_their_own_firings()
    spell_s3_events_like_aws()
    apply_bucket_eventbridge_setting_from_cloudformation()
    apply_bucket_versioning_from_cloudformation()
    apply_bucket_key_setting_from_cloudformation()
    give_training_jobs_a_lifecycle(endpoint)
    list_training_jobs_as_sagemaker_does()
    run_hyperparameter_tuning_jobs(endpoint)
    run_create_training_job_sync_in_step_functions()
    describe_executions_as_aws_does()
    page_execution_histories_as_aws_does()
    stop_executions_with_their_error_and_cause()
    publish_step_functions_execution_metrics()
    find_log_groups_by_name_or_arn()
    filter_log_events_as_aws_does()
    turn_log_events_into_metrics_with_metric_filters()
    evaluate_alarms_and_notify_their_actions()
    sign_state_machine_calls_with_their_role()  # last: it re-points the interpreter's imported client factory


__all__ = ["install"]
