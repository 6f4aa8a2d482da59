"""Signed meter data formats other than OCMF: Alfen, EDL40 (signedMeterValue XML) and PCDF.

Only their signatures are checked here; record- and session-level rules exist for OCMF only.
"""
