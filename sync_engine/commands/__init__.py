"""One module per ``b24sync`` sub-command."""


class CliError(Exception):
    """A user-facing error: printed as ``b24sync: error: <message>`` with exit code 2."""
