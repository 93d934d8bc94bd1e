"""stanceml: who stands where on what, in news sentences.

The public objects are imported lazily, so ``import stanceml`` stays cheap and
``python -m stanceml.corpus`` works without torch installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["LABELS", "RuleBaseline", "StanceInput", "StancePrediction", "StancePredictor", "__version__"]

_LAZY = {
    "LABELS": "stanceml.labels",
    "RuleBaseline": "stanceml.baseline",
    "StanceInput": "stanceml.inputs",
    "StancePrediction": "stanceml.predict",
    "StancePredictor": "stanceml.predict",
}

if TYPE_CHECKING:
    from stanceml.baseline import RuleBaseline
    from stanceml.inputs import StanceInput
    from stanceml.labels import LABELS
    from stanceml.predict import StancePrediction, StancePredictor


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'stanceml' has no attribute {name!r}")
