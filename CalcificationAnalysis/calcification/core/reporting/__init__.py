"""Human-readable output of an analysis: pictures of the mammogram with outlines and cluster boxes, zoomed cluster
crops, and one self-contained HTML page (:func:`.html_report.write_html_report`)."""
