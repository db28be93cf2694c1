// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title TipJar
/// @notice A tiny contract for learning the lab: anyone tips ether with a note, the owner may
/// withdraw once a time lock has passed. It shows value transfers, events, time, and both kinds of
/// revert (a `require` string and custom errors with arguments).
contract TipJar {
    /// @notice The lock has not expired yet.
    error StillLocked(uint256 currentTime, uint256 unlocksAt);
    /// @notice More was requested than the jar holds.
    error NotEnoughInJar(uint256 requested, uint256 available);

    /// @notice Someone tipped `amount` wei with a `note`.
    event Tipped(address indexed from, uint256 amount, string note);
    /// @notice The owner took `amount` wei out of the jar.
    event Withdrawn(address indexed to, uint256 amount);

    address public immutable owner;
    uint256 public immutable unlocksAt;
    uint256 public tipCount;
    mapping(address => uint256) public tippedBy;

    /// @param lockSeconds How long after deployment the owner must wait before withdrawing.
    constructor(uint256 lockSeconds) {
        owner = msg.sender;
        unlocksAt = block.timestamp + lockSeconds;
    }

    /// @notice Put `msg.value` wei into the jar with a short note.
    /// @param note Any text; it is kept only in the `Tipped` event.
    function tip(string calldata note) external payable {
        require(msg.value > 0, "a tip must be more than zero wei");
        tippedBy[msg.sender] += msg.value;
        tipCount += 1;
        emit Tipped(msg.sender, msg.value, note);
    }

    /// @notice Forget how much the caller tipped (clears a storage slot, which earns a gas refund).
    function forgetMe() external {
        delete tippedBy[msg.sender];
    }

    /// @notice Send `amount` wei to the owner once the lock has expired.
    /// @param amount How much to take out, in wei.
    function withdraw(uint256 amount) external {
        require(msg.sender == owner, "only the owner can withdraw");
        if (block.timestamp < unlocksAt) revert StillLocked(block.timestamp, unlocksAt);
        if (amount > address(this).balance) revert NotEnoughInJar(amount, address(this).balance);
        emit Withdrawn(owner, amount);
        (bool sent, ) = owner.call{value: amount}("");
        require(sent, "the owner refused the ether");
    }

    /// @notice How much ether the jar holds.
    /// @return The balance in wei.
    function balance() external view returns (uint256) {
        return address(this).balance;
    }
}
