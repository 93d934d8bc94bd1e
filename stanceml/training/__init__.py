"""Fine-tuning with the transformers Trainer, and the run record (``run.json``) that names a
run and everything export and evaluation need to know about it."""
