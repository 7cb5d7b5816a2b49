"""Script mode with local code through trainctl: `render`/`validate` package it and show where `start` would
upload it, every problem names its field before anything is uploaded, `Platform.start` uploads the archive
and starts the request with its S3 URI, git_config clones with real git (a local repository served through
`url.<path>.insteadOf`). What the archive holds and where it goes, compared with the real SDK:
tests/parity/test_script_code_parity.py."""

from __future__ import annotations

import io
import json
import random
import subprocess
import tarfile
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber

from trainctl import git_checkout, script_code
from trainctl.cli import main
from trainctl.platform import Platform

REGION = "eu-west-1"
ACCOUNT = "123456789012"
NOW = "2024-05-06T07:08:09.010Z"
JOB = "gan-2024-05-06-07-08-09-010"
BASE = {
    "image_uri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/gan:latest",
    "role": f"arn:aws:iam::{ACCOUNT}:role/r",
    "instance_count": 1,
    "instance_type": "ml.m5.xlarge",
    "inputs": "s3://data/train",
}
SCRIPT = {"entry_point": "train.py", "source_dir": "src", "dependencies": ["common"]}


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project as a notebook user has it: the script's directory, a shared library, the input file."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("print('training')\n")
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "losses.py").write_text("def gan_loss(): ...\n")
    return tmp_path


def write_input(directory: Path, **fields: object) -> str:
    path = directory / "input.json"
    path.write_text(json.dumps({**BASE, **SCRIPT, **fields}))
    return str(path)


def hyperparameter(request: dict, name: str) -> object:
    return json.loads(request["HyperParameters"][name])


def problems(err: str) -> list[str]:
    return [line.strip() for line in err.splitlines() if line.startswith("  ")]


def test_render_shows_the_request_with_the_s3_uri_start_would_upload_to(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir("/")  # paths are from the input file's directory, not the current one
    code, out, err = run(["render", write_input(project), "--now", NOW])
    assert code == 0, err
    request = json.loads(out)
    uri = f"s3://stack-artifacts-bucket/{JOB}/source/sourcedir.tar.gz"
    assert request["TrainingJobName"] == JOB
    assert hyperparameter(request, "sagemaker_submit_directory") == uri
    assert hyperparameter(request, "sagemaker_program") == "train.py"
    assert hyperparameter(request, "sagemaker_job_name") == JOB
    assert "note: render uploads nothing: `start` would upload the code (2 files, " in err
    assert err.rstrip().endswith(f"to {uri}")


def test_code_location_and_output_path_place_the_archive_as_the_sdk_does(project: Path) -> None:
    _, out, _ = run(["render", write_input(project, code_location="s3://team-code/gan/"), "--now", NOW])
    assert hyperparameter(json.loads(out), "sagemaker_submit_directory") == (
        f"s3://team-code/gan/{JOB}/source/sourcedir.tar.gz"
    )
    _, out, _ = run(["render", write_input(project, output_path="s3://models/gan", job_name="gan-7"), "--now", NOW])
    # The SDK's place without code_location: the output path's bucket, at its root.
    assert hyperparameter(json.loads(out), "sagemaker_submit_directory") == "s3://models/gan-7/source/sourcedir.tar.gz"


def test_an_entry_point_alone_is_packaged_and_run_by_its_name(project: Path) -> None:
    source = write_input(project, entry_point="src/train.py", source_dir=None, dependencies=None)
    data = {key: value for key, value in json.loads(Path(source).read_text()).items() if value is not None}
    Path(source).write_text(json.dumps(data))
    code, out, err = run(["render", source, "--now", NOW])
    assert code == 0, err
    assert hyperparameter(json.loads(out), "sagemaker_program") == "train.py"
    assert "(1 file, " in err


def test_every_problem_of_local_code_names_its_field_and_nothing_is_rendered(project: Path) -> None:
    code, out, err = run(
        ["render", write_input(project, source_dir="scr", dependencies=["common", "missing"], max_run=0)]
    )
    assert (code, out) == (2, "")
    base = project.resolve()
    assert problems(err) == [
        "max_run: must be between 1 and 2147483647 (CreateTrainingJob StoppingCondition.MaxRuntimeInSeconds) (got 0)",
        f"dependencies[1]: no such file or directory (relative paths are from {base}) (got 'missing')",
        f"source_dir: no such directory (relative paths are from {base}) (got 'scr')",
    ]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"entry_point": "missing.py"}, "entry_point: no such file in source_dir 'src' (got 'missing.py')"),
        (
            {"entry_point": "../train.py"},
            "entry_point: must be a file at the root of source_dir (the SDK's rule), not a path: "
            "make the script's directory the source_dir (got '../train.py')",
        ),
        ({"entry_point": None}, "entry_point: is required with source_dir: the script to run, in it"),
        (
            {"entry_point": None, "source_dir": None},
            "entry_point: is required with dependencies or git_config: the script to run",
        ),
    ],
)
def test_an_entry_point_not_inside_source_dir_is_an_error_naming_it(project: Path, fields: dict, expected: str) -> None:
    source = Path(write_input(project))
    data = {key: value for key, value in {**json.loads(source.read_text()), **fields}.items() if value is not None}
    source.write_text(json.dumps(data))
    code, _, err = run(["render", str(source)])
    assert code == 2 and problems(err) == [expected]


