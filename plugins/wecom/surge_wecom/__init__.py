"""surge's WeCom (企业微信) plugin: the ``wecom`` channel provider and pager."""

__version__ = "0.1.0"
