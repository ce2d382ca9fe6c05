"""The sync service (``b24sync serve``): webhooks in, durable jobs and timers, a control API."""