def test_two_archive_members_of_one_name_are_an_error(project: Path) -> None:
    (project / "src" / "common").mkdir()
    code, _, err = run(["render", write_input(project)])
    assert code == 2
    assert problems(err) == [
        f"dependencies[0]: its name 'common' is already at the archive's root: rename one of them "
        f"(got '{project / 'common'}')"
    ]


def test_a_too_large_archive_is_an_error_naming_the_field(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "src" / "data.bin").write_bytes(random.Random(0).randbytes(2 * 1024 * 1024))  # do not compress
    monkeypatch.setattr(script_code, "MAX_ARCHIVE_MEGABYTES", 1)
    code, _, err = run(["validate", write_input(project)])
    assert code == 2
    [problem] = problems(err)
    assert problem.startswith("source_dir: packages into 2.0 MiB, over the 1 MiB trainctl uploads as code")


def test_a_file_that_cannot_be_read_is_an_error_naming_the_field(project: Path) -> None:
    (project / "src" / "gone.py").symlink_to(project / "nowhere.py")  # a dangling link: tar follows links
    code, _, err = run(["validate", write_input(project)])
    assert code == 2 and "Traceback" not in err
    [problem] = problems(err)
    assert problem.startswith("source_dir: cannot be packaged: [Errno 2] No such file or directory")


def test_a_tuning_request_is_left_to_the_builder(project: Path) -> None:
    tuner = {
        "objective_metric_name": "loss",
        "hyperparameter_ranges": {"lr": {"type": "Continuous", "min_value": 0.1, "max_value": 0.2}},
    }
    assert not script_code.has_local_code({**BASE, **SCRIPT, "tuner": tuner})
    assert script_code.has_local_code({**BASE, **SCRIPT})
    assert not script_code.has_local_code(
        {**BASE, "entry_point": "train.py", "source_dir": "s3://code/sourcedir.tar.gz"}
    )


# -- git_config ---------------------------------------------------------------------------------------------

REPOSITORY = "https://git.example.com/team/gan-training.git"


