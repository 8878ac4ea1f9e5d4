"""surge's own plugins, registered exactly like third-party ones."""

from surge.plugin.builtin import (
    call_in,
    chain,
    channel_email,
    channel_webhook,
    channels,
    command,
    customers,
    hotline,
    log,
    notices,
    page,
    pagers,
    report,
    script,
    set_status,
    wait,
    webhook,
)

BUILTINS = (
    *(log, wait, set_status, webhook, command, script),
    # backup channels: the channel.* actions, hotlines and two channel providers
    *(channels, hotline, channel_webhook, channel_email),
    # paging people along the rota, and calling in extra staff
    *(pagers, page, call_in),
    # one playbook starting another; the customers an incident concerns
    *(chain, customers),
    # the post-incident report, sent on resolve
    *(report,),
    # status notices and the banner
    notices,
)
