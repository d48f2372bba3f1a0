"""The ROUGE benchmark harness for researchers.

Owns the runner (``runner``), result records and ``RESULTS.md`` (``report``), the baselines
(``baselines``), evaluation sets (``datasets``), ROUGE scoring (``rouge``) and the
``summarize bench`` commands (``cli``).

May import: the library (everything up to ``summarize.pipeline``). Never imports
``summarize.digest``.
"""
