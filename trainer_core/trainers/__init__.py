"""The FederatedScope-shaped trainers: the torch-free base, the PyTorch trainer with its
default hooks, the multi-model trainer, and what they build from their settings."""
