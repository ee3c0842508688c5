"""The command line: `devface-run` and the `devface` group (run, pretrain, plugins, seed, db, watch, worker).

The only package that imports click. Library errors become one line on stderr and an exit code
(`reporting.reports_errors`): usage/config 2, no images 3, adapter/IO 4, bad image data 5, anything
unexpected 1. Training options are generated from `Config`'s declarations (`options`).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter is not for users

from devface_adapters.cli import service  # noqa: E402,F401  (adds db, watch and worker to the group)
from devface_adapters.cli.commands import main, run_command  # noqa: E402

__all__ = ["main", "run_command"]
