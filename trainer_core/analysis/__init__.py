"""Torch-free observers of a run and of hook sources: value sizes, lifecycle checks, which
ctx attributes each hook reads and writes, and golden recordings of hook behaviour."""
