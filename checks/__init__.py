"""The exercises' checks: core.py and one module per chapter (see core.py)."""
