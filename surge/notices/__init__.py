"""Status notices: components, versioned notices from approved scripts, the banner, and
the read model the public pages are built from (see docs/notices.md)."""
