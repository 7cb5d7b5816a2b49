import sys

from trainctl.cli import run_program

sys.exit(run_program())
