"""The pure core of the receipts service: no I/O, no bus, no database.

``ocmf`` reads records, ``signatures`` checks them (``crypto`` holds the maths, ``formats`` the
non-OCMF formats), ``checks`` decides whether a record or a session may be billed.
"""
