"""An EVM to talk to, and the contracts on it: the bottom of the lab, which knows nothing of models.

- ``engines``: one small interface, three implementations (py-evm, revm, any JSON-RPC node).
- ``anvil``: starts a local anvil node configured like the in-memory chains.
- ``contract``: ``Contract``, a handle whose functions are the contract's own.
- ``_abi``: encoding calls, decoding results, events and reverts.
- ``_artifacts``: the compiled contracts shipped in the package (``dcai_lab/artifacts``).
"""
