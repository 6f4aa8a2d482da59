"""What the receipts service does, one database transaction per use case.

A use case that consumes a bus message records its message id in the inbox in the same
transaction as its writes (a redelivery is a no-op), and stages ``receipt.issued`` in the outbox
in the transaction that stores the receipt.
"""
