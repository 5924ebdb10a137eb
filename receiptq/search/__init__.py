"""Similar receipts, the feature (docs/search.md): a saved receipt as a vector
(`vectors`), the writer that stores it (`indexing`, run by `tasks` on the `index` queue),
the rows in PostgreSQL (`store`), each API process's FAISS index of them (`index`), the
search (`similar`) and its view (`views`, GET /api/v3/receipts/{id}/similar)."""
