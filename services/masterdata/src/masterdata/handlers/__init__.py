"""Entry points of masterdata: operator HTTP views (api.py, schemas.py) and bus handlers (bus.py)."""
