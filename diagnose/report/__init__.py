"""Audit reports rendered from one document.

:func:`build_document` turns a :class:`~diagnose.Result` into a JSON-safe
dict (schema in ``docs/report-schema.md``); :func:`render_markdown` and
:func:`render_html` render that dict and never look at the result itself.
"""
from __future__ import annotations

from diagnose.report.document import FORMAT_VERSION, build_document
from diagnose.report.html import render_html
from diagnose.report.markdown import render_markdown

__all__ = ["FORMAT_VERSION", "build_document", "render_html", "render_markdown"]
