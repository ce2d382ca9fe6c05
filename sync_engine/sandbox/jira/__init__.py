"""A local JIRA (Server/DC and Cloud flavours) that the unmodified ``jira`` library cannot tell from the real one."""
