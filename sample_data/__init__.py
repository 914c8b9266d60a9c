"""Bundled sample data: a small intent scenario and a small RAG scenario with planted faults."""
