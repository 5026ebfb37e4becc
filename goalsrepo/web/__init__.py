"""The static site: pages as data, rendered through Jinja2, written atomically, kept
between builds, and served locally.
"""
