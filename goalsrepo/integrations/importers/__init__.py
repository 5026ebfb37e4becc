"""Readers of other tools' exports, and the pipeline that turns them into goal files
(:mod:`goalsrepo.integrations.importers.pipeline`). One module per format."""
