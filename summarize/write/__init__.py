"""Writers: selected evidence in, the sentences of a brief out.

Owns the writer contract (``base``: :class:`Draft`, :class:`Writer`), the extractive writer
(``extractive``), the abstractive writers over a generative model (``fusion``: one sentence per claim,
the default; ``abstractive``: one paragraph), the
prompt templates (``prompting``) and choosing a writer by name (``registry``, through
:mod:`summarize.registry`, where plugins register theirs).

May import: the foundation, ``nlp``, ``stories``, ``evidence`` and ``models``.
"""
