"""trainctl: the platform's command line (`python -m trainctl`).

The request builder lives in <repo>/lambda/training_request (it is the Lambda's code) and the facts
the platform's parts share in <repo>/lambda/platform_contract.py; putting that directory on sys.path
makes `import training_request` and `import platform_contract` work from the repository root, so the
CLI runs the very code the Lambda runs."""

import sys
from pathlib import Path

_LAMBDA_DIR = str(Path(__file__).resolve().parent.parent / "lambda")
if _LAMBDA_DIR not in sys.path:
    sys.path.insert(0, _LAMBDA_DIR)
