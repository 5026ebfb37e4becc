"""Other tools: the sources sync reads, chat webhooks, forges, the check-in issue form and
the CI files init writes.
"""
