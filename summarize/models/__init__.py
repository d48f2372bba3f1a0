"""Generative models on a CPU.

Owns loading and running causal or seq2seq language models (``generative``), the packaged
models joined from PyPI part packages and converted once into the cache (``packaged``), and
the CPU fast paths picked from the CPU's flags (``cpu_linear``).

May import: the foundation only. Knows nothing of stories or briefs.
"""
