"""A deployment's guardrails (the instance types, instance count, run time and warm-pool time a job may ask for)
and capabilities (remote debugging, a private registry's credentials provider, session tag chaining, training
plans: each needs a permission the platform grants only when its setting turns it on).

The settings of the same names (stacks/settings.py) fill them; the stacks give them to the Prepare function in
its environment (`to_environment`), which reads them back here (`from_environment`), the one place that does.
The builder refuses a request outside them before anything is created, naming the field and the setting; IAM
refuses the same on the state machine's role for the limits it has condition keys for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from platform_contract import PrepareEnvironment

from .errors import Problems

# The settings' names, as error messages name them.
ALLOWED_INSTANCE_TYPES = "allowed_instance_types"
MAX_INSTANCE_COUNT = "max_instance_count"
MAX_RUN_SECONDS = "max_run_seconds"
MAX_KEEP_ALIVE_SECONDS = "max_keep_alive_seconds"
ALLOW_REMOTE_DEBUG = "allow_remote_debug"
ALLOW_SESSION_TAG_CHAINING = "allow_session_tag_chaining"
CREDENTIALS_PROVIDERS = "training_repository_credentials_providers"
TRAINING_PLANS = "training_plans"
# The Estimator's max_run when the request gives none (sagemaker.estimator.EstimatorBase: one day).
SDK_MAX_RUN = 24 * 60 * 60


@dataclass(frozen=True)
class Guardrails:
    """What a deployment lets a request ask for. The defaults check nothing (no deployment known: `trainctl
    render` without a stack, the tests); a deployed stack always sets every one."""

    allowed_instance_types: tuple[str, ...] = ()  # empty: any type
    max_instance_count: int | None = None
    max_run_seconds: int | None = None
    max_keep_alive_seconds: int | None = None
    allow_remote_debug: bool = True
    allow_session_tag_chaining: bool = True
    credentials_providers: tuple[str, ...] | None = None  # None: any provider
    training_plans: tuple[str, ...] | None = None  # None: any plan

    @property
    def default_max_run(self) -> int:
        """max_run when a request gives none: the SDK's day, or the deployment's limit when that is shorter."""
        return min(SDK_MAX_RUN, self.max_run_seconds or SDK_MAX_RUN)

    def to_environment(self) -> dict[str, str]:
        """The Prepare function's variables (platform_contract.PrepareEnvironment)."""
        return {
            PrepareEnvironment.ALLOWED_INSTANCE_TYPES.value: ",".join(self.allowed_instance_types),
            PrepareEnvironment.MAX_INSTANCE_COUNT.value: _digits(self.max_instance_count),
            PrepareEnvironment.MAX_RUN_SECONDS.value: _digits(self.max_run_seconds),
            PrepareEnvironment.MAX_KEEP_ALIVE_SECONDS.value: _digits(self.max_keep_alive_seconds),
            PrepareEnvironment.ALLOW_REMOTE_DEBUG.value: str(self.allow_remote_debug).lower(),
            PrepareEnvironment.ALLOW_SESSION_TAG_CHAINING.value: str(self.allow_session_tag_chaining).lower(),
            PrepareEnvironment.CREDENTIALS_PROVIDERS.value: ",".join(self.credentials_providers or ()),
            PrepareEnvironment.TRAINING_PLANS.value: ",".join(self.training_plans or ()),
        }

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Guardrails:
        """The inverse of `to_environment`; a variable that is not set checks nothing."""

        def text(name: PrepareEnvironment) -> str | None:
            return environ.get(name.value)

        def number(name: PrepareEnvironment) -> int | None:
            value = (text(name) or "").strip()
            return int(value) if value.isdigit() else None

        def names(name: PrepareEnvironment) -> tuple[str, ...] | None:
            value = text(name)
            return None if value is None else tuple(item.strip() for item in value.split(",") if item.strip())

        return cls(
            allowed_instance_types=names(PrepareEnvironment.ALLOWED_INSTANCE_TYPES) or (),
            max_instance_count=number(PrepareEnvironment.MAX_INSTANCE_COUNT),
            max_run_seconds=number(PrepareEnvironment.MAX_RUN_SECONDS),
            max_keep_alive_seconds=number(PrepareEnvironment.MAX_KEEP_ALIVE_SECONDS),
            allow_remote_debug=text(PrepareEnvironment.ALLOW_REMOTE_DEBUG) != "false",
            allow_session_tag_chaining=text(PrepareEnvironment.ALLOW_SESSION_TAG_CHAINING) != "false",
            credentials_providers=names(PrepareEnvironment.CREDENTIALS_PROVIDERS),
            training_plans=names(PrepareEnvironment.TRAINING_PLANS),
        )


# The platform's defaults (cdk.json): no limits, and no capability turned on.
PLATFORM_DEFAULTS = Guardrails(
    allow_remote_debug=False, allow_session_tag_chaining=False, credentials_providers=(), training_plans=()
)


def _digits(value: int | None) -> str:
    return "" if value is None else str(value)


