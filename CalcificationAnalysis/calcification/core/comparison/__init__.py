"""Comparison of a mammogram with the prior exam of the same breast and view: registration, matching of
calcifications and clusters, and a change status per cluster (new, increased, stable, decreased, resolved)."""
