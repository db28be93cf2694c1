// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Classifier} from "./Classifier.sol";

/// @title SparseClassifier
/// @notice A classifier whose sample is the list of features that are present, e.g. the words of a
/// sentence as vocabulary indices. Indices must be strictly increasing, so a sample has one
/// canonical form and no feature is counted twice.
abstract contract SparseClassifier is Classifier {
    /// @notice A sample needs at least one feature.
    error EmptySample();
    /// @notice A feature index is outside the vocabulary.
    error FeatureOutOfRange(uint256 feature, uint256 numFeatures);
    /// @notice Feature indices must be strictly increasing; the one at `position` is not.
    error FeaturesNotIncreasing(uint256 position);

    constructor(uint256 numFeatures_, uint256 numClasses_) Classifier(numFeatures_, numClasses_) {}

    /// @notice Predict the class of a sample: free, as a call.
    /// @param features Indices of the present features, strictly increasing.
    /// @return The predicted class, 0 … numClasses - 1.
    function predict(uint32[] calldata features) external view returns (uint256) {
        _checkSample(features);
        return _predict(features);
    }

    /// @notice Train on one labelled sample (owner only, after initialisation).
    /// @param features Indices of the present features, strictly increasing.
    /// @param label The sample's class.
    function update(uint32[] calldata features, uint256 label) external onlyOwner onlyAfterInitialisation {
        _checkSample(features);
        _checkLabel(label);
        _update(features, label);
    }

    function _predict(uint32[] calldata features) internal view virtual returns (uint256);

    function _update(uint32[] calldata features, uint256 label) internal virtual;

    function _checkSampleWords(bytes calldata sample) internal view override {
        _checkSample(_features(sample));
    }

    function _predictWords(bytes calldata sample) internal view override returns (uint256) {
        return _predict(_features(sample));
    }

    function _updateWords(bytes calldata sample, uint256 label) internal override {
        _update(_features(sample), label);
    }

    function _packedSample(bytes calldata sample) internal pure override returns (bytes memory) {
        return _pack(sample, 4);
    }

    /// @dev The words of a sample seen as the uint32[] calldata array they encode, with no copy.
    function _features(bytes calldata sample) internal view returns (uint32[] calldata features) {
        if (sample.length % 32 != 0 || sample.length > 32 * numFeatures) revert MalformedSample(sample.length);
        assembly ("memory-safe") {
            features.offset := sample.offset
            features.length := shr(5, sample.length)
        }
    }

    /// @dev Checks that the sample is non-empty, strictly increasing and inside the vocabulary.
    /// It compares the raw 32-byte words of the calldata array, which is stricter than comparing
    /// uint32 values: afterwards every element is a clean index below `numFeatures`, so
    /// `_featureAt` may read it without Solidity's per-element checks.
    function _checkSample(uint32[] calldata features) internal view {
        uint256 n = features.length;
        if (n == 0) revert EmptySample();
        uint256 previous = _featureAt(features, 0);
        for (uint256 i = 1; i < n; i++) {
            uint256 f = _featureAt(features, i);
            if (f <= previous) revert FeaturesNotIncreasing(i);
            previous = f;
        }
        if (previous >= numFeatures) revert FeatureOutOfRange(previous, numFeatures);
    }

    /// @dev `features[i]` without Solidity's bounds and cleanliness checks, which cost about 60
    /// gas per read. Only for `i < features.length` of a sample that passed `_checkSample`.
    function _featureAt(uint32[] calldata features, uint256 i) internal pure returns (uint256 f) {
        assembly ("memory-safe") {
            f := calldataload(add(features.offset, shl(5, i)))
        }
    }
}
