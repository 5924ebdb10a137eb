"""Corrections: a user fixes fields of a completed receipt (PATCH), each change kept as a
revision with the first reading beside it, and a corrected merchant name is remembered
for that shop and applied to the user's next receipt from it (docs/api.md)."""
