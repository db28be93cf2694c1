// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title StoragePlanter
/// @notice Test-only creation code of an attacker: it writes chosen storage slots, then returns
/// another contract's runtime code as the code of the contract it creates. The result has exactly
/// the genuine contract's code, and storage the genuine constructor would never have written
/// (a contribution record nobody paid for, say). Only the creation transaction shows it.
contract StoragePlanter {
    /// @param runtime The runtime code the created contract gets (a genuine deployment's, immutables included).
    /// @param slots Storage slots to write.
    /// @param values The value of each slot.
    constructor(bytes memory runtime, uint256[] memory slots, uint256[] memory values) {
        require(slots.length == values.length, "one value per slot");
        for (uint256 i = 0; i < slots.length; i++) {
            uint256 slot = slots[i];
            uint256 value = values[i];
            assembly ("memory-safe") {
                sstore(slot, value)
            }
        }
        assembly ("memory-safe") {
            return(add(runtime, 32), mload(runtime))
        }
    }
}
