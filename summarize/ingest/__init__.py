"""Ingest: articles in, cleaned and de-duplicated.

Owns reading (``loaders``: files, folders, JSON/JSONL, HTML, strings, dicts; ``feeds``:
RSS/Atom files and URLs), removing page furniture (``clean``) and the one ingest path that
both :func:`summarize.brief` and the nightly digest use (``prepare``: read, clean, hash,
de-duplicate, say what was skipped and why).

May import: the foundation (``errors``, ``records``, ``options``, ``files``, ``registry``)
and ``summarize.nlp``.
"""
