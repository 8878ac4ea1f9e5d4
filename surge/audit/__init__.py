"""The audit log: every change someone makes (or is denied), who, when, what, from where.

``AuditLog.record(actor, action, target, detail)`` is the one call every part uses, from
an HTTP handler (``surge.web.audit.audit``) or a command working on the store directly
(``cli_actor()``). Entries are only ever appended; secrets are masked before they are kept.
"""
