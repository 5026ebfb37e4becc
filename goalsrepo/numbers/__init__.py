"""The numbers of SPEC §3: progress, expected, health, staleness, scores, alignment, and a
period's review.
"""
