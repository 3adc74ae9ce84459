"""MRML bridge: the only layer that converts between MRML nodes and arrays (runs on ``slicer-core`` and in Slicer).

Every function takes the scene or the nodes explicitly; nothing here touches ``slicer.app``, ``slicer.mrmlScene``,
``slicer.modules``, qt or ctk. Modules:

- :mod:`.scene_factory` -- ``create_headless_scene()``, ``segmentations_logic_for(scene)``
- :mod:`.volume_nodes` -- ``volume_node_from_mammogram``, ``mammogram_from_volume_node``, ``array_from_volume_node``,
  ``update_volume_node_from_array``
- :mod:`.segmentation_nodes` -- ``create_calcification_segmentation``, ``ensure_calcification_segment``,
  ``set_segment_mask``, ``segment_mask``, ``labels_to_segments``
- :mod:`.table_nodes` -- ``table_node_from_columns``, ``columns_from_table_node``
- :mod:`.scene_storage` -- ``save_segmentation`` (.seg.nrrd), ``save_table_csv``, ``save_volume``,
  ``save_scene_bundle`` / ``load_scene_bundle`` (.mrb), ``atomic_destination``
- :mod:`.mrml_imports` -- ``slicer``, ``vtk``, ``numpy_support`` and the classes that live elsewhere in Slicer
"""
