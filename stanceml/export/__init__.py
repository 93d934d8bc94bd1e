"""The export step: a training run into a self-contained model folder (temperature scaling,
ONNX files, every backend checked against the transformers fp32 forward). The folder's
format itself is :mod:`stanceml.artifact`."""
