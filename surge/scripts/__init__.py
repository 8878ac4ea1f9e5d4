"""Response scripts: agreed, multi-locale wording with rules, rendered and checked."""

from surge.scripts.library import ScriptLibrary, validate_path
from surge.scripts.model import LOCALES, Rules, Script
from surge.scripts.parse import load_script
from surge.scripts.rules import Rendered, ScriptError, Violation, approved_wording, check, render

__all__ = [
    "LOCALES",
    "Rendered",
    "Rules",
    "Script",
    "ScriptError",
    "ScriptLibrary",
    "Violation",
    "approved_wording",
    "check",
    "load_script",
    "render",
    "validate_path",
]
