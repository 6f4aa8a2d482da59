"""SQL of the ``receipts`` schema, and nothing else (the pool's search_path pins it).

Every function takes the caller's connection, so a use case decides where its transaction begins
and ends. Nothing here updates or deletes calibration-law data: signed records, meter keys,
transaction ends and receipts are only ever inserted.
"""
