// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title ContractFactory
/// @notice Test-only: creates a contract from any creation code (CREATE inside a call, so its
/// creator is this contract, not a transaction), and relays calls to contracts it owns.
contract ContractFactory {
    /// @notice The contract `create` made last.
    address public created;

    /// @notice Run `initcode` as creation code.
    /// @param initcode Creation code, constructor arguments included.
    /// @return The new contract's address.
    function create(bytes memory initcode) external returns (address) {
        address made;
        assembly ("memory-safe") {
            made := create(0, add(initcode, 32), mload(initcode))
        }
        require(made != address(0), "creation failed");
        created = made;
        return made;
    }

    /// @notice Call `target` with `data` as this contract (e.g. as the owner of what it created).
    /// @param target The contract to call.
    /// @param data The calldata.
    function relay(address target, bytes calldata data) external {
        (bool ok, bytes memory result) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }
}
