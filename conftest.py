"""Settings for the whole test run, notebooks included."""

import os
from pathlib import Path

pytest_plugins = ["pytester"]

# Datasets come from the pre-filled cache beside the checkout (../shared/data), never the network.
# Set here, before any notebook kernel starts, so nbval's kernels inherit it.
os.environ.setdefault("DCAI_LAB_DATA", str(Path(__file__).resolve().parent.parent / "shared" / "data"))
