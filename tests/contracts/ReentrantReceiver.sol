// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title ITrainerEntryPoints
/// @notice The paying entry points of a CollaborativeTrainer that an attacker may try to re-enter.
interface ITrainerEntryPoints {
    function addData(bytes calldata sample, uint256 label) external payable returns (uint256 id);
    function refund(bytes calldata sample, uint256 label, uint256 id) external;
    function report(bytes calldata sample, uint256 label, uint256 id, address contributor) external;
}

/// @title ReentrantReceiver
/// @notice Test-only attacker. It contributes through a trainer in its own name; whenever the
/// trainer pays it (the excess of a deposit, a refund), its `receive` tries to call the trainer
/// again — `refund` or `report` of its own last contribution — while the paying call is still
/// running. A trainer that guards against reentrancy makes the whole transaction revert. With
/// `Reject` it refuses the payment without a reason, as a contract without `receive` would.
contract ReentrantReceiver {
    /// @notice What `receive` does when paid.
    enum Attack {
        None,
        Refund,
        Report,
        Reject
    }

    /// @notice The trainer under attack.
    ITrainerEntryPoints public immutable trainer;
    /// @notice The attack `receive` runs.
    Attack public attack;
    /// @notice How many payments `receive` accepted.
    uint256 public paymentsReceived;

    bytes private _sample;
    uint256 private _label;
    uint256 private _id;

    /// @param trainer_ The trainer to contribute to and attack.
    constructor(address trainer_) {
        trainer = ITrainerEntryPoints(trainer_);
    }

    /// @notice Choose what `receive` does from now on.
    /// @param attack_ The attack.
    function setAttack(Attack attack_) external {
        attack = attack_;
    }

    /// @notice Contribute `sample` (in words) with `label`, forwarding all the value sent.
    /// @return id The contribution's id.
    function contribute(bytes calldata sample, uint256 label) external payable returns (uint256 id) {
        _sample = sample;
        _label = label;
        id = trainer.addData{value: msg.value}(sample, label);
        _id = id;
    }

    /// @notice Claim the refund of the last contribution.
    function claimRefund() external {
        trainer.refund(_sample, _label, _id);
    }

    /// @notice Take from the last contribution (its own: allowed after the trainer's take wait).
    function takeOwn() external {
        trainer.report(_sample, _label, _id, address(this));
    }

    /// @notice Paid by the trainer: re-enter it (or refuse) if an attack is set.
    receive() external payable {
        paymentsReceived += 1;
        if (attack == Attack.Refund) {
            trainer.refund(_sample, _label, _id);
        } else if (attack == Attack.Report) {
            trainer.report(_sample, _label, _id, address(this));
        } else if (attack == Attack.Reject) {
            revert();
        }
    }
}
