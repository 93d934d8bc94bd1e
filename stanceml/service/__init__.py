"""The HTTP service (FastAPI): request and response models and the app."""
