"""The public side of notices: the status page, Statuspage-compatible JSON, the Atom
history, the banner and the static export, all rendered from one ``StatusView``.

Everything here is a pure function from a view to bytes (``render``), gathered into one
``Snapshot`` of files (``snapshot``); the server answers from the snapshot it holds in
memory (``cache``) and the export writes the same files to a folder (``export``).
"""
