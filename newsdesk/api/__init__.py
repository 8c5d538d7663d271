"""The public read API: live stories, sections and authors as JSON, described by an
OpenAPI document at ``/api/v1/openapi.json``.

It shows what the reader site shows, no more: never a draft, an embargoed story
before its time, or a killed story's copy.
"""
