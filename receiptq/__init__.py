"""receiptq: a self-hosted, distributed receipt-processing pipeline."""

__version__ = "0.1.0"
