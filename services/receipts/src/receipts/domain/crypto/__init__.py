"""Elliptic-curve primitives for signed meter data: DER, curves, keys and ECDSA verification."""
