"""The torch-free engine: what a pipeline is (triggers, hook sets, edits) and how it runs
(Context, points, the routine). Nothing here imports torch, numpy or the layers above."""
