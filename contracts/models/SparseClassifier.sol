// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Classifier} from "./Classifier.sol";

/// @title SparseClassifier
/// @notice A classifier whose sample is the list of features that are present, e.g. the words of a
/// sentence as vocabulary indices. Indices must be strictly increasing, so a sample has one
/// canonical form and no feature is counted twice.
///
/// A sample is passed packed: each index as 4 bytes, big-endian, one after the other (in Python,
/// `b"".join(f.to_bytes(4, "big") for f in features)`). A uint32[] would spend a 32-byte ABI word
/// per index, 28 of them zero bytes: about 6,000 more gas of calldata for a 50-word sentence on
/// every prediction sent as a transaction, every training step and every refund.
abstract contract SparseClassifier is Classifier {
    /// @notice A sample needs at least one feature.
    error EmptySample();
    /// @notice A feature index is outside the vocabulary.
    error FeatureOutOfRange(uint256 feature, uint256 numFeatures);
    /// @notice Feature indices must be strictly increasing; the one at `position` is not.
    error FeaturesNotIncreasing(uint256 position);

    constructor(uint256 numFeatures_, uint256 numClasses_) Classifier(numFeatures_, numClasses_) {}

    /// @notice Predict the class of a sample: free, as a call.
    /// @param features Indices of the present features, strictly increasing, 4 bytes each.
    /// @return The predicted class, 0 … numClasses - 1.
    function predict(bytes calldata features) external view returns (uint256) {
        _checkSample(features);
        return _predict(features);
    }

    /// @notice Train on one labelled sample (owner only, after initialisation).
    /// @param features Indices of the present features, strictly increasing, 4 bytes each.
    /// @param label The sample's class.
    function update(bytes calldata features, uint256 label) external onlyOwner onlyAfterInitialisation {
        _checkSample(features);
        _checkLabel(label);
        _update(features, label);
    }

    function _predict(bytes calldata features) internal view virtual returns (uint256);

    function _update(bytes calldata features, uint256 label) internal virtual;

    function _checkSampleWords(bytes calldata sample) internal view override {
        _checkSample(sample);
    }

    function _predictWords(bytes calldata sample) internal view override returns (uint256) {
        return _predict(sample);
    }

    function _updateWords(bytes calldata sample, uint256 label) internal override {
        _update(sample, label);
    }

    function _packedSample(bytes calldata sample) internal pure override returns (bytes memory) {
        return sample;
    }

    /// @dev Checks that the sample is whole 4-byte indices, non-empty, strictly increasing and
    /// inside the vocabulary. Afterwards `_featureAt` may read any index below `_count`.
    function _checkSample(bytes calldata features) internal view {
        if (features.length % 4 != 0 || features.length > 4 * numFeatures) revert MalformedSample(features.length);
        uint256 n = features.length / 4;
        if (n == 0) revert EmptySample();
        // In assembly: about 25 gas per feature instead of 100 in plain Solidity.
        uint256 notIncreasingAt;
        uint256 last;
        assembly ("memory-safe") {
            let previous := shr(224, calldataload(features.offset))
            for { let i := 1 } lt(i, n) { i := add(i, 1) } {
                let f := shr(224, calldataload(add(features.offset, shl(2, i))))
                if iszero(gt(f, previous)) {
                    notIncreasingAt := i
                    break
                }
                previous := f
            }
            last := previous
        }
        if (notIncreasingAt != 0) revert FeaturesNotIncreasing(notIncreasingAt);
        if (last >= numFeatures) revert FeatureOutOfRange(last, numFeatures);
    }

    /// @dev How many features a (checked) sample has.
    function _count(bytes calldata features) internal pure returns (uint256) {
        return features.length / 4;
    }

    /// @dev Feature `i` of a checked sample, for `i < _count(features)`.
    function _featureAt(bytes calldata features, uint256 i) internal pure returns (uint256 f) {
        assembly ("memory-safe") {
            f := shr(224, calldataload(add(features.offset, shl(2, i))))
        }
    }
}
