"""Text processing that needs no model: sentence splitting, actor mentions (the gazetteer)
and target phrases (normalisation and relevance)."""
