"""The GAN: architectures by name (`models`) and the compiled trainer that yields snapshots (`trainer`).

Importing this package is cheap; TensorFlow loads when `models` or `trainer` is imported.
"""
