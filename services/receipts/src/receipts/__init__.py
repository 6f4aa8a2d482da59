"""Calibration-law (Eichrecht) receipts: verifies the signed meter data of charging sessions."""
