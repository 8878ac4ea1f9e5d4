"""Affected customers: the people an incident concerns, collected while it runs (a
complaint surge collects who complained, where and how to reach them)."""
