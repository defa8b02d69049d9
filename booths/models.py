"""Models of the booths app."""
