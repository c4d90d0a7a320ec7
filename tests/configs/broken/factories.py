"""Factories that go wrong, for the broken-config corpus (called with the section's other
keys as keyword arguments, here none)."""


def broken_model():
    raise ValueError("this model cannot be built")


def not_a_model():
    return 42


def broken_data():
    raise RuntimeError("the data server is down")


def no_arrays():
    return None
