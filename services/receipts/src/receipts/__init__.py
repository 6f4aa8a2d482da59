"""Calibration-law (Eichrecht) receipts: captures, keeps and verifies the signed meter data of charging sessions."""
