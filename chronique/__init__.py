"""chronique."""
