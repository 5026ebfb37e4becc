"""Readers of other tools' exports, and the pipeline that turns them into goal files
(:mod:`goalsrepo.integrations.importers.pipeline`). One module per format."""

# Named here, so that the CLI lists them without importing a reader.
FORMATS = ("okr-csv", "goalsrepo-csv", "jira", "asana", "trello")
