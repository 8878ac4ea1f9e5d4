"""surge's DingTalk (钉钉) plugin: the ``dingtalk`` channel provider and pager."""

__version__ = "0.1.0"
