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

    function _checkSample(int64[] calldata x) internal view {
        if (x.length != numFeatures) revert WrongLength(x.length, numFeatures);
    }
}
