"""The logic layer: everything a panel action, a command or a console call does, one call each; runs on
``slicer-core`` and inside Slicer. Nothing here touches ``slicer.app``, ``slicer.mrmlScene``, ``slicer.modules``, qt
or ctk: every function takes the scene or the nodes explicitly.

- :mod:`.mrml` -- the MRML bridge: the only code that converts between MRML nodes and arrays, and saves or loads
  nodes and scenes.
- :mod:`.workflows` -- what the panels and commands do, built on the core and the bridge: segment, analyse, export,
  annotate, evaluate, write data sets.
- :mod:`.training` -- training the network and the classifier as the panels and commands run it; no MRML.
- :mod:`.model_choices` -- what the panels' lists show (methods, models, classifiers, presets, algorithms) and how a
  panel's settings become a :class:`~calcification.core.segmentation.SegmenterChoice`.
- :mod:`.errors` -- the error types panels catch (panels reach the library only through this layer).
"""
