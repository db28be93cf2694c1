"""A model anyone may train: the handle on a deployed trainer contract.

``lab.deploy(model, incentive=…)`` deploys the model joined to an incentive mechanism as one
contract (``<Model>With<Mechanism>``, see contracts/trainers/CollaborativeTrainer.sol), loads the
parameters in chunks, then freezes them and hands ownership to the trainer itself. The handle adds
data, predicts for free, refunds and reports, and rebuilds every contribution from the chain's
events. ``lab.attach(address)`` checks a trainer someone else deployed (``dcai_lab.trainers.registry``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from eth_account import Account as _EthAccount
from eth_utils import keccak

from ..chain.engines._base import HD_PATH, MNEMONIC, N_ACCOUNTS
from ..errors import ArgumentTypeError, ConfigError, whole_number
from ..models import _samples
from ..models._base import OnChainModel
from .deployed_model import DeployedModel

if TYPE_CHECKING:
    from ..chain.contract import Contract
    from ..gas.report import TxRecord
    from ..lab import Lab

__all__ = ["Contribution", "ContributionStatus", "SignedContribution", "Trainer"]


@dataclass(frozen=True)
class Contribution:
    """One contribution, as its ``ContributionAdded`` event recorded it.

    ``sample`` is in the model's compact form (sorted feature indices, or values × 1e9);
    ``deposit`` is in wei; ``added_at`` is the block time. Pass it to ``refund``/``report``.
    """

    id: int
    contributor: str
    label: int
    sample: tuple[int, ...]
    deposit: int
    payer: str
    added_at: int
    block_number: int


@dataclass(frozen=True)
class ContributionStatus:
    """What is left of a contribution now: unclaimed wei, and whether it was settled."""

    remaining: int
    settled: bool


@dataclass(frozen=True)
class SignedContribution:
    """A contributor's EIP-712 signature of a sample, for a sponsor to submit (``add_data_for``)."""

    sample: tuple[int, ...]
    label: int
    contributor: str
    deadline: int
    signature: bytes


