"""`git_config`: the repository the SageMaker SDK clones before it packages the code
(sagemaker.git_utils.git_clone_repo), cloned the same way into a temporary directory.

`repo` (https://, git@ or ssh://), then `branch` and `commit` checked out in that order; on https,
`token` (or `username` and `password`) go into the URL as the SDK puts them, and git never prompts.
A problem names `git_config` but never shows its value, which may hold a password or a token.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from training_request import InvalidTrainingInput, Problem

FIELD = "git_config"
_TWO_FACTOR = "2FA_enabled"
_SCHEMES = ("https://", "git@", "ssh://")
_CODECOMMIT = ("https://git-codecommit", "ssh://git-codecommit")
_CREDENTIALS_IN_URL = re.compile(r"(https://)[^@/]+@")
# A clone of a large repository over a slow link; a hung one (an SSH host asking for a key) ends with an error.
CLONE_TIMEOUT_SECONDS = 600


def _invalid(rule: str, field: str = FIELD) -> InvalidTrainingInput:
    return InvalidTrainingInput([Problem(field, None, rule)])


def check_git_config(git_config: object) -> dict[str, object]:
    """The SDK's checks (sagemaker.git_utils._validate_git_config and _sanitize_git_url): an object with a
    `repo` URL the SDK clones, every value a string but `2FA_enabled`, a boolean."""
    if not isinstance(git_config, Mapping):
        raise _invalid("must be an object with repo (and branch, commit, credentials), as the SDK takes it")
    problems = [
        Problem(f"{FIELD}.{key}", None, "must be a boolean" if key == _TWO_FACTOR else "must be a string")
        for key, value in git_config.items()
        if not isinstance(value, bool if key == _TWO_FACTOR else str)
    ]
    repo = git_config.get("repo")
    if repo is None:
        problems.append(Problem(f"{FIELD}.repo", None, "is required: the URL of the repository to clone"))
    elif isinstance(repo, str) and not _supported_url(repo):
        problems.append(
            Problem(
                f"{FIELD}.repo", None, "must be an https://, git@ or ssh:// URL with at most one '@' (the SDK's rule)"
            )
        )
    if problems:
        raise InvalidTrainingInput(problems)
    return dict(git_config)


def _supported_url(repo: str) -> bool:
    if not repo.startswith(_SCHEMES):
        return False
    return repo.count("@") == 1 if repo.startswith("git@") else repo.count("@") <= 1


def clone_url(git_config: Mapping[str, object]) -> str:
    """The URL the SDK clones: https with the token, or the username and password, inserted."""
    repo = str(git_config["repo"])
    if not repo.startswith("https://"):
        return repo
    token, username, password = (git_config.get(key) for key in ("token", "username", "password"))
    codecommit = repo.startswith(_CODECOMMIT)
    if isinstance(token, str) and not codecommit:
        return repo if repo.find(token) == len("https://") else repo.replace("https://", f"https://{token}@", 1)
    two_factor = git_config.get(_TWO_FACTOR) is True and not codecommit
    if isinstance(username, str) and isinstance(password, str) and not two_factor:
        quoted = urllib.parse.quote_plus(password).replace("+", "%20")
        return f"https://{username}:{quoted}@{repo.removeprefix('https://')}"
    return repo


def redacted(text: str) -> str:
    """A git message without the credentials the URL carries."""
    return _CREDENTIALS_IN_URL.sub(r"\1<credentials>@", text)


@contextmanager
def git_checkout(git_config: object) -> Iterator[Path]:
    """The repository cloned and checked out in a temporary directory, removed afterwards."""
    config = check_git_config(git_config)
    git = shutil.which("git")
    if git is None:
        raise _invalid(
            "needs git, which is not installed here: install git, or package the code yourself "
            "(git archive) and give a local source_dir"
        )
    # Never wait for a password or a passphrase nobody will type (the SDK's ssh clone also runs in batch mode).
    environment = {"GIT_SSH_COMMAND": "ssh -oBatchMode=yes", **os.environ, "GIT_TERMINAL_PROMPT": "0"}
    with tempfile.TemporaryDirectory(prefix="trainctl-git-") as directory:
        _git(git, ["clone", clone_url(config), directory], None, environment, "clone the repository")
        for key in ("branch", "commit"):
            if key in config:
                _git(git, ["checkout", str(config[key])], directory, environment, f"check out the {key}")
        yield Path(directory)


def _git(git: str, arguments: list[str], cwd: str | None, environment: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(
            [git, *arguments],
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLONE_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise _invalid(f"git could not {what} in {CLONE_TIMEOUT_SECONDS} s") from None
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        # git's first `fatal:` line says what went wrong; the advice after it is general.
        said = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1] if lines else "")
        said = redacted(said) or f"exit code {result.returncode}"
        raise _invalid(f"git could not {what}: {said}")
