"""surge's own plugins, registered exactly like third-party ones."""

from surge.plugin.builtin import (
    call_in,
    command,
    log,
    page,
    pagers,
    script,
    set_status,
    wait,
    webhook,
)

BUILTINS = (log, wait, set_status, webhook, command, script, pagers, page, call_in)
