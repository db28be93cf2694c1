"""Who takes part in a simulation: contributors with a label policy and a claiming policy, and the
market's provider.

An agent is a plain, frozen description; the scheduler (``_scheduler``) gives each its own seeded
``numpy.random.Generator`` and its lab account. Amounts are in wei, times in seconds. The fields
follow the original simulation (microsoft/0xDeCA10B, ``simulate.py``): waits and deposit budgets
are normal draws, redrawn until positive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, whole_number


# -- label policies ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Honest:
    """The true label; wrong with probability ``mistake_rate`` (an honest slip)."""

    mistake_rate: float = 0.0
    kind = "honest"

    def label(self, sample: tuple[int, ...], truth: int, rng: np.random.Generator, n_classes: int) -> int:
        if self.mistake_rate and rng.random() < self.mistake_rate:
            return _other(truth, rng, n_classes)
        return truth


@dataclass(frozen=True)
class Flip:
    """Always a wrong label: the attacker of the original's experiments."""

    kind = "flip"

    def label(self, sample: tuple[int, ...], truth: int, rng: np.random.Generator, n_classes: int) -> int:
        return _other(truth, rng, n_classes)


@dataclass(frozen=True)
class RandomLabels:
    """A label drawn uniformly, whatever the truth (noise rather than an attack)."""

    kind = "random"

    def label(self, sample: tuple[int, ...], truth: int, rng: np.random.Generator, n_classes: int) -> int:
        return int(rng.integers(n_classes))


@dataclass(frozen=True)
class Targeted:
    """Wrong labels only on chosen samples (those containing any of ``features``, for sparse
    samples), the truth elsewhere: an attacker who wants one kind of input misclassified while
    looking honest on the rest."""

    features: frozenset[int] = frozenset()
    kind = "targeted"

    def label(self, sample: tuple[int, ...], truth: int, rng: np.random.Generator, n_classes: int) -> int:
        if self.features.intersection(sample):
            return _other(truth, rng, n_classes)
        return truth


LabelPolicy = Honest | Flip | RandomLabels | Targeted


def _other(truth: int, rng: np.random.Generator, n_classes: int) -> int:
    """A wrong label: the other class of two, or a random other one of more."""
    if n_classes == 2:
        return 1 - truth
    return int((truth + 1 + rng.integers(n_classes - 1)) % n_classes)


# -- claiming ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claims:
    """What an agent claims, each at the moment the chain allows it (never by trial and error).

    - ``refund_own``: get back its deposit (Points: validate) when the refund wait ends and the
      model agrees with the label;
    - ``take_others``: take its share of others' deposits (Points: report them) that the model
      disagrees with when their refund wait ends;
    - ``take_leftovers``: take whatever is left of any deposit after the long wait.
    """

    refund_own: bool = True
    take_others: bool = True
    take_leftovers: bool = True


# -- agents --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Agent:
    """A contributor: its lab account, money, rhythm, what it labels and what it claims.

    ``account`` is the lab account's alias (``"alice"``). ``start_balance`` is set on chain before
    the run (surplus goes to the lab's first account). Every ``mean_wait`` seconds on average
    (normal, ``wait_sd``) it takes the next sample of the shared stream, labels it with ``labels``,
    and sends it if the deposit asked (DRT) is within its budget, a normal draw of ``mean_deposit``
    (``deposit_sd``), and its balance. In a prediction market the budget draw is its stake.
    """

    account: str
    start_balance: int
    mean_wait: int
    mean_deposit: int
    deposit_sd: float = 0.0
    wait_sd: float = 1.0
    labels: LabelPolicy = field(default_factory=Honest)
    claims: Claims = field(default_factory=Claims)
    role: str = "honest"

    def __post_init__(self) -> None:
        whole_number("start_balance", self.start_balance, 1, hint=" It is in wei.")
        whole_number("mean_wait", self.mean_wait, 1, hint=" It is in seconds: write e.g. minutes(10).")
        whole_number("mean_deposit", self.mean_deposit, 1, hint=" It is the most wei the agent pays per contribution.")
        if self.deposit_sd < 0 or self.wait_sd < 0:
            raise ConfigError(f"agent {self.account}: deposit_sd and wait_sd must not be negative.")

    def next_wait(self, rng: np.random.Generator) -> int:
        """Seconds until the next contribution: a normal draw, redrawn until at least 1."""
        while True:
            wait = int(rng.normal(self.mean_wait, self.wait_sd))
            if wait >= 1:
                return wait

    def budget(self, rng: np.random.Generator) -> int:
        """The most wei it pays for this contribution: a normal draw, redrawn until positive."""
        while True:
            budget = int(rng.normal(self.mean_deposit, self.deposit_sd))
            if budget > 0:
                return budget


@dataclass(frozen=True)
class Provider:
    """The prediction market's provider: posts ``bounty`` wei and commits to a test set of at most
    ``test_samples`` held-out samples in ``pieces`` salted pieces; scores the contributions at the
    end (earning the scoring fees) and withdraws what is left."""

    account: str
    bounty: int
    pieces: int = 10
    test_samples: int = 300

    def __post_init__(self) -> None:
        whole_number("bounty", self.bounty, 1, hint=" It is in wei.")
        whole_number("test_samples", self.test_samples, 2)
