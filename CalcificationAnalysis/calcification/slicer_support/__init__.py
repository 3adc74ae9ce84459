"""Helpers the Slicer module files share that need no Qt: checking which Python packages are missing."""
