// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";

/// @title Points
/// @notice Self-assessment without money, as a game (the "Points" mechanism of
/// microsoft/0xDeCA10B). Contributions are free. After `validationWait` seconds a contributor
/// whose contribution the model still agrees with may validate it once and earns a point;
/// another player may instead report a contribution the model disagrees with. Each contribution
/// is settled once, by a validation or by one report. Badges mark milestones; all of it is
/// on-chain state, so a leaderboard needs nothing but the chain.
abstract contract Points is CollaborativeTrainer {
    /// @notice Badge for the first validated contribution.
    uint256 public constant FIRST_POINT = 1;
    /// @notice Badge for 10 validated contributions.
    uint256 public constant TEN_POINTS = 2;
    /// @notice Badge for 100 validated contributions.
    uint256 public constant HUNDRED_POINTS = 4;
    /// @notice Badge for the first report.
    uint256 public constant FIRST_REPORT = 8;

    /// @notice A player's score.
    struct Player {
        /// Validated contributions.
        uint64 points;
        /// Contributions of others this player reported.
        uint64 reports;
        /// Badges earned, a bit set of FIRST_POINT … FIRST_REPORT.
        uint64 badges;
    }

    /// @notice Seconds after adding before a contribution may be validated or reported.
    uint256 public immutable validationWait;
    /// @notice Score of each address.
    mapping(address => Player) public players;
    /// @notice Every address that has scored, in the order it first did.
    address[] public playerList;

    /// @notice Points contributions are free; `paid` wei was sent.
    error PaymentNotAccepted(uint256 paid);
    /// @notice The wait must fit 40 bits.
    error InvalidParameters(uint256 validationWait);
    /// @notice Too early: validation and reports open at `readyAt`.
    error TooEarly(uint256 readyAt);
    /// @notice The model predicts `prediction`, not the contribution's label: no point.
    error ModelDisagrees(uint256 prediction, uint256 label);
    /// @notice The model still predicts the contribution's label: nothing to report.
    error ModelAgrees(uint256 label);
    /// @notice Contribution `id` was already validated or reported.
    error AlreadySettled(uint256 id);
    /// @notice Players cannot report their own contributions.
    error CannotReportOwn(uint256 id);

    /// @notice `player` validated contribution `id` and now has `points` points.
    event Validated(uint256 indexed id, address indexed player, uint256 points);
    /// @notice `player` reported `contributor`'s contribution `id`.
    event Reported(uint256 indexed id, address indexed player, address indexed contributor);
    /// @notice `player` earned `badge`.
    event BadgeEarned(address indexed player, uint256 badge);

    /// @param validationWait_ Seconds before a contribution may be validated or reported.
    constructor(uint256 validationWait_) {
        if (validationWait_ > type(uint40).max) revert InvalidParameters(validationWait_);
        validationWait = validationWait_;
    }

    /// @notice Always 0: contributions are free.
    function nextCost() external pure returns (uint256) {
        return 0;
    }

    /// @notice How many addresses have scored.
    function numPlayers() external view returns (uint256) {
        return playerList.length;
    }

    /// @notice Validate your contribution `id`, which the model still agrees with: one point.
    /// (Named `refund` like the other mechanisms' claim, so clients treat them alike.)
    /// @param sample The sample as bytes, exactly as added.
    /// @param label The label it was added with.
    /// @param id The contribution's id.
    function refund(bytes calldata sample, uint256 label, uint256 id) external {
        Contribution storage c = _openContribution(sample, label, msg.sender, id);
        uint256 prediction = _predict(sample);
        if (prediction != label) revert ModelDisagrees(prediction, label);
        c.settled = true;
        Player storage p = _player(msg.sender);
        uint256 points = p.points + 1;
        p.points = uint64(points);
        emit Validated(id, msg.sender, points);
        if (points == 1) _award(p, FIRST_POINT);
        if (points == 10) _award(p, TEN_POINTS);
        if (points == 100) _award(p, HUNDRED_POINTS);
    }

    /// @notice Report `contributor`'s contribution `id`, which the model now disagrees with.
    /// @param sample The sample as bytes, exactly as added.
    /// @param label The label it was added with.
    /// @param id The contribution's id.
    /// @param contributor Who added it.
    function report(bytes calldata sample, uint256 label, uint256 id, address contributor) external {
        if (msg.sender == contributor) revert CannotReportOwn(id);
        Contribution storage c = _openContribution(sample, label, contributor, id);
        if (_predict(sample) == label) revert ModelAgrees(label);
        c.settled = true;
        Player storage p = _player(msg.sender);
        uint256 reports = p.reports + 1;
        p.reports = uint64(reports);
        emit Reported(id, msg.sender, contributor);
        if (reports == 1) _award(p, FIRST_REPORT);
    }

    function _acceptDeposit(uint256 paid) internal pure override returns (uint256) {
        if (paid != 0) revert PaymentNotAccepted(paid);
        return 0;
    }

    /// @dev A recorded contribution that is not settled and whose wait is over.
    function _openContribution(bytes calldata sample, uint256 label, address contributor, uint256 id)
        private
        view
        returns (Contribution storage c)
    {
        c = _contributionOf(sample, label, contributor, id);
        if (c.settled) revert AlreadySettled(id);
        uint256 readyAt = c.addedAt + validationWait;
        if (block.timestamp < readyAt) revert TooEarly(readyAt);
    }

    /// @dev The player's record, listing the player on their first score.
    function _player(address who) private returns (Player storage p) {
        p = players[who];
        if (p.points == 0 && p.reports == 0) playerList.push(who);
    }

    function _award(Player storage p, uint256 badge) private {
        p.badges |= uint64(badge);
        emit BadgeEarned(msg.sender, badge);
    }
}