class Trainer:
    """A deployed model with an incentive mechanism; see ``lab.deploy(model, incentive=…)``."""

    #: What a contributor does to settle their own contribution (the contract's ``refund``).
    settle_verb = "refund"

    def __init__(self, lab: Lab, contract: Contract, model_class: type[OnChainModel],
                 incentive_name: str) -> None:
        self.lab = lab
        self.contract = contract
        self.incentive_name = incentive_name
        self._model = DeployedModel(lab, contract, model_class)
        self._to_sample = self._model._to_sample
        self._encode = self._model._encode  # packed, as the contract takes samples
        self._sparse = model_class.sparse

    @property
    def address(self) -> str:
        return self.contract.address

    # -- contributing ----------------------------------------------------------------------------
    def next_cost(self) -> int:
        """The deposit (wei) that a contribution sent as the next transaction pays."""
        return int(self.contract.costAt(self.lab.timestamp + 1)) if hasattr(self.contract, "costAt") else 0

    def add_data(self, x: Any, y: int, *, sender: str | None = None, value: int | None = None) -> Contribution:
        """Contribute one labelled sample, paying ``value`` wei (default: exactly ``next_cost()``;
        any excess comes back in the same transaction). Returns the recorded contribution."""
        sample, label = self._checked(x, y)
        self.contract.addData(self._encode(sample), label, sender=sender,
                              value=self.next_cost() if value is None else value)
        return self._added(self.lab.last_tx)

    def sign_contribution(self, x: Any, y: int, contributor: str, *, deadline: int | None = None,
                          private_key: bytes | str | None = None) -> SignedContribution:
        """The contributor's signature that lets a sponsor submit ``(x, y)`` for them.

        Sign with ``private_key``, or leave it out for one of the lab's development accounts.
        The signature is valid until block time ``deadline`` (default: one day from now) and for
        the contributor's next contribution only (a nonce prevents replay).
        """
        sample, label = self._checked(x, y)
        contributor = self.lab._address(contributor)
        deadline = self.lab.timestamp + 86_400 if deadline is None else whole_number(
            "deadline", deadline, self.lab.timestamp,
            hint=" It is a block time, the last at which the signature counts, e.g. lab.timestamp + days(1).")
        key = _signing_key(private_key, contributor) if private_key is not None else _development_key(contributor)
        typed = {
            "types": {
                "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                 {"name": "chainId", "type": "uint256"},
                                 {"name": "verifyingContract", "type": "address"}],
                "Contribution": [{"name": "sampleHash", "type": "bytes32"}, {"name": "label", "type": "uint256"},
                                 {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}],
            },
            "primaryType": "Contribution",
            "domain": {"name": "CollaborativeTrainer", "version": "1", "chainId": self.lab._engine.chain_id,
                       "verifyingContract": self.address},
            "message": {"sampleHash": keccak(self._encode(sample)), "label": label,
                        "nonce": self.contract.nonces(contributor), "deadline": deadline},
        }
        signed = _EthAccount.sign_typed_data(key, full_message=typed)
        return SignedContribution(sample, label, contributor, deadline, bytes(signed.signature))

    def add_data_for(self, signed: SignedContribution, *, sender: str | None = None,
                     value: int | None = None) -> Contribution:
        """Submit a contribution someone else signed: ``sender`` pays, the contributor is credited."""
        if not isinstance(signed, SignedContribution):
            raise ArgumentTypeError(f"add_data_for takes what sign_contribution returned, not {signed!r}.")
        self.contract.addDataFor(self._encode(signed.sample), signed.label, signed.contributor, signed.deadline,
                                 signed.signature, sender=sender,
                                 value=self.next_cost() if value is None else value)
        return self._added(self.lab.last_tx)

    def refund(self, contribution: Contribution, *, sender: str | None = None) -> TxRecord:
        """Claim back your deposit (or, with Points, validate for a point).

        Only the contributor can: the contract finds a contribution by the account that sends
        this, so the handle says so before anything is sent."""
        c = _given(contribution, self.settle_verb)
        self._check_contributor(c, sender)
        self.contract.refund(self._encode(c.sample), c.label, c.id, sender=sender)
        return self.lab.last_tx

    def report(self, contribution: Contribution, *, sender: str | None = None) -> TxRecord:
        """Take from (or, with Points, report) a contribution the model now disagrees with."""
        c = _given(contribution, "report")
        self.contract.report(self._encode(c.sample), c.label, c.id, c.contributor, sender=sender)
        return self.lab.last_tx

    def status(self, contribution: Contribution) -> ContributionStatus:
        """Unclaimed wei and the settled flag of a contribution, read from the chain."""
        c = _given(contribution, "status")
        _deposit, remaining, _added_at, settled = self.contract.contribution(
            self._encode(c.sample), c.label, c.contributor, c.id)
        return ContributionStatus(remaining, settled)

    # -- the model -------------------------------------------------------------------------------
    def predict(self, x: Any) -> int:
        """The on-chain model's prediction for one sample (a free call)."""
        return self._model.predict(x)

    def local_model(self) -> OnChainModel:
        """A twin rebuilt from the contract's current parameters: free, identical predictions."""
        return self._model.local_model()

    # -- history ---------------------------------------------------------------------------------
    def contributions(self) -> list[Contribution]:
        """Every contribution, rebuilt from the chain's ``ContributionAdded`` events alone."""
        found = []
        for log in self.lab._engine.logs(self.address):
            event = self.contract._decode_log(log)
            if event is not None and event.name == "ContributionAdded":
                found.append(self._contribution(event, log.block_number, log.timestamp))
        return found

    def dataset(self) -> tuple[list[tuple[int, ...]] | np.ndarray, np.ndarray]:
        """``(X, y)`` of every contribution in order, ready for a twin's ``partial_fit``: the present
        feature indices of each sample (sparse models) or the real values (dense models: the
        stored values ÷ SCALE, which convert back to exactly the stored integers)."""
        contributions = self.contributions()
        y = np.array([c.label for c in contributions], dtype=int)
        if self._sparse:
            return [c.sample for c in contributions], y
        X = np.array([c.sample for c in contributions], dtype=float).reshape(len(contributions), -1)
        return X / _samples.SCALE, y

    def history(self) -> pd.DataFrame:
        """The contributions as a table (one row each)."""
        name = self.lab.accounts.name_of
        rows = [{"id": c.id, "contributor": name(c.contributor), "label": c.label, "features": len(c.sample),
                 "deposit (wei)": c.deposit, "added at": c.added_at} for c in self.contributions()]
        return pd.DataFrame(rows).set_index("id") if rows else pd.DataFrame()

    # -- helpers ---------------------------------------------------------------------------------
    def _check_contributor(self, c: Contribution, sender: str | None) -> None:
        """Refuse, with what to do instead, a refund sent by anyone but the contributor."""
        sent_by = self.lab._sender(sender)
        if sent_by == c.contributor:
            return
        accounts = self.lab.accounts
        who = accounts.name_of(c.contributor)
        send_as = f"lab.accounts.{who}" if who != c.contributor else repr(c.contributor)
        default = " (the default sender)" if sender is None else ""
        raise ConfigError(
            f"only {who} may {self.settle_verb} contribution {c.id}, not {accounts.name_of(sent_by)}{default}: the "
            f"trainer looks a contribution up by the account that sends the transaction, so send it with "
            f"sender={send_as}. Others may report it (trainer.report) once the model disagrees with it.")

    def _checked(self, x: Any, y: int) -> tuple[tuple[int, ...], int]:
        (label,) = _samples.labels([y], self._model.n_classes)
        return self._to_sample(x), label

    def _added(self, record: TxRecord) -> Contribution:
        event = next(e for e in record.events if e.name == "ContributionAdded")
        return self._contribution(event, record.block, record.timestamp)

    def _contribution(self, event, block_number: int, timestamp: int) -> Contribution:
        a = event.args
        return Contribution(id=a["id"], contributor=a["contributor"], label=a["label"],
                            sample=_samples.unpack(a["sample"], self._sparse), deposit=a["deposit"], payer=a["payer"],
                            added_at=timestamp, block_number=block_number)

    def __repr__(self) -> str:
        return f"<trainer {self.contract.contract_name} at {self.address}>"


