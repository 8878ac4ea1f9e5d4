"""Playbooks: the YAML runbooks surge runs, read, validated and typed."""

from surge.playbook.library import PlaybookLibrary, validate_path
from surge.playbook.model import (
    SEVERITIES,
    AlertTrigger,
    ManualTrigger,
    MetricTrigger,
    OnFailure,
    Param,
    Playbook,
    Retry,
    Step,
    Trigger,
)
from surge.playbook.params import ParamError, coerce_params
from surge.playbook.parse import load_playbook

__all__ = [
    "SEVERITIES",
    "AlertTrigger",
    "ManualTrigger",
    "MetricTrigger",
    "OnFailure",
    "Param",
    "ParamError",
    "Playbook",
    "PlaybookLibrary",
    "Retry",
    "Step",
    "Trigger",
    "coerce_params",
    "load_playbook",
    "validate_path",
]
