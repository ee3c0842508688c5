"""The commands and the Celery task module start without TensorFlow and the database and S3 client libraries,
and name the package to install when an adapter needs one that is missing. Each check runs in a fresh
interpreter: this process has imported them."""

from __future__ import annotations

import subprocess
import sys

import pytest

CLIENT_LIBRARIES = ("psycopg2", "boto3", "botocore")
# TensorFlow takes seconds to import: help and listings must not wait for it, and a Celery worker loads it
# only when its first job trains (tests/scale/test_celery.py kills a worker in that window).
HEAVY_LIBRARIES = (*CLIENT_LIBRARIES, "tensorflow", "keras")


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_listing_adapters_reading_the_help_and_loading_the_task_import_no_heavy_library():
    result = python(
        "import sys\n"
        "from devface_adapters.cli import main\n"
        "import devface_adapters.tasks\n"
        "for command in (['plugins'], ['run', '--help']):\n"
        "    main(command, standalone_mode=False)\n"
        f"print('loaded:', [name for name in {HEAVY_LIBRARIES!r} if name in sys.modules])\n")
    assert result.returncode == 0, result.stderr
    assert "postgres" in result.stdout and "s3" in result.stdout  # the adapters are listed all the same
    assert result.stdout.splitlines()[-1] == "loaded: []"


@pytest.mark.parametrize("spec, missing, needed_by, install", [
    ("postgres", ("psycopg2", "psycopg2.extensions", "psycopg2.sql", "psycopg2.errors", "psycopg2.extras"),
     "postgres", "psycopg2-binary"),
    ("s3://bucket/likes", ("boto3", "boto3.session", "botocore", "botocore.config", "botocore.exceptions"),
     "s3", "boto3"),
])
def test_a_missing_client_library_is_one_line_naming_what_to_install(spec, missing, needed_by, install):
    result = python(
        "import sys\n"
        f"sys.modules.update(dict.fromkeys({missing!r}))  # None there: importing it fails, as if uninstalled\n"
        "from devface_adapters.cli import run_command\n"
        f"sys.argv = ['devface-run', '--source', {spec!r}, '--sink', 'memory', '--user', 'u']\n"
        "run_command()\n")
    assert result.returncode == 2, result.stderr
    error = result.stderr.splitlines()[-1]
    assert error.startswith(f"devface: error: the {needed_by} adapter needs ")
    assert error.endswith(f": pip install {install}") and "Traceback" not in result.stderr
