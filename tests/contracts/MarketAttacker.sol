// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title IPredictionMarketEntryPoints
/// @notice What the attacker calls on a prediction-market trainer.
interface IPredictionMarketEntryPoints {
    function addData(bytes calldata sample, uint256 label) external payable returns (uint256 id);
    function withdraw() external returns (uint256 amount);
}

/// @title MarketAttacker
/// @notice Test-only attacker of a PredictionMarket trainer. It stakes in its own name; when the
/// market pays it, its `receive` calls `withdraw` again while the first withdrawal still runs
/// (if `reenter` is set). A market that guards against reentrancy makes the whole withdrawal
/// revert, so nothing is paid twice.
contract MarketAttacker {
    /// @notice The market under attack.
    IPredictionMarketEntryPoints public immutable market;
    /// @notice Whether `receive` re-enters `withdraw`.
    bool public reenter;

    /// @param market_ The trainer to stake in and attack.
    constructor(address market_) {
        market = IPredictionMarketEntryPoints(market_);
    }

    /// @notice Choose whether `receive` re-enters.
    function setReenter(bool reenter_) external {
        reenter = reenter_;
    }

    /// @notice Stake on `sample` (packed as `addData` takes it) with `label`, forwarding all the value sent.
    function stake(bytes calldata sample, uint256 label) external payable returns (uint256) {
        return market.addData{value: msg.value}(sample, label);
    }

    /// @notice Withdraw what the market owes this contract.
    function withdrawFromMarket() external returns (uint256) {
        return market.withdraw();
    }

    /// @notice Paid by the market: withdraw again if told to.
    receive() external payable {
        if (reenter) market.withdraw();
    }
}
