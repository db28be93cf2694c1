"""What things cost.

- ``report``: every transaction a lab sends is recorded; ``lab.gas`` (a ``GasReport``) turns the
  records into tables and, from prices you give, into money (``example_prices()``).
- ``curves``: how gas grows with the model and the sample, and the largest model each design fits.
- ``reference``: the original framework's measured figures, with their provenance, beside ours.
- ``snapshot``: the committed per-operation figures (``.gas-snapshot``) that CI compares against.
"""

from .report import PRICES, GasReport, L1DataFee, TxRecord, example_prices

__all__ = ["PRICES", "GasReport", "L1DataFee", "TxRecord", "example_prices"]
