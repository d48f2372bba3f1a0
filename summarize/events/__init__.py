"""Events: one story per real-world event.

Owns event clustering (``cluster``: features, the incremental :class:`StoryIndex` with
stable ids), its kNN candidate graph, average linkage and local density (``linkage``),
threads (``threads``: the stories of one developing storyline linked, not merged) and
syndication (``syndication``: wire copies grouped into one voice).

May import: the foundation and ``summarize.nlp``.
"""
