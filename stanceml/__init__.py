"""stanceml: who stands where on what, in news sentences.

The public objects are imported lazily, so ``import stanceml`` stays cheap and
``python -m stanceml.data.corpus`` works without torch installed. Importing the package
changes no global state (environment, loggers, umask); the CLI and scripts set what they need.
The layout follows the data flow; ``docs/architecture.md`` describes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["LABELS", "RuleBaseline", "StanceInput", "StancePrediction", "StancePredictor", "Triple", "__version__"]

_LAZY = {
    "LABELS": "stanceml.labels",
    "RuleBaseline": "stanceml.evaluation.baselines",
    "StanceInput": "stanceml.records",
    "Triple": "stanceml.records",
    "StancePrediction": "stanceml.inference.predictor",
    "StancePredictor": "stanceml.inference.predictor",
}

if TYPE_CHECKING:
    from stanceml.evaluation.baselines import RuleBaseline
    from stanceml.inference.predictor import StancePrediction, StancePredictor
    from stanceml.labels import LABELS
    from stanceml.records import StanceInput, Triple


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'stanceml' has no attribute {name!r}")