def check_guardrails(request: Mapping[str, object], guardrails: Guardrails, problems: Problems) -> None:
    """Every member of a CreateTrainingJob request outside the deployment's guardrails and capabilities, named by
    the argument that set it."""
    resources = _member(request, "ResourceConfig")
    _check_cluster(resources, guardrails, problems)
    max_run = _member(request, "StoppingCondition").get("MaxRuntimeInSeconds")
    _check_at_most(problems, "max_run", max_run, guardrails.max_run_seconds, MAX_RUN_SECONDS, "the longest max_run")
    _check_at_most(
        problems,
        "keep_alive_period_in_seconds",
        resources.get("KeepAlivePeriodInSeconds"),
        guardrails.max_keep_alive_seconds,
        MAX_KEEP_ALIVE_SECONDS,
        "the longest warm-pool keep-alive",
    )
    _check_capabilities(request, resources, guardrails, problems)


def _member(request: Mapping[str, object], name: str) -> Mapping[str, object]:
    value = request.get(name)
    return value if isinstance(value, Mapping) else {}


def _check_cluster(resources: Mapping[str, object], guardrails: Guardrails, problems: Problems) -> None:
    """The one type and count, or each instance group's type and count and the groups' total."""
    groups = resources.get("InstanceGroups")
    if not isinstance(groups, list):
        _check_type(problems, "instance_type", resources.get("InstanceType"), guardrails)
        _check_count(problems, "instance_count", resources.get("InstanceCount"), guardrails)
        return
    for index, group in enumerate(groups):
        field = f"instance_groups[{index}]"
        _check_type(problems, f"{field}.instance_type", group.get("InstanceType"), guardrails)
        _check_count(problems, f"{field}.instance_count", group.get("InstanceCount"), guardrails)
    counts = [group.get("InstanceCount") for group in groups]
    total = sum(count for count in counts if isinstance(count, int))
    limit = guardrails.max_instance_count
    if limit is not None and len(groups) > 1 and all(isinstance(c, int) and c <= limit for c in counts):
        _check_at_most(
            problems, "instance_groups", total, limit, MAX_INSTANCE_COUNT, "the most instances a job may use"
        )


def _check_type(problems: Problems, field: str, instance_type: object, guardrails: Guardrails) -> None:
    allowed = guardrails.allowed_instance_types
    if allowed and isinstance(instance_type, str) and instance_type not in allowed:
        problems.add(
            field,
            None,
            f"{instance_type} is not among the allowed instance types "
            f"(setting {ALLOWED_INSTANCE_TYPES}: {', '.join(allowed)})",
        )


def _check_count(problems: Problems, field: str, count: object, guardrails: Guardrails) -> None:
    _check_at_most(
        problems, field, count, guardrails.max_instance_count, MAX_INSTANCE_COUNT, "the most instances a job may use"
    )


def _check_at_most(problems: Problems, field: str, value: object, limit: int | None, setting: str, what: str) -> None:
    if limit is not None and isinstance(value, int) and value > limit:
        shown = f"{value} in all" if field == "instance_groups" else str(value)
        problems.add(field, None, f"{shown} is above {what} (setting {setting}: {limit})")


def _check_capabilities(
    request: Mapping[str, object], resources: Mapping[str, object], guardrails: Guardrails, problems: Problems
) -> None:
    """Each capability the request uses must be one the deployment turned on (its permission is granted then)."""
    if _member(request, "RemoteDebugConfig").get("EnableRemoteDebug") is True and not guardrails.allow_remote_debug:
        problems.add(
            "enable_remote_debug",
            None,
            f"true needs remote debugging, which this deployment does not allow (setting {ALLOW_REMOTE_DEBUG}: "
            "false): the execution role has no Systems Manager channel permissions",
        )
    chaining = _member(request, "SessionChainingConfig").get("EnableSessionTagChaining")
    if chaining is True and not guardrails.allow_session_tag_chaining:
        problems.add(
            "enable_session_tag_chaining",
            None,
            f"true needs session tag chaining, which this deployment does not allow (setting "
            f"{ALLOW_SESSION_TAG_CHAINING}: false): the execution role's trust policy does not let SageMaker tag "
            "its sessions",
        )
    image_config = _member(_member(request, "AlgorithmSpecification"), "TrainingImageConfig")
    provider = _member(image_config, "TrainingRepositoryAuthConfig").get("TrainingRepositoryCredentialsProviderArn")
    _check_listed(
        problems,
        "training_repository_credentials_provider_arn",
        provider,
        guardrails.credentials_providers,
        CREDENTIALS_PROVIDERS,
        "the credentials providers the execution role may invoke",
    )
    _check_listed(
        problems,
        "training_plan",
        resources.get("TrainingPlanArn"),
        guardrails.training_plans,
        TRAINING_PLANS,
        "the training plans the workflow may use",
    )


def _check_listed(
    problems: Problems, field: str, value: object, listed: tuple[str, ...] | None, setting: str, what: str
) -> None:
    if listed is None or not isinstance(value, str) or value in listed:
        return
    problems.add(field, None, f"{value} is not among {what} (setting {setting}: {', '.join(listed) or 'none'})")
