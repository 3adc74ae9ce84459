"""Reading the product's DICOM results back: its SEG (the calcification segments on the source image's grid) and its
TID 1500 SR (the cluster measurements), for Slicer's DICOM module (the extension's DICOM plugin) and for scripts."""