@pytest.fixture
def repository(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project committed to a repository on branch `training`, which git clones for REPOSITORY."""

    def git(*arguments: str) -> None:
        subprocess.run(["git", *arguments], cwd=project, check=True, capture_output=True)

    git("init", "-q", "-b", "training")
    git("add", "src", "common")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "code")
    config = project / "gitconfig"
    config.write_text(f'[url "{project}/.git"]\n\tinsteadOf = {REPOSITORY}\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return project


def test_git_config_is_cloned_and_packaged_from_the_repository(repository: Path, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # no src/ here: the paths are the repository's
    code, out, err = run(
        ["render", write_input(elsewhere, git_config={"repo": REPOSITORY, "branch": "training"}), "--now", NOW]
    )
    assert code == 0, err
    assert hyperparameter(json.loads(out), "sagemaker_program") == "train.py"
    assert "(2 files, " in err and "git_config" not in out


def test_without_git_a_git_config_is_an_error_saying_git_is_needed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(project))  # no git on it
    code, _, err = run(["render", write_input(project, git_config={"repo": REPOSITORY})])
    assert code == 2
    assert problems(err) == [
        "git_config: needs git, which is not installed here: install git, or package the code yourself "
        "(git archive) and give a local source_dir"
    ]


def test_a_failed_clone_is_an_error_without_the_credentials(project: Path) -> None:
    # Nothing listens on port 9 of this machine: git fails at once, naming the URL it was given.
    git_config = {"repo": "https://127.0.0.1:9/team/other.git", "token": "ghp_secret123"}
    code, _, err = run(["render", write_input(project, git_config=git_config)])
    assert code == 2
    [problem] = problems(err)
    assert problem.startswith("git_config: git could not clone the repository: fatal: unable to access ")
    assert "ghp_secret123" not in err
    said = "fatal: unable to access 'https://ghp_secret123@host/team/x.git/': Could not resolve host"
    assert (
        git_checkout.redacted(said)
        == "fatal: unable to access 'https://<credentials>@host/team/x.git/': Could not resolve host"
    )


def test_a_git_config_the_sdk_refuses_is_an_error_that_does_not_show_it(project: Path) -> None:
    code, _, err = run(["render", write_input(project, git_config={"branch": 5, "password": "hunter2"})])
    assert code == 2
    assert problems(err) == [
        "git_config.branch: must be a string",
        "git_config.repo: is required: the URL of the repository to clone",
    ]
    code, _, err = run(["render", write_input(project, git_config={"repo": "file:///srv/repo.git"})])
    assert problems(err) == [
        "git_config.repo: must be an https://, git@ or ssh:// URL with at most one '@' (the SDK's rule)"
    ]
    assert "hunter2" not in err


@pytest.mark.parametrize(
    "git_config",
    [
        {"repo": "https://github.com/team/gan.git", "token": "tok"},
        {"repo": "https://github.com/team/gan.git", "username": "ann", "password": "p a+ss/"},
        {"repo": "https://github.com/team/gan.git", "2FA_enabled": True, "username": "ann", "password": "p"},
        {"repo": "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/gan", "username": "ann", "password": "p"},
        {"repo": "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/gan", "token": "tok"},
        {"repo": "git@github.com:team/gan.git", "token": "tok"},
    ],
)
def test_the_url_cloned_carries_the_credentials_as_the_sdk_puts_them(git_config: dict, monkeypatch) -> None:
    pytest.importorskip("sagemaker")
    from sagemaker import git_utils

    cloned: list[str] = []
    monkeypatch.setattr(git_utils, "_run_clone_command", lambda url, _: cloned.append(url))
    git_utils._generate_and_run_clone_command(dict(git_config), "/nowhere")
    assert git_checkout.clone_url(git_config) == cloned[0]


# -- Platform.start -----------------------------------------------------------------------------------------

ENVIRONMENT = {
    "DEFAULT_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/platform-execution",
    "DEFAULT_IMAGE_URI": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mltrain:latest",
    "DEFAULT_OUTPUT_PATH": "s3://mltrain-artifacts/",
    "READABLE_BUCKETS": "mltrain-artifacts,data",
    "WRITABLE_BUCKETS": "mltrain-artifacts",
}
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:TrainingWorkflow"
EXECUTION = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:TrainingWorkflow:run-1"


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> tuple[Platform, dict[str, Stubber]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    platform = Platform(MACHINE, REGION, prepare_function_name="prepare-fn", poll_seconds=0.01)
    clients = {name: boto3.client(name, region_name=REGION) for name in ("lambda", "s3", "stepfunctions")}
    platform._clients.update(clients)
    stubbers = {name: Stubber(client) for name, client in clients.items()}
    for stubber in stubbers.values():
        stubber.activate()
    return platform, stubbers


def test_start_uploads_the_archive_then_starts_the_request_with_its_uri(stubbed, project: Path) -> None:
    platform, stubbers = stubbed
    stubbers["lambda"].add_response(
        "get_function_configuration", {"Environment": {"Variables": ENVIRONMENT}}, {"FunctionName": "prepare-fn"}
    )
    uploaded: dict[str, bytes] = {}

    def keep_body(params: dict, **_: object) -> None:
        uploaded[params["Key"]] = params["Body"].read()
        params["Body"].seek(0)

    started: list[dict] = []
    platform.client("s3").meta.events.register("before-parameter-build.s3.PutObject", keep_body)
    platform.client("stepfunctions").meta.events.register(
        "before-parameter-build.states.StartExecution", lambda params, **_: started.append(json.loads(params["input"]))
    )
    stubbers["s3"].add_response("put_object", {}, {"Bucket": "mltrain-artifacts", "Key": ANY, "Body": ANY})
    stubbers["stepfunctions"].add_response(
        "start_execution", {"executionArn": EXECUTION, "startDate": 0}, {"stateMachineArn": MACHINE, "input": ANY}
    )
    execution_input = {key: value for key, value in {**BASE, **SCRIPT}.items() if key not in ("image_uri", "role")}
    training = platform.start(execution_input, code_dir=project)

    [key] = uploaded
    job = key.split("/")[0]
    assert key == f"{job}/source/sourcedir.tar.gz" and job.startswith("mltrain-")
    assert training.code_uri == f"s3://mltrain-artifacts/{key}"
    # The workflow gets the archive as source_dir and the name it is stored under; nothing local.
    assert started == [
        {
            **{k: v for k, v in execution_input.items() if k != "dependencies"},
            "source_dir": training.code_uri,
            "job_name": job,
        }
    ]
    with tarfile.open(fileobj=io.BytesIO(uploaded[key]), mode="r:gz") as archive:
        assert sorted(archive.getnames()) == ["common", "common/losses.py", "train.py"]
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def test_start_without_the_stacks_defaults_needs_a_code_location(stubbed, project: Path) -> None:
    platform, stubbers = stubbed
    stubbers["lambda"].add_client_error("get_function_configuration", "AccessDeniedException")
    with pytest.raises(script_code.InvalidTrainingInput) as caught:
        platform.start({**BASE, **SCRIPT}, code_dir=project)  # nothing uploaded, nothing started: not stubbed
    assert [problem.field for problem in caught.value.problems] == ["source_dir"]
    assert "give code_location" in str(caught.value)
