// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Classifier} from "./Classifier.sol";

/// @title DenseClassifier
/// @notice A classifier whose sample is a vector of `numFeatures` fixed-point numbers, each the
/// real value times `SCALE`.
///
/// A sample is passed packed: each value as an 8-byte two's-complement int64, big-endian, one
/// after the other (in Python, `b"".join(v.to_bytes(8, "big", signed=True) for v in values)`).
/// An int64[] would spend a 32-byte ABI word per value, and a negative value's 24 bytes of sign
/// extension are non-zero calldata (16 gas each): packing saves about 250,000 gas of calldata
/// on every transaction carrying a 1,000-value sample.
abstract contract DenseClassifier is Classifier {
    /// @notice Fixed-point scale of dense feature values: 1.0 is stored as 1e9.
    int256 public constant SCALE = 1e9;

    /// @notice A sample must have exactly `numFeatures` values.
    error WrongLength(uint256 length, uint256 numFeatures);

    constructor(uint256 numFeatures_, uint256 numClasses_) Classifier(numFeatures_, numClasses_) {}

    function _checkSample(bytes calldata x) internal view override {
        if (x.length % 8 != 0) revert MalformedSample(x.length);
        if (x.length / 8 != numFeatures) revert WrongLength(x.length / 8, numFeatures);
    }

    /// @dev How many values a sample has.
    function _count(bytes calldata x) internal pure returns (uint256) {
        return x.length / 8;
    }

    /// @dev Value `j` of a checked sample (j < numFeatures), times SCALE.
    function _valueAt(bytes calldata x, uint256 j) internal pure returns (int256 value) {
        assembly ("memory-safe") {
            value := signextend(7, shr(192, calldataload(add(x.offset, shl(3, j)))))
        }
    }
}
