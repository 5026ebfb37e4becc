"""The JSON Schemas, shipped inside the wheel as ``goalsrepo.schemas`` (see
goalsrepo/files/schema.py)."""
