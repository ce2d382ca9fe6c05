"""Studio pages: Connections, Profiles, Monitor."""