@functools.cache
def _development_keys() -> dict[str, bytes]:
    """The lab's development accounts' private keys (the well-known test mnemonic), by address."""
    _EthAccount.enable_unaudited_hdwallet_features()
    accounts = (_EthAccount.from_mnemonic(MNEMONIC, account_path=f"{HD_PATH}/{i}") for i in range(N_ACCOUNTS))
    return {account.address: bytes(account.key) for account in accounts}


def _given(contribution: Any, action: str) -> Contribution:
    """``contribution`` if it is one; else what to pass instead (an id is the usual mistake)."""
    if isinstance(contribution, Contribution):
        return contribution
    example = f"trainer.contributions()[{contribution}]" if isinstance(contribution, int) else \
        "trainer.contributions()[0]"
    raise ArgumentTypeError(f"{action} takes a Contribution (what add_data returned, or e.g. {example}), "
                            f"not {contribution!r}.")


def _signing_key(private_key: Any, contributor: str) -> bytes:
    """``private_key`` as bytes, after checking that it is the contributor's."""
    try:
        signer = _EthAccount.from_key(private_key)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"private_key is not a private key (32 bytes, or 64 hex digits): {error}") from error
    if signer.address != contributor:
        raise ConfigError(f"this private_key belongs to {signer.address}, not to the contributor {contributor}: "
                          "the contract would refuse the signature.")
    return bytes(signer.key)


def _development_key(address: str) -> bytes:
    if address not in _development_keys():
        raise ConfigError(f"{address} is not one of the lab's development accounts: pass private_key= to sign.")
    return _development_keys()[address]
