"""Tooling around the lab rather than in it.

- ``build``: compiles ``contracts/`` into the committed artifacts, and checks they are fresh.
- ``cli``: the ``dcai-lab`` command (build, demo, gas-snapshot, lab, simulate, sweep).
- ``pytest_plugin``: ``lab`` fixtures and a gas summary for anyone's pytest suite.
"""
