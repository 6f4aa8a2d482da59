"""Entry points: bus subscribers (``bus``) and the operator API (``api``)."""
