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
    /// @notice A sample must be whole elements (4 bytes per index, 8 per value), at most one per feature.
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
    /// @notice Largest |margin| `assess` returns: margins are clamped to ±MARGIN_LIMIT, so a sum of
    /// fewer than 2^64 of them can never overflow an int256.
    int256 public constant MARGIN_LIMIT = 2 ** 128;

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

    /// @notice Predict the class of a sample: free, as a call.
    /// @param sample The sample, packed (4 bytes per feature index, or 8 per value × 1e9).
    /// @return The predicted class, 0 … numClasses - 1.
    function predict(bytes calldata sample) external view returns (uint256) {
        _checkSample(sample);
        return _predict(sample);
    }

    /// @notice How right the model is about a labelled sample, free as a call. `right` is exactly
    /// `predict(sample) == label`; `margin` is the model's own signed preference for `label` over the
    /// best other class (> 0 prefers the label), in the model's units, clamped to ±MARGIN_LIMIT.
    /// A prediction market scores data by these margins: smoother than counting right answers.
    /// @param sample The sample, packed as for `predict`.
    /// @param label The sample's class.
    /// @return margin The preference for `label`, within ±MARGIN_LIMIT.
    /// @return right Whether `predict(sample)` is `label`.
    function assess(bytes calldata sample, uint256 label) external view returns (int256 margin, bool right) {
        _checkSample(sample);
        _checkLabel(label);
        return _assess(sample, label);
    }

    /// @notice Train on one labelled sample (owner only, after initialisation).
    /// @param sample The sample, packed as for `predict`.
    /// @param label The sample's class.
    function update(bytes calldata sample, uint256 label) external onlyOwner onlyAfterInitialisation {
        _checkSample(sample);
        _checkLabel(label);
        _update(sample, label);
    }

    // Samples are bytes, packed: 4 bytes per feature index (sparse models, SparseClassifier) or
    // 8 bytes per value (dense models, DenseClassifier). One signature for both kinds lets a
    // trainer contract be built on any model.

    /// @dev Reverts unless `sample` is a valid sample for this model.
    function _checkSample(bytes calldata sample) internal view virtual;

    /// @dev The prediction for a checked sample.
    function _predict(bytes calldata sample) internal view virtual returns (uint256);

    /// @dev `assess` for a checked sample and label: the margin (clamp it with `_clampMargin`) and
    /// whether `_predict` returns the label, computed in one pass.
    function _assess(bytes calldata sample, uint256 label) internal view virtual returns (int256 margin, bool right);

    /// @dev Train on a checked sample with a checked label.
    function _update(bytes calldata sample, uint256 label) internal virtual;

    /// @dev Whether training on a checked sample would change any parameter: counting models
    /// always learn, the perceptrons only from mistakes. The prediction market skips re-evaluating
    /// a model that training would leave as it was.
    function _wouldChange(bytes calldata sample, uint256 label) internal view virtual returns (bool);

    /// @dev `margin` limited to ±MARGIN_LIMIT.
    function _clampMargin(int256 margin) internal pure returns (int256) {
        if (margin > MARGIN_LIMIT) return MARGIN_LIMIT;
        if (margin < -MARGIN_LIMIT) return -MARGIN_LIMIT;
        return margin;
    }

    function _checkLabel(uint256 label) internal view {
        if (label >= numClasses) revert UnknownLabel(label, numClasses);
    }
}
