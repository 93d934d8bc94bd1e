"""Serving predictions from an export folder: :class:`~.predictor.StancePredictor`, its
backends (torch fp32/bf16, ONNX Runtime fp32/int8), the fast BERT forward, and the choice
of backend for this machine."""
