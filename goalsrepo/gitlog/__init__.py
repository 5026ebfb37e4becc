"""History: what git recorded, read into events, and the caches that spare reading it
again.
"""
