"""Quality stage: refuse to guess from an image that could not be read well.

A failed quality check ends the job with a sentence telling the user what to do; it is
never retried, since the same image gives the same result.
"""

from __future__ import annotations

from receiptq.errors import PoorQuality
from receiptq.pipeline.ocr import OcrResult

MIN_WORDS = 4
MIN_CONFIDENCE = 0.35


def check_quality(ocr: OcrResult) -> None:
    readable = [w for w in ocr.words if any(c.isalnum() for c in w.text) and w.conf > 0]
    if len(readable) < MIN_WORDS:
        raise PoorQuality(
            "No receipt text could be read: make sure the photo shows the whole receipt, "
            "flat, in focus and in good light."
        )
    if ocr.mean_confidence < MIN_CONFIDENCE:
        raise PoorQuality(
            "The image is too blurry or too dark to read reliably: retake the photo in "
            "better light, holding the camera steady and parallel to the receipt."
        )
