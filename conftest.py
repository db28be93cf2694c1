"""Settings for the whole test run, notebooks included."""

import os
import tempfile

pytest_plugins = ["pytester"]

# Run as a newcomer does: an empty data cache, so a hidden download fails here instead of on a
# student's first run. Set before any notebook kernel starts, so nbval's kernels inherit it.
os.environ["DCAI_LAB_DATA"] = tempfile.mkdtemp(prefix="dcai-lab-empty-cache-")
