"""surge's benchmarks: each compares a figure with a baseline measured in the same run.

``python -m bench`` (or ``bench/run``) runs them all; ``--quick`` runs short versions;
``--only NAME`` picks some. See bench/README.md for what each measures.
"""
