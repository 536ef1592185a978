"""VideoQuality training pipeline: data from vqbench, detector and enhancer models, ONNX export, evaluation."""
