"""Entry points: bus subscribers (``bus``) and operator HTTP views (``api``).

Each decodes a contract or request, binds the ids it knows to the log context, and calls a use case.
"""
