"""One module per ``b24sync`` sub-command."""
