"""Language tools shared by every later stage.

Owns sentence splitting (``segment``, NLTK Punkt), sentence embeddings (``embed``, MiniLM)
the small text helpers (``text``: word counts, datelines, stems, numbers, names, content
hashes) and sentence hygiene (``hygiene``: which sentences are whole enough to quote) so
that no stage keeps a private copy of them.

May import: the foundation only (``errors``, ``records``, ``options``, ``files``, ``registry``).
"""
