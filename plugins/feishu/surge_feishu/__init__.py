"""surge's Feishu/Lark (飞书) plugin: the ``feishu`` channel provider and pager."""

__version__ = "0.1.0"
