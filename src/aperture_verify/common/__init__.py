"""Small rules every layer shares: durations, timestamps, secrets, file writes."""
