"""Readers of other tools' exports, and the pipeline that turns them into goal files
(:mod:`goalsrepo.importers.pipeline`). One module per format."""
