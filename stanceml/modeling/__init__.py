"""What the model reads and how it is built: the input template (a triple to a text pair),
finding, building and loading the transformer offline, and the precision to run it in."""
