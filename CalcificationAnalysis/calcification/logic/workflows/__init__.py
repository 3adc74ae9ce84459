"""What the panels and commands do, one call each, built on the core and the MRML bridge.

Segmentation and analysis:

- :mod:`.segmentation_workflow` -- segment a volume node into the calcification segments (the panel's Segment)
- :mod:`.analysis_workflow` -- measure, cluster and classify a segmentation into table nodes; export the tables and
  the report (the panel's Analyze and Export)
- :mod:`.file_workflow` -- from a mammogram file to segmentation files (``calcification segment``)
- :mod:`.analysis_files` -- from mammogram files to every result file and the batch tables (``calcification analyze``)
- :mod:`.output_names` -- result file names from patient, side and view, unique in a batch
- :mod:`.shared_tables` -- tables several runs share in one folder, merged under a lock
- :mod:`.archive_run` -- the same over an archive on a Dask cluster: one task per image, manifest, resume
- :mod:`.dicom_results` -- the DICOM SEG and TID 1500 SR of an analysed image
- :mod:`.dicomweb_analysis` -- studies from a PACS through DICOMweb, results stored back (``analyze --dicomweb``)
- :mod:`.segmenter_evaluation_workflow` -- measure a segmenter on held-out cases (``evaluate-segmenter``)

Annotation:

- :mod:`.level_tracing` -- click a calcification, get its outline
- :mod:`.annotation_session` -- one reader's session: outlines with undo/redo, points, candidate review
- :mod:`.annotation_files` -- the same from files (``trace``, ``candidates``, ``agreement``)
- :mod:`.editor_effect_support` -- the array work of the "Calcification trace" Segment Editor effect
- :mod:`.agreement_nodes` -- agreement of two readers' segmentations as a table node

Data:

- :mod:`.annotated_case_reader` -- one annotated case (scene or image + segmentation) into arrays
- :mod:`.annotated_dataset` -- a site's annotated cases: find, check, load (``check-dataset``)
- :mod:`.synthetic_dataset` -- synthetic training cases written as the product reads them
- :mod:`.sample_data` -- the sample mammogram for Slicer's Sample Data module
"""
