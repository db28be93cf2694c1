// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Classifier
/// @notice What every on-chain model shares: an owner who trains it (the deployer, or later a
/// trainer contract), an initialisation phase in which large parameter tables are loaded in
/// several transactions, and the checks on labels. After `finishInitialisation` the parameters
/// change only through training (`update`), and only the owner may train.
abstract contract Classifier {
    /// @notice Only the owner may do this.
    error NotOwner(address caller, address owner);
    /// @notice Initialisation is over: the parameters are frozen except for training.
    error AlreadyInitialised();
    /// @notice The model is still being initialised; finish that first.
    error NotInitialised();
    /// @notice The label is not one of the model's classes (0 … numClasses - 1).
    error UnknownLabel(uint256 label, uint256 numClasses);
    /// @notice Parameters loaded in chunks must start where the previous chunk ended.
    error ChunkOutOfOrder(uint256 offset, uint256 expectedOffset);
    /// @notice A chunk would write past the end of the parameter table.
    error ChunkTooLong(uint256 end, uint256 size);
    /// @notice A sample as bytes must be whole elements (4 bytes per index, 32 per value), at most one per feature.
    error MalformedSample(uint256 length);

    /// @notice Ownership moved from `previousOwner` to `newOwner`.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    /// @notice Every parameter is loaded; from now on only training changes them.
    event Initialised();

    /// @notice Who may load parameters and train the model.
    address public owner;
    /// @notice True once initialisation has finished.
    bool public initialised;
    /// @notice Length of a dense sample, or size of the vocabulary of a sparse one.
    uint256 public immutable numFeatures;
    /// @notice Labels are 0 … numClasses - 1.
    uint256 public immutable numClasses;

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender, owner);
        _;
    }

    modifier onlyDuringInitialisation() {
        if (initialised) revert AlreadyInitialised();
        _;
    }

    modifier onlyAfterInitialisation() {
        if (!initialised) revert NotInitialised();
        _;
    }

    constructor(uint256 numFeatures_, uint256 numClasses_) {
        numFeatures = numFeatures_;
        numClasses = numClasses_;
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    /// @notice Hand the model to a new owner, typically a trainer contract.
    /// @param newOwner The address that may train the model from now on.
    function transferOwnership(address newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    /// @notice Freeze the loaded parameters: afterwards only `update` changes them.
    function finishInitialisation() external onlyOwner onlyDuringInitialisation {
        initialised = true;
        emit Initialised();
        _afterInitialisation();
    }

    /// @dev Hook for contracts built on a model (the trainers): runs once, when the model is frozen.
    function _afterInitialisation() internal virtual {}

    // A sample "as bytes", the form trainers take so that one trainer contract serves sparse and
    // dense models alike: a sparse model's packed 4-byte feature indices, or a dense model's
    // int64[] without its ABI head (one 32-byte word per value). The models read it in place.

    /// @dev Reverts unless `sample` (as bytes) is a valid sample for this model.
    function _checkSampleWords(bytes calldata sample) internal view virtual;

    /// @dev The prediction for a sample as bytes (checked first).
    function _predictWords(bytes calldata sample) internal view virtual returns (uint256);

    /// @dev Train on a sample as bytes (checked first) with a checked label.
    function _updateWords(bytes calldata sample, uint256 label) internal virtual;

    /// @dev A checked sample packed tight: each element in its own width (4 bytes for a feature
    /// index, 8 for a value), big-endian. Events carry samples this way.
    function _packedSample(bytes calldata sample) internal pure virtual returns (bytes memory);

    /// @dev `sample`'s words cut to their low `width` bytes (1 … 32), concatenated. Saves 8 gas
    /// per dropped byte of event data: about 11,000 gas for a 50-feature sparse sample.
    function _pack(bytes calldata sample, uint256 width) internal pure returns (bytes memory packed) {
        uint256 n = sample.length / 32;
        // Each step stores a whole word whose first `width` bytes are the element; the 32 - width
        // zero bytes after it are overwritten by the next step. Allocate room for the last one.
        packed = new bytes(n * width + 32);
        assembly ("memory-safe") {
            let out := add(packed, 32)
            let shift := shl(3, sub(32, width))
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(add(out, mul(i, width)), shl(shift, calldataload(add(sample.offset, shl(5, i)))))
            }
            mstore(packed, mul(n, width))
        }
    }

    function _checkLabel(uint256 label) internal view {
        if (label >= numClasses) revert UnknownLabel(label, numClasses);
    }
}
