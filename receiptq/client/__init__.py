"""The client side of receiptq: `receiptq submit` and `receiptq status`.

- `http`: the HTTP client, one method per endpoint (`Client`, `ApiError`).
- `discovery`: which files a run sends (folders searched, receipt types by their bytes).
- `retry`: what to do with 429, 503, 409 and timeouts, and how often to poll job status.
- `entries`: one file's state through a run.
- `outputs`: the JSON lines, the CSV, the summary line and the exit status.
- `progress`: the progress bar.
- `runner`: the batch itself (upload threads, polling, Ctrl-C) and `run` for the CLI.

Resuming is the API's duplicate detection, not a local state file: a file whose bytes this
user already submitted (and whose job did not fail, was not cancelled or deleted) is
answered 200 with `duplicate_of`, counted as skipped, and (with `--wait`) reported with
that job's result. See docs/batch.md.
"""
