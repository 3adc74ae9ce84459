"""Network inference over whole mammograms: tiling with smooth blending, and the model-ensemble segmenter."""
