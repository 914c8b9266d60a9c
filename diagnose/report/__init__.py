"""Audit reports rendered from one document (placeholder until the report module lands)."""
from __future__ import annotations

import json
from typing import Any


def build_document(result) -> dict[str, Any]:
    return {"summary": result.summary}


def render_markdown(doc: dict[str, Any]) -> str:
    return "# diagnose audit\n\n```json\n" + json.dumps(doc["summary"].get("counts", {}), indent=2) + "\n```\n"


def render_html(doc: dict[str, Any]) -> str:
    import html

    return "<!doctype html><title>diagnose audit</title><pre>" + html.escape(json.dumps(doc["summary"].get("counts", {}), indent=2)) + "</pre>"
