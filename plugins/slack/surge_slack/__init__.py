"""surge's Slack plugin: the ``slack`` channel provider and the routes Slack calls."""

__version__ = "0.1.0"
