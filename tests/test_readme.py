"""The README's promises: two set-up commands first, and an example that runs as written."""

import re
import subprocess
from pathlib import Path

README = (Path(__file__).parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.S)


def test_the_first_block_gives_the_install_and_main_job_and_the_test_commands():
    language, body = BLOCKS[0]
    main_job, tests = body.strip().splitlines()
    assert "pip install -e ." in main_job and main_job.endswith("python experiments/scaling.py")
    assert "pip install -e '.[test]'" in tests and tests.endswith("python -m pytest")


def test_ci_reads_the_test_command_from_the_readme():
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    extracted = subprocess.run(["awk", "/^```/{block++; next} block==1{lines++; if (lines==2) print}", "README.md"],
                               capture_output=True, text=True, cwd=Path(__file__).parents[1], check=True).stdout
    assert extracted.strip() == BLOCKS[0][1].strip().splitlines()[1]
    assert "README.md" in ci and 'bash -c "set -euo pipefail; $test_command"' in ci


def test_the_python_example_runs():
    (example,) = [body for language, body in BLOCKS if language == "python"]
    namespace = {}
    exec(compile(example, "README.md", "exec"), namespace)
    assert namespace["w"].grad.data.tolist() == [2.0, 4.0]
