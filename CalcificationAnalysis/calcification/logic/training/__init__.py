"""Training as the CalcificationTraining panel and the training commands run it. No module here touches MRML (the
training curves' nodes are in :mod:`..mrml.training_curves`).

- :mod:`.training_process` -- ``train-segmenter`` as a separate process: its command line, JSON-line events, runner
- :mod:`.classifier_training_data` -- the classifier's training table: ``features.csv`` joined with a labels CSV
- :mod:`.synthetic_features` -- classifier training data without patients: synthetic cases measured as ``analyze`` does
- :mod:`.classifier_training` -- train and save a classifier in one call (``train-classifier``)
- :mod:`.classifier_evaluation` -- compare the seven classifiers of Tong et al. 2024 (``evaluate-classifier``)
"""
