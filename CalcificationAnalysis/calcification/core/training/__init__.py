"""Training of the segmentation networks (Tong et al. 2024): losses, augmentations, crop sampling, patient-grouped
folds and the fold trainer. Heavy imports (torch) stay inside the modules that need them."""
