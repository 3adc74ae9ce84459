"""Pictures for people: overlays of results on the mammogram (PNG), for a quick look without Slicer."""
