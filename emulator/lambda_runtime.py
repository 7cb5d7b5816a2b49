"""The Lambda runtime of the emulator: runs ONE invocation of a Python handler, then exits.

Started by the emulator (run_python_lambdas_in_a_subprocess, in adapters/lambda_functions.py) with
the project's Python, in the directory the function's deployment package was unpacked to, as
`python -I -S -c <this file> HANDLER RESULT_PATH LIBRARY` (LIBRARY: boto3 and its dependencies, the
only packages on the path besides the function's own code and the standard library). The event
comes on stdin. The handler's return value, or the error in Lambda's own shape ({"errorMessage",
"errorType", "stackTrace"}), is written to RESULT_PATH; stdout and stderr are the function's log.
Standard library only: the function sees no emulator module on its path, just as on AWS it sees
only its own package.
"""

import importlib
import json
import os
import sys
import time
import traceback
import uuid


class LambdaContext:
    """The attributes of the context object handlers commonly read."""

    def __init__(self, deadline: float) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.invoked_function_arn = os.environ.get("EMULATOR_FUNCTION_ARN", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def main() -> int:
    handler_name, result_path, library = sys.argv[1], sys.argv[2], sys.argv[3]
    deadline = time.time() + float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))
    sys.path[:0] = [os.getcwd(), library]
    try:
        event = json.loads(sys.stdin.read() or "{}")
        module_name, _, function_name = handler_name.rpartition(".")
        handler = getattr(importlib.import_module(module_name.replace("/", ".")), function_name)
        result = handler(event, LambdaContext(deadline))
        payload, failed = json.dumps(result), False
    except Exception as error:
        traceback.print_exc()
        payload = json.dumps(
            {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
        )
        failed = True
    with open(result_path, "w", encoding="utf-8") as result_file:
        result_file.write(payload)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
