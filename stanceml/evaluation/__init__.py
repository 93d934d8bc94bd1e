"""Scoring: metrics, article bootstrap, baselines (rules, majority, TF-IDF), the rows to
score, the report, and :func:`stanceml.evaluation.evaluate.evaluate`, which scores an export."""
