// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";

/// @title DepositRefundTake
/// @notice Self-assessment with money at stake (the "Deposit, Refund, and Take" mechanism of
/// microsoft/0xDeCA10B, Harris & Waggoner 2019). Every contribution pays a deposit. Who trusts
/// their data waits `refundWait` seconds: if the model still agrees with the label, they get the
/// deposit back and one "validated" contribution to their name. If the model disagrees, others
/// who have validated data may each take a share of the deposit, in proportion to how much good
/// data they have contributed. After `takeWait` anyone, the contributor included, takes what is
/// left, so no deposit stays locked forever.
///
/// Rules (the original's, with its `≥` comparisons):
///   deposit  = costWeight · 3600 / ⌊√Δt⌋ wei, Δt = seconds since the last contribution (⌊√Δt⌋
///              taken as 1 when Δt = 0; 0 when costWeight = 0). Data arriving in a rush costs more.
///   refund   only the contributor, once, when now ≥ addedAt + refundWait and predict = label; pays
///            everything left of the deposit.
///   take     another address with validated(taker) > 0, once per taker, when now ≥ addedAt +
///            refundWait and predict ≠ label: min(left, ⌊deposit · validated(taker) /
///            totalValidated⌋). When now ≥ addedAt + takeWait: anyone, everything left.
///
/// The original also let the owner take everything after an "owner claim" wait. Its owner was
/// the trainer contract itself, so that branch could never run. It is dropped here, not repaired:
/// an owner who may take deposits is a party that users must trust, and the `takeWait` rule
/// already guarantees that nothing stays locked.
abstract contract DepositRefundTake is CollaborativeTrainer {
    /// @notice Total validated contributions of all addresses (shares are measured against it).
    uint64 public totalValidated;
    /// @notice Weight of the deposit, in wei: an hour after the last contribution the deposit is 60 times it.
    uint256 public immutable costWeight;
    /// @notice Seconds after adding before a refund or a take is possible.
    uint256 public immutable refundWait;
    /// @notice Seconds after adding before anyone may take everything left.
    uint256 public immutable takeWait;
    /// @notice Validated (refunded) contributions per address.
    mapping(address => uint256) public validated;
    /// @dev Bit `id % 256` of word `id / 256` says that the taker already took from contribution
    /// `id`. A taker who takes from neighbouring contributions rewrites one warm-ish slot (5,000
    /// gas) instead of creating a fresh one (22,100 gas) each time.
    mapping(address => mapping(uint256 => uint256)) private _tookBits;

    /// @notice The waits must satisfy refundWait < takeWait (at refundWait == takeWait anyone could
    /// take a deposit the model agrees with in the same instant its owner may first refund it),
    /// and costWeight · 3600 must fit 96 bits.
    error InvalidParameters(uint256 costWeight, uint256 refundWait, uint256 takeWait);
    /// @notice `paid` wei is less than the deposit `cost`.
    error DepositTooSmall(uint256 paid, uint256 cost);
    /// @notice Too early: refunds and takes open at `readyAt`.
    error TooEarly(uint256 readyAt);
    /// @notice The model predicts `prediction`, not the contribution's label: no refund.
    error ModelDisagrees(uint256 prediction, uint256 label);
    /// @notice The model still predicts the contribution's label: nothing to take.
    error ModelAgrees(uint256 label);
    /// @notice Contribution `id` was already refunded.
    error AlreadyRefunded(uint256 id);
    /// @notice Nothing is left of contribution `id`'s deposit (others took it all).
    error NothingLeft(uint256 id);
    /// @notice Only others may take a deposit before `takeWait` has passed (at `openToAllAt`).
    error CannotTakeOwnDeposit(uint256 openToAllAt);
    /// @notice Only an address with validated contributions may take.
    error NoValidatedContributions(address taker);
    /// @notice `taker` already took from contribution `id`.
    error AlreadyTook(uint256 id, address taker);
    /// @notice The taker's share of contribution `id` rounds down to zero wei.
    error ShareRoundsToZero(uint256 id);

    /// @notice `contributor` got `amount` wei back for contribution `id`, which now counts as validated.
    event Refunded(uint256 indexed id, address indexed contributor, uint256 amount);
    /// @notice `taker` took `amount` wei of contribution `id`'s deposit.
    event Taken(uint256 indexed id, address indexed taker, uint256 amount);

    /// @param costWeight_ Weight of the deposit in wei (0: contributions are free).
    /// @param refundWait_ Seconds before a refund or a take.
    /// @param takeWait_ Seconds before anyone may take everything left.
    constructor(uint256 costWeight_, uint256 refundWait_, uint256 takeWait_) {
        if (refundWait_ >= takeWait_ || takeWait_ > type(uint40).max || costWeight_ > type(uint96).max / 3600) {
            revert InvalidParameters(costWeight_, refundWait_, takeWait_);
        }
        costWeight = costWeight_;
        refundWait = refundWait_;
        takeWait = takeWait_;
    }

    /// @notice The deposit a contribution added at block time `timestamp` pays.
    /// @param timestamp A block time, not before the last contribution.
    /// @return The deposit in wei.
    function costAt(uint256 timestamp) public view returns (uint256) {
        if (costWeight == 0) return 0;
        uint256 quiet = timestamp - lastContributionAt;
        uint256 divisor = quiet == 0 ? 1 : _sqrt(quiet);
        return costWeight * 3600 / divisor;
    }

    /// @notice The deposit a contribution pays in the current block.
    function nextCost() external view returns (uint256) {
        return costAt(block.timestamp);
    }

    /// @notice Get back the deposit of your contribution `id`, which the model still agrees with.
    /// @param sample The sample as bytes, exactly as added.
    /// @param label The label it was added with.
    /// @param id The contribution's id.
    function refund(bytes calldata sample, uint256 label, uint256 id) external nonReentrant {
        Contribution storage c = _contributionOf(sample, label, msg.sender, id);
        if (c.settled) revert AlreadyRefunded(id);
        uint256 readyAt = c.addedAt + refundWait;
        if (block.timestamp < readyAt) revert TooEarly(readyAt);
        uint256 amount = c.remaining;
        // A free contribution (costWeight 0, or a deposit that rounded to 0) can still be
        // validated; a deposit that others took entirely cannot be refunded.
        if (amount == 0 && c.deposit != 0) revert NothingLeft(id);
        uint256 prediction = _predict(sample);
        if (prediction != label) revert ModelDisagrees(prediction, label);
        c.remaining = 0;
        c.settled = true;
        validated[msg.sender] += 1;
        totalValidated += 1;
        emit Refunded(id, msg.sender, amount);
        _pay(msg.sender, amount);
    }

    /// @notice Take a share of the deposit of `contributor`'s contribution `id`, which the model
    /// now disagrees with (or everything left, after `takeWait`).
    /// @param sample The sample as bytes, exactly as added.
    /// @param label The label it was added with.
    /// @param id The contribution's id.
    /// @param contributor Who added it.
    function report(bytes calldata sample, uint256 label, uint256 id, address contributor) external nonReentrant {
        Contribution storage c = _contributionOf(sample, label, contributor, id);
        uint256 left = c.remaining;
        if (left == 0) revert NothingLeft(id);
        uint256 amount = left;
        uint256 openToAllAt = c.addedAt + takeWait;
        if (block.timestamp < openToAllAt) {
            if (msg.sender == contributor) revert CannotTakeOwnDeposit(openToAllAt);
            uint256 readyAt = c.addedAt + refundWait;
            if (block.timestamp < readyAt) revert TooEarly(readyAt);
            uint256 mine = validated[msg.sender];
            if (mine == 0) revert NoValidatedContributions(msg.sender);
            uint256 bit = 1 << (id % 256);
            uint256 tookWord = _tookBits[msg.sender][id / 256];
            if (tookWord & bit != 0) revert AlreadyTook(id, msg.sender);
            if (_predict(sample) == label) revert ModelAgrees(label);
            uint256 share = uint256(c.deposit) * mine / totalValidated;
            if (share < amount) amount = share;
            if (amount == 0) revert ShareRoundsToZero(id);
            _tookBits[msg.sender][id / 256] = tookWord | bit;
        }
        c.remaining = uint96(left - amount);
        emit Taken(id, msg.sender, amount);
        _pay(msg.sender, amount);
    }

    /// @notice Whether `taker` already took from contribution `id`.
    function hasTaken(address taker, uint256 id) external view returns (bool) {
        return _tookBits[taker][id / 256] & (1 << (id % 256)) != 0;
    }

    function _acceptDeposit(uint256 paid) internal view override returns (uint256 cost) {
        cost = costAt(block.timestamp);
        if (paid < cost) revert DepositTooSmall(paid, cost);
    }

    /// @dev ⌊√x⌋ by Newton's method from an over-estimate (x ≥ 1).
    function _sqrt(uint256 x) private pure returns (uint256 y) {
        y = x;
        uint256 z = (x + 1) / 2;
        while (z < y) {
            y = z;
            z = (x / z + z) / 2;
        }
    }
}
