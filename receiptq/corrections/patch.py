"""The body of PATCH /api/v3/receipts/{job_id} and how it changes a stored receipt.

The receipt is changed as JSON, not through the Receipt model, so fields the model of
this process does not know (a newer pipeline's) are kept as they are."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from receiptq.receipt import CATEGORIES

MAX_AMOUNT = Decimal("1e12")  # numeric(14, 2)
CORRECTED = "corrected"  # Confidence.sources: the user set this field


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("an amount is a decimal string like '12.30' (or a number)")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    if not number.is_finite() or abs(number) >= MAX_AMOUNT:
        raise ValueError(f"{value!r} is not an amount")
    return number


def _amount(value: Any) -> Any:
    """'12.3', 12.3, '12,30' -> '12.30'; None stays None (clears the field)."""
    return None if value is None else str(_decimal(value).quantize(Decimal("0.01")))


def _quantity(value: Any) -> Any:
    if value is None:
        return None
    number = _decimal(value).quantize(Decimal("0.001"))
    return format(number.normalize(), "f")


def _category(value: Any) -> Any:
    if value is None or value in CATEGORIES:
        return value
    raise ValueError(f"category must be one of {', '.join(CATEGORIES)} (or null)")


Amount = Annotated[str | None, BeforeValidator(_amount)]
Quantity = Annotated[str | None, BeforeValidator(_quantity)]
Category = Annotated[str | None, BeforeValidator(_category)]
Text = Annotated[str | None, Field(max_length=500)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MerchantPatch(_Strict):
    name: Text = None
    address: Text = None
    tax_id: Annotated[str | None, Field(max_length=64)] = None
    phone: Annotated[str | None, Field(max_length=64)] = None


class ItemPatch(_Strict):
    """The fields of one item to change (by its index in `items`)."""

    description: Annotated[str | None, Field(min_length=1, max_length=500)] = None
    quantity: Quantity = None
    unit_price: Amount = None
    total_price: Amount = None
    category: Category = None


class NewItem(ItemPatch):
    """An item of a replacing list."""

    description: Annotated[str, Field(min_length=1, max_length=500)]


class ReceiptPatch(_Strict):
    """Only the fields given change; null clears a field. `items` is either a list (the
    new items, replacing all) or an object from index to the fields of that item."""

    merchant: MerchantPatch | None = None
    date: dt.date | None = None
    time: Annotated[str | None, Field(pattern=r"^\d{2}:\d{2}(:\d{2})?$")] = None
    currency: Annotated[str | None, Field(pattern=r"^[A-Z]{3}$")] = None
    total: Amount = None
    subtotal: Amount = None
    tax: Amount = None
    items: Annotated[
        list[NewItem] | dict[int, ItemPatch] | None, Field(json_schema_extra={"maxItems": 1000})
    ] = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"total": "29.83", "merchant": {"name": "Corner Grocer"}},
                {"items": {"2": {"category": "dairy", "total_price": "1.45"}}},
            ]
        },
    )

    @model_validator(mode="after")
    def _something(self) -> ReceiptPatch:
        if not self.model_fields_set:
            raise ValueError("the body names no field to change")
        for name in ("merchant", "items"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null: send the fields to change")
        return self


Change = tuple[str, Any, Any]  # (field, from, to)
SCALARS = ("date", "time", "currency", "total", "subtotal", "tax")


def apply(data: dict[str, Any], patch: ReceiptPatch) -> tuple[dict[str, Any], list[Change]]:
    """The receipt JSON with the patch applied, and what changed. A changed field gets
    confidence 1.0 and the source 'corrected'. IndexError for an item index the receipt
    does not have."""
    new = copy.deepcopy(data)
    changes: list[Change] = []

    def put(target: dict[str, Any], key: str, value: Any, field: str) -> None:
        if target.get(key) != value:
            changes.append((field, target.get(key), value))
            target[key] = value

    for name in SCALARS:
        if name in patch.model_fields_set:
            value = getattr(patch, name)
            put(new, name, value.isoformat() if isinstance(value, dt.date) else value, name)
    if patch.merchant is not None:
        merchant = new.setdefault("merchant", {})
        for name in patch.merchant.model_fields_set:
            put(merchant, name, getattr(patch.merchant, name), f"merchant.{name}")
    items = new.setdefault("items", [])
    if isinstance(patch.items, list):
        replacing = [item.model_dump() for item in patch.items]
        if replacing != [_item_fields(item) for item in items]:
            changes.append(("items", items, replacing))
            new["items"] = replacing
    elif isinstance(patch.items, dict):
        for index, fields in sorted(patch.items.items()):
            if not 0 <= index < len(items):
                raise IndexError(index)
            for name in fields.model_fields_set:
                value = getattr(fields, name)
                if name == "description" and value is None:
                    raise ValueError("an item's description cannot be null")
                put(items[index], name, value, f"items[{index}].{name}")
    mark(new, [field for field, _, _ in changes], CORRECTED)
    return new, changes


def _item_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item.get(name) for name in NewItem.model_fields}


def mark(data: dict[str, Any], fields: list[str], source: str) -> None:
    """Confidence 1.0 for `fields`, with where their values came from."""
    confidence = data.setdefault("confidence", {})
    scores = confidence.setdefault("fields", {})
    sources = confidence.setdefault("sources", {})
    for field in fields:
        scores[field] = 1.0
        sources[field] = source
