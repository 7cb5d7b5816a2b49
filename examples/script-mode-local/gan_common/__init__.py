"""Code shared by the team's trainings: a `dependencies` entry of examples/script-mode-local.json."""
