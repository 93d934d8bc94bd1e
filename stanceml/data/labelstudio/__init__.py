"""Label new articles in Label Studio and bring the labels back into the corpus: candidate
tasks (:mod:`.tasks`) out, a validated import (:mod:`.importer`) in."""
