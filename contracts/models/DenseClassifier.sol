// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Classifier} from "./Classifier.sol";

/// @title DenseClassifier
/// @notice A classifier whose sample is a vector of `numFeatures` fixed-point numbers, each the
/// real value times `SCALE`.
abstract contract DenseClassifier is Classifier {
    /// @notice Fixed-point scale of dense feature values: 1.0 is stored as 1e9.
    int256 public constant SCALE = 1e9;

    /// @notice A sample must have exactly `numFeatures` values.
    error WrongLength(uint256 length, uint256 numFeatures);

    constructor(uint256 numFeatures_, uint256 numClasses_) Classifier(numFeatures_, numClasses_) {}

    /// @notice Predict the class of a sample: free, as a call.
    /// @param x The feature values times SCALE.
    /// @return The predicted class, 0 … numClasses - 1.
    function predict(int64[] calldata x) external view returns (uint256) {
        _checkSample(x);
        return _predict(x);
    }

    /// @notice Train on one labelled sample (owner only, after initialisation).
    /// @param x The feature values times SCALE.
    /// @param label The sample's class.
    function update(int64[] calldata x, uint256 label) external onlyOwner onlyAfterInitialisation {
        _checkSample(x);
        _checkLabel(label);
        _update(x, label);
    }

    function _predict(int64[] calldata x) internal view virtual returns (uint256);

    function _update(int64[] calldata x, uint256 label) internal virtual;

    function _checkSampleWords(bytes calldata sample) internal view override {
        _checkSample(_values(sample));
    }

    function _predictWords(bytes calldata sample) internal view override returns (uint256) {
        return _predict(_values(sample));
    }

    function _updateWords(bytes calldata sample, uint256 label) internal override {
        _update(_values(sample), label);
    }

    function _packedSample(bytes calldata sample) internal pure override returns (bytes memory) {
        return _pack(sample, 8);
    }

    /// @dev The words of a sample seen as the int64[] calldata array they encode, with no copy.
    /// Solidity checks each element when it is read, so a word that is not an int64 reverts.
    function _values(bytes calldata sample) internal view returns (int64[] calldata x) {
        if (sample.length % 32 != 0 || sample.length > 32 * numFeatures) revert MalformedSample(sample.length);
        assembly ("memory-safe") {
            x.offset := sample.offset
            x.length := shr(5, sample.length)
        }
    }

    function _checkSample(int64[] calldata x) internal view {
        if (x.length != numFeatures) revert WrongLength(x.length, numFeatures);
    }
}
