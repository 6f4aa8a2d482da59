"""What session-manager does, one database transaction per use case.

A use case that consumes a bus message records its message id in the inbox in the same
transaction as its writes (a redelivery is a no-op), and stages the events it announces in the
outbox in that transaction too, so state and events never disagree.
"""
