"""The data the models learn from: the gold corpus (reading and validation), the processed
``DatasetDict`` and its data card, inter-annotator agreement, external labelled sets, raw
articles to analyse, and the Label Studio round trip."""
