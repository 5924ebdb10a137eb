"""A pipeline process reads on one thread: workers scale by processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = "import cv2, receiptq.pipeline.preprocess; print(cv2.getNumThreads())"


@pytest.mark.parametrize(("setting", "threads"), [(None, "1"), ("2", "2")])
def test_opencv_runs_on_one_thread_unless_told_otherwise(setting, threads):
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_FOR_THREADS_NUM"}
    if setting is not None:
        env["OPENCV_FOR_THREADS_NUM"] = setting
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == threads
