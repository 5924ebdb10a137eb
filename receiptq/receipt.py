"""The structured receipt: the job result and the output of `receiptq extract`.

Amounts are decimal strings ("12.30") so that no float rounding creeps in between the
extractor, PostgreSQL and clients. An unknown field is null, never absent.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, Field

# The item categories FoodSave uses; the categorizer's catalog and the sample generator's
# products are labelled with exactly these.
CATEGORIES: tuple[str, ...] = (
    "dairy",
    "bakery",
    "meat_fish",
    "fruit_vegetables",
    "drinks",
    "snacks_sweets",
    "pantry",
    "frozen",
    "household",
    "personal_care",
)


def to_decimal(value: str | None) -> Decimal | None:
    """An amount string of a receipt as a Decimal, or None when absent or not a number."""
    if value is None:
        return None
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None  # "NaN", "Infinity" are no amounts


class Merchant(BaseModel):
    name: str | None = None
    address: str | None = None
    tax_id: str | None = None
    phone: str | None = None


class Region(BaseModel):
    """Where a field was read: a box on one page of the upload."""

    page: int = Field(0, ge=0, description="0-based page index.")
    box: tuple[int, int, int, int] = Field(
        description="left, top, right, bottom, in pixels of the page as decoded from the"
        " upload (EXIF orientation applied; PDF pages rendered at the pipeline's DPI): the"
        " image GET /api/v3/receipts/{job_id}/pages/{page} serves."
    )


class Item(BaseModel):
    description: str
    quantity: str | None = None
    unit_price: str | None = None
    total_price: str | None = None
    category: str | None = None
    region: Region | None = Field(default=None, description="The item's row on the page.")


class Confidence(BaseModel):
    ocr: float = 0.0
    fields: dict[str, float] = Field(default_factory=dict)
    # Where a field's value came from when not from the page: "corrected" (the user set
    # it) or "corrected_from_memory" (the name the user gave this shop before).
    sources: dict[str, str] = Field(default_factory=dict)


class ValidationIssue(BaseModel):
    code: str
    message: str


class Validation(BaseModel):
    valid: bool = True
    issues: list[ValidationIssue] = Field(default_factory=list)


class PageSource(BaseModel):
    page: int = Field(ge=0, description="0-based page index in the upload.")
    source: Literal["text_layer", "ocr"] = Field(
        description="Where the page's text came from: a PDF page's own text layer, or OCR "
        "of its image."
    )


class Receipt(BaseModel):
    merchant: Merchant = Field(default_factory=Merchant)
    date: str | None = None
    time: str | None = None
    currency: str | None = None
    total: str | None = None
    subtotal: str | None = None
    tax: str | None = None
    items: list[Item] = Field(default_factory=list)
    payment_method: str | None = None
    language: str | None = None
    confidence: Confidence = Field(default_factory=Confidence)
    validation: Validation = Field(default_factory=Validation)
    regions: dict[str, Region] = Field(
        default_factory=dict,
        description='Where each field was read, by field ("merchant.name",'
        ' "merchant.address", "merchant.tax_id", "merchant.phone", "date", "time", "total",'
        ' "subtotal", "tax"); a field whose place was not found has none.',
    )
    pages: list[PageSource] = Field(
        default_factory=list,
        description="How each page of the upload was read: a PDF page that carries its "
        "text from that text layer, any other page by OCR.",
    )
