"""goalsrepo: a git repository of YAML files as an organisation's goal system."""

__version__ = "0.1.0"
