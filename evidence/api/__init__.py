"""The JSON API under /api/v1/: the pages' data for scripts and tools, and curators' writes (docs/api.md).

An entry point like the views: it calls the same filters, querysets, reports and bibliography writers.
"""
