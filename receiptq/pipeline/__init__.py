"""Pipeline stages as plain functions on plain data: media -> preprocess -> ocr -> quality
-> analysis -> validation, and one orchestrator over them (`run.Pipeline`, a list of steps
over one `document.Document`). No services: the worker, `receiptq extract`, the benchmarks
and the tests all run the same pipeline."""
