"""Pipeline stages as plain functions on plain data: media -> preprocess -> ocr -> quality
-> analysis -> validation, and one orchestrator over them (`run.Pipeline`, a list of steps
over one `document.Document`). No services: the worker, `receiptq extract`, the benchmarks
and the tests all run the same pipeline."""

import os

import cv2

# One thread a process for OpenCV, as for Tesseract (OMP_THREAD_LIMIT, `ocr`) and the line
# model (`recognize`): workers scale by processes, and OpenCV's threads add CPU to each
# receipt (docs/performance.md). OpenCV's own OPENCV_FOR_THREADS_NUM sets another count.
cv2.setNumThreads(int(os.environ.get("OPENCV_FOR_THREADS_NUM", "1")))
