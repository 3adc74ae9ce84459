"""DICOMweb with a PACS (dicomweb-client): credentials, finding and fetching a study's mammograms (QIDO-RS,
WADO-RS) and storing result objects (STOW-RS) without storing one twice."""
