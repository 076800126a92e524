"""A small credit-risk model: the ML component that mltestkit's example project tests."""
