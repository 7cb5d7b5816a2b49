"""CDK stacks and the constructs they wire together (one construct per module).

The settings check the trigger requests with the request builder, which lives in <repo>/lambda/training_request
(it is the Lambda's code); putting that directory on sys.path makes `import training_request` work for the CDK
app, as it does for trainctl, so the synth judges a request with the very code the Lambda runs."""

import sys
from pathlib import Path

_LAMBDA_DIR = str(Path(__file__).resolve().parent.parent / "lambda")
if _LAMBDA_DIR not in sys.path:
    sys.path.insert(0, _LAMBDA_DIR)
