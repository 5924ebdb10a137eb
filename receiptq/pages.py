"""A job's stored upload as page images, for people to see beside the fields read from
them (the review page)."""

from __future__ import annotations

import itertools

import cv2

from receiptq import store
from receiptq.context import Context
from receiptq.errors import NotFound
from receiptq.jobs import OriginalPurged, parse_job_id
from receiptq.pipeline import media


def page_png(ctx: Context, user_id: str, job_id: str, n: int) -> tuple[bytes, int]:
    """(PNG of page `n`, number of pages) of the user's job; pages are decoded exactly as
    the pipeline decodes them, so regions' pixels match."""
    job_id = parse_job_id(job_id)
    job = store.jobs.get_job(ctx.pool, job_id)
    if job is None or job["user_id"] != user_id:
        raise NotFound("No such job.")
    stored = store.jobs.get_upload_data(ctx.pool, job_id)
    if stored is None:
        raise OriginalPurged("The image of this job is no longer stored.")
    data = stored[0]
    settings = ctx.settings
    info = media.inspect(
        data,
        max_pixels=settings.max_pixels,
        max_pdf_pages=settings.max_pdf_pages,
        max_job_pixels=settings.max_job_pixels,
    )
    pages = media.iter_pages(data, info, max_pixels=settings.max_pixels)
    image = next(itertools.islice(pages, n, None), None)
    if image is None:
        raise NotFound(f"The upload has {info.pages} page(s): ask for 0 to {info.pages - 1}.")
    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return png.tobytes(), info.pages
