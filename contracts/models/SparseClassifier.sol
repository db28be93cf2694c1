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

    /// @dev Checks that the sample is whole 4-byte indices, non-empty, strictly increasing and
    /// inside the vocabulary. Afterwards `_featureAt` may read any index below `_count`.
    function _checkSample(bytes calldata features) internal view override {
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
