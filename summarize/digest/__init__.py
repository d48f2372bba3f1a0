"""The nightly digest: a day of articles in, a ranked page of cited story briefs out.

Owns the run (``job``), its records (``records``), ranking and cache keys (``rank``), the
view model of the page (``view``), the Atom / JSON Feed / nights index outputs (``feeds_out``), the
SQLite state (``store``), "what is new" in continuing stories (``update``), the Markdown,
JSON, HTML and log outputs (``render``, ``templates/``) and the ``summarize digest``
command (``cli``).

May import: the library (everything up to ``summarize.briefing`` and ``summarize.pipeline``).
Never imports ``summarize.bench``.
"""
