"""MRML bridge: the only code that converts between MRML nodes and arrays, and stores nodes and scenes.

- :mod:`.mrml_imports` -- MRML and VTK classes, found the same way in Slicer and with ``slicer-core``
- :mod:`.scene_factory` -- a headless scene with the segmentations, markups and tables logics; the application's
  logic inside Slicer
- :mod:`.volume_nodes` -- scalar volume nodes <-> mammograms (the only place pixels enter or leave a volume node)
- :mod:`.segmentation_nodes` -- the "Calcification" and "Vascular calcification" segments, masks in and out
- :mod:`.segment_patches` -- read and write a small rectangle of a segment (what makes a click cheap)
- :mod:`.probability_nodes` -- the network's probability map as a volume node
- :mod:`.table_nodes` -- table nodes from columns with descriptions and units, and back
- :mod:`.cluster_markups` -- cluster outlines as closed-curve markups
- :mod:`.point_annotations` -- specks too small to outline, as markup points
- :mod:`.training_curves` -- training events as a table node, a plot chart and progress with a time estimate
- :mod:`.scene_storage` -- .seg.nrrd, .csv, volumes and .mrb bundles, each written atomically
"""
