// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Classifier} from "./Classifier.sol";

/// @title Perceptron
/// @notice What the two perceptrons share. A perceptron is a binary linear classifier: it predicts
/// class 1 when its score `intercept + Σ weight·feature` is above zero, class 0 otherwise (a score
/// of exactly zero is class 0, as in scikit-learn). It learns only from mistakes: training on a
/// sample it gets wrong moves the weights towards the right class and the intercept by
/// `learningRate`; a right prediction changes nothing.
///
/// Weights, intercept and learning rate are fixed-point, the real value times WEIGHT_SCALE = 1e6.
/// The intercept is an int64; training that would push it or a weight out of range reverts with
/// `InterceptOutOfRange` / `WeightOutOfRange` instead of wrapping around.
/// @dev What depends on the sample format stays in each perceptron: how the score is assembled
/// from a sample (`_score`), how a mistake moves the weights (`_moveWeights`), and how the weights
/// are packed into storage words (`setWeights`, `weights`).
abstract contract Perceptron is Classifier {
    /// @notice Fixed-point scale of weights, intercept and learning rate: 1.0 is stored as 1e6.
    int256 public constant WEIGHT_SCALE = 1e6;

    /// @notice Training would move weight `feature` to `weightScaled`, outside the weights' range.
    error WeightOutOfRange(uint256 feature, int256 weightScaled);
    /// @notice Training would move the intercept to `interceptScaled`, outside the int64 range.
    error InterceptOutOfRange(int256 interceptScaled);
    /// @notice The learning rate must be positive and fit a weight (times WEIGHT_SCALE).
    error InvalidLearningRate(int256 learningRate);

    /// @notice The bias term (times WEIGHT_SCALE).
    /// @dev Declared first so that it shares storage slot 0 with Classifier's `owner` and
    /// `initialised`, which `update` reads anyway: reading the intercept there costs 100 gas
    /// instead of a cold 2,100.
    int64 public intercept;
    /// @notice How far one mistake moves the intercept, and the size of the weights' step
    /// (times WEIGHT_SCALE).
    int256 public immutable learningRate;
    /// @dev Words loaded so far during initialisation; the next chunk must start here.
    uint256 private _wordsLoaded;

    /// @param learningRate_ Step size times WEIGHT_SCALE, 1 … maxLearningRate.
    /// @param intercept_ Initial bias times WEIGHT_SCALE.
    /// @param maxLearningRate The largest weight the perceptron can store.
    constructor(int256 learningRate_, int64 intercept_, int256 maxLearningRate) {
        if (learningRate_ <= 0 || learningRate_ > maxLearningRate) revert InvalidLearningRate(learningRate_);
        learningRate = learningRate_;
        intercept = intercept_;
    }

    /// @dev Records a chunk of `count` weight words starting at `wordOffset` as loaded, after
    /// checking that it continues the previous chunk and ends by word `numWords`. Perceptrons skip
    /// writing all-zero words, which is only sound because a chunk cannot be sent twice.
    function _loadChunk(uint256 wordOffset, uint256 count, uint256 numWords) internal {
        if (wordOffset != _wordsLoaded) revert ChunkOutOfOrder(wordOffset, _wordsLoaded);
        uint256 end = wordOffset + count;
        if (end > numWords) revert ChunkTooLong(end, numWords);
        _wordsLoaded = end;
    }

    function _predict(bytes calldata sample) internal view override returns (uint256 predicted) {
        int256 scoreScaled = _score(sample);
        // Class 1 above zero, without a branch: 20 gas cheaper than `scoreScaled > 0 ? 1 : 0` here.
        assembly ("memory-safe") {
            predicted := sgt(scoreScaled, 0)
        }
    }

    /// @dev The margin is the score, signed towards the label: for label 0 a negative score is right.
    function _assess(bytes calldata sample, uint256 label) internal view override returns (int256, bool) {
        int256 scoreScaled = _score(sample);
        return (_clampMargin(label == 1 ? scoreScaled : -scoreScaled), (scoreScaled > 0) == (label == 1));
    }

    /// @dev A perceptron learns only from mistakes.
    function _wouldChange(bytes calldata sample, uint256 label) internal view override returns (bool) {
        return _predict(sample) != label;
    }

    function _update(bytes calldata sample, uint256 label) internal override {
        if (_predict(sample) == label) return;
        int256 step = label == 1 ? learningRate : -learningRate;
        _moveWeights(sample, step);
        int256 interceptScaled = intercept + step;
        if (interceptScaled != int64(interceptScaled)) revert InterceptOutOfRange(interceptScaled);
        intercept = int64(interceptScaled);
    }

    /// @dev The score of a checked sample, exactly: class 1 above 0.
    function _score(bytes calldata sample) internal view virtual returns (int256 scoreScaled);

    /// @dev Move the weights of a misclassified sample's features by `step` (±learningRate) times
    /// the feature's value; revert with `WeightOutOfRange` if one would leave its range.
    function _moveWeights(bytes calldata sample, int256 step) internal virtual;
}
