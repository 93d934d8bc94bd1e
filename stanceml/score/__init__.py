"""Score archives: stream triples (or candidate triples from raw articles) through the model
into a table, in constant memory, resumably, locally or on a Ray cluster.

- :mod:`stanceml.score.formats`: readers of JSON lines, CSV and Parquet (row ids, bad rows);
- :mod:`stanceml.score.writers`: resumable writers of the same three formats;
- :mod:`stanceml.score.run`: the run itself (checkpoint, resume, errors file, progress);
- :mod:`stanceml.score.candidates`: sentence x actor x target triples from articles;
- :mod:`stanceml.score.ray_engine`: the same run with Ray Data (optional extra ``ray``);
- :mod:`stanceml.score.command`: the ``stanceml score`` and ``stanceml candidates`` commands.
"""
