"""Pipeline stages as plain functions on plain data: media -> preprocess -> ocr -> quality
-> analysis -> validation. No services: the worker and `receiptq extract` share them."""
