"""Hessian-DoG candidates judged by a learned false-positive filter (Marasinou et al. 2023's two-stage design):
the working grid every candidate is found on (:mod:`.working_grid`), the features of each candidate
(:mod:`.candidate_features`), the filter itself and its store (:mod:`.candidate_filter`), and the training table
built from real normals, real normals with blended calcifications and synthetic cases (:mod:`.training_table`)."""
