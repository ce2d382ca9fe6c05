"""The sync engine proper: planning (pure) and applying (the only code that writes remotely)."""
