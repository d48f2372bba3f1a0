"""Briefing: one story's evidence in, a cited and verified :class:`~summarize.records.Brief` out.

Owns composing a brief (``compose``: score, select, write, attribute, facts, metadata),
attribution and verification of every sentence (``attribute``) and the Markdown and JSON
renderings (``render``).

May import: every earlier stage (foundation, ``nlp``, ``ingest``, ``stories``,
``evidence``, ``models``, ``write``).
"""
