"""The goal files: read safely, checked against their schemas, typed, and written back byte
for byte.
"""
