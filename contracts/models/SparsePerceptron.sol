// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SparseClassifier} from "./SparseClassifier.sol";

/// @title SparsePerceptron
/// @notice A binary perceptron over present features (e.g. the words of a sentence). It predicts
/// class 1 when `intercept + Σ weight[f]` over the present features f is above zero, class 0
/// otherwise. Training on a sample it gets wrong moves every present weight, and the intercept,
/// by `learningRate` towards the right class.
/// Weights, intercept and learning rate are fixed-point numbers: the real value times WEIGHT_SCALE.
contract SparsePerceptron is SparseClassifier {
    /// @notice Fixed-point scale of weights, intercept and learning rate: 1.0 is stored as 1e9.
    int256 public constant WEIGHT_SCALE = 1e9;

    /// @notice How far one mistake moves each weight (times WEIGHT_SCALE).
    int256 public immutable learningRate;
    /// @notice The bias term (times WEIGHT_SCALE).
    int256 public intercept;
    mapping(uint256 => int256) private _weights;

    /// @param numFeatures_ Size of the vocabulary.
    /// @param learningRate_ Step size times WEIGHT_SCALE.
    /// @param intercept_ Initial bias times WEIGHT_SCALE.
    constructor(uint256 numFeatures_, int256 learningRate_, int256 intercept_)
        SparseClassifier(numFeatures_, 2)
    {
        learningRate = learningRate_;
        intercept = intercept_;
    }

    /// @notice Load weights `offset` … `offset + values.length - 1` (during initialisation only).
    /// @param offset Index of the first weight in this chunk.
    /// @param values Weights times WEIGHT_SCALE.
    function setWeights(uint256 offset, int256[] calldata values) external onlyOwner onlyDuringInitialisation {
        if (offset + values.length > numFeatures) revert ChunkTooLong(offset + values.length, numFeatures);
        for (uint256 i = 0; i < values.length; i++) {
            _weights[offset + i] = values[i];
        }
    }

    /// @notice Read `count` weights starting at `offset`, for free local inference.
    /// @param offset Index of the first weight.
    /// @param count How many weights.
    /// @return values The weights times WEIGHT_SCALE.
    function weights(uint256 offset, uint256 count) external view returns (int256[] memory values) {
        values = new int256[](count);
        for (uint256 i = 0; i < count; i++) {
            values[i] = _weights[offset + i];
        }
    }

    function _score(uint32[] calldata features) internal view returns (int256 score) {
        score = intercept;
        for (uint256 i = 0; i < features.length; i++) {
            score += _weights[features[i]];
        }
    }

    function _predict(uint32[] calldata features) internal view override returns (uint256) {
        return _score(features) > 0 ? 1 : 0;
    }

    function _update(uint32[] calldata features, uint256 label) internal override {
        if (_predict(features) == label) return;
        int256 step = label == 1 ? learningRate : -learningRate;
        for (uint256 i = 0; i < features.length; i++) {
            _weights[features[i]] += step;
        }
        intercept += step;
    }
}
