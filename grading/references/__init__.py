"""Per-chapter references: check inputs, TensorFlow/scikit-learn results and typical mistakes.

Each module exposes ``HINTS`` and ``cases(tf, rng, audience)`` returning
``{function: [case dict, ...]}``; ``python -m grading fixtures`` turns them into
the public check files and the hidden grading fixtures.
"""
