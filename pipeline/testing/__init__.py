"""Offline test assets: a tiny XLM-R built locally and fixture datasets in the hub schemas.

Nothing here is a result: every run on these assets is labelled a test artefact.
"""
