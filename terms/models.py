"""Models of the terms app."""
