"""Article analysis: who stands where on each target, from actor mentions, relevant
sentences and the predictor, aggregated per actor with evidence; and its text rendering."""
