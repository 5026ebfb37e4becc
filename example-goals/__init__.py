"""This folder ships inside the wheel as ``goalsrepo.example_goals``: ``goalsrepo init`` copies
its YAML files into a new goals repository. Only the YAML files are copied."""
