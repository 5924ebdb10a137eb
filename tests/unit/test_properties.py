"""Property-based tests: parsers and validators never crash, whatever they are given."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from receiptq.config import parse_rate
from receiptq.errors import ReceiptqError
from receiptq.jobs import _clean_filename
from receiptq.pipeline import media
from receiptq.pipeline.validation import validate
from receiptq.receipt import Item, Receipt

amounts = st.one_of(
    st.none(),
    st.decimals(min_value=-10_000, max_value=10_000, places=2).map(str),
    st.text(max_size=8),
)
dates = st.one_of(st.none(), st.dates().map(dt.date.isoformat), st.text(max_size=12))


@given(
    total=amounts, subtotal=amounts, tax=amounts, date=dates,
    items=st.lists(amounts, max_size=6),
)  # fmt: skip
def test_validate_never_raises_and_valid_means_no_issues(total, subtotal, tax, date, items):
    receipt = Receipt(
        total=total, subtotal=subtotal, tax=tax, date=date,
        items=[Item(description="x", total_price=p) for p in items],
    )  # fmt: skip
    result = validate(receipt, today=dt.date(2026, 1, 1))
    assert result.valid == (result.issues == [])
    assert all(issue.message for issue in result.issues)
    if total is None:
        assert "total_missing" in [issue.code for issue in result.issues]


@settings(max_examples=300)
@given(st.binary(max_size=2048))
def test_upload_inspection_refuses_garbage_with_a_domain_error(data):
    try:
        info = media.inspect(data, max_pixels=40_000_000, max_pdf_pages=5)
    except ReceiptqError as exc:
        assert exc.status in (413, 415, 422) and exc.message
    else:
        assert info.media_type in media.SUPPORTED_TYPES


@given(st.binary(max_size=64))
def test_sniffing_needs_the_magic_bytes(head):
    kind = media.sniff_media_type(head)
    assert kind is None or kind in media.SUPPORTED_TYPES


@given(st.text(max_size=40))
def test_rate_limit_parser_raises_only_value_errors(text):
    try:
        count, seconds = parse_rate(text)
    except ValueError:
        return
    assert count >= 0 and seconds >= 1


@given(st.text(max_size=20_000))
def test_file_names_are_cleaned_to_a_printable_base_name(name):
    cleaned = _clean_filename(name)
    if cleaned is not None:
        assert "/" not in cleaned and "\\" not in cleaned
        assert cleaned.isprintable() and 0 < len(cleaned) <= 255
