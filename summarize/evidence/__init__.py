"""Evidence inside one story: what is central, what is confirmed, what is disputed.

Owns salience and claim groups (``score``), numeric disagreements between outlets
(``disagree``) and content selection under a word budget (``select``).

May import: the foundation, ``summarize.nlp`` and ``summarize.events``.
"""
