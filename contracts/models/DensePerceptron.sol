// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {DenseClassifier} from "./DenseClassifier.sol";
import {Perceptron} from "./Perceptron.sol";

/// @title DensePerceptron
/// @notice A binary perceptron over a vector of real-valued features. It predicts class 1 when
/// `intercept + Σ weight[i]·x[i]` is above zero, class 0 otherwise (a score of exactly zero is
/// class 0, as in scikit-learn). Training on a sample it gets wrong adds `learningRate·x[i]` to
/// every weight (subtracts, for class 0) and moves the intercept by `learningRate`; a right
/// prediction changes nothing.
///
/// Numbers: features are fixed-point with SCALE = 1e9 (DenseClassifier); weights, intercept and
/// learning rate with WEIGHT_SCALE = 1e6, like SparsePerceptron's. The score is computed exactly,
/// at WEIGHT_SCALE·SCALE: `intercept·SCALE + Σ weight[i]·x[i]` (so the intercept counts as much
/// as it should; the original 0xDeCA10B contract added the intercept at the weights' scale to a
/// sum at the square of it, making it 1e9 times too small). The one rounding is in training:
/// each weight moves by `learningRate·x[i] / SCALE`, divided with truncation toward zero.
/// Weights and intercept are int64 (within ±9.2e12); the learning rate lies in
/// (0, 9.2e12]. Training that would push a weight or the intercept out of range reverts with
/// `WeightOutOfRange` / `InterceptOutOfRange` instead of wrapping around.
/// Unlike the original, samples need not have norm 1: scale features as suits the data
/// (e.g. standardise them), which is what the perceptron's accuracy depends on.
///
/// Storage, chosen for gas: four int64 weights share one 256-bit storage word (weight i is lane
/// i % 4 of word i / 4), so predicting or training reads and writes a quarter of the slots.
/// Prediction, assessment and the training rule's shape are Perceptron's.
contract DensePerceptron is DenseClassifier, Perceptron {
    /// @notice How many int64 weights one storage word holds.
    uint256 public constant WEIGHTS_PER_WORD = 4;

    /// @dev Word w packs weights 4w … 4w+3; weight i sits in bits 64·(i % 4) … 64·(i % 4) + 63.
    /// A fixed-size array (room for 2^64 features) rather than a mapping: word w is simply the
    /// slot after w others, with no hashing on each access. Untouched slots cost nothing.
    uint256[1 << 62] private _weightWords;

    /// @param numFeatures_ Length of a sample.
    /// @param learningRate_ Step size times WEIGHT_SCALE, 1 … 2^63 - 1.
    /// @param intercept_ Initial bias times WEIGHT_SCALE.
    constructor(uint256 numFeatures_, int256 learningRate_, int64 intercept_)
        DenseClassifier(numFeatures_, 2)
        Perceptron(learningRate_, intercept_, type(int64).max)
    {}

    /// @notice Load the weights of words `wordOffset` … (during initialisation only, in order).
    /// @dev All-zero words are not written: fresh storage already reads zero, and skipping the
    /// write saves 2,200 gas per word (sound because `_loadChunk` refuses a chunk sent twice).
    /// @param wordOffset Index of the first word in this chunk; the previous chunk ended here.
    /// @param words Groups of 4 weights times WEIGHT_SCALE: weights 4·w … 4·w + 3 for word w.
    /// Lanes past the last feature are never read.
    function setWeights(uint256 wordOffset, int64[4][] calldata words) external onlyOwner onlyDuringInitialisation {
        _loadChunk(wordOffset, words.length, (numFeatures + WEIGHTS_PER_WORD - 1) / WEIGHTS_PER_WORD);
        for (uint256 i = 0; i < words.length; i++) {
            uint256 word = 0;
            for (uint256 lane = 0; lane < WEIGHTS_PER_WORD; lane++) {
                word = _withWeight(word, lane, words[i][lane]);
            }
            if (word != 0) _weightWords[wordOffset + i] = word;
        }
    }

    /// @notice Read `count` weights starting at `offset`, for free local inference.
    /// @param offset Index of the first weight.
    /// @param count How many weights.
    /// @return values The weights times WEIGHT_SCALE.
    function weights(uint256 offset, uint256 count) external view returns (int64[] memory values) {
        if (offset + count > numFeatures) revert ChunkTooLong(offset + count, numFeatures);
        values = new int64[](count);
        for (uint256 i = 0; i < count; i++) {
            uint256 f = offset + i;
            values[i] = int64(_weight(_weightWords[f / WEIGHTS_PER_WORD], f % WEIGHTS_PER_WORD));
        }
    }

    /// @dev `intercept·SCALE + Σ weight[i]·x[i]`, exactly (WEIGHT_SCALE·SCALE units): class 1 above 0.
    function _score(bytes calldata x) internal view override returns (int256 scoreScaled) {
        scoreScaled = int256(intercept) * SCALE;
        uint256 word;
        // Unchecked: each product is below 2^126 in size and there are fewer than 2^64 of them.
        unchecked {
            for (uint256 i = 0; i < _count(x); i++) {
                if (i % WEIGHTS_PER_WORD == 0) word = _weightWords[i / WEIGHTS_PER_WORD];
                scoreScaled += _weight(word, i % WEIGHTS_PER_WORD) * _valueAt(x, i);
            }
        }
    }

    /// @dev Weight i moves by `step·x[i] / SCALE`, truncated toward zero.
    function _moveWeights(bytes calldata x, int256 step) internal override {
        uint256 n = _count(x);
        uint256 word;
        // Unchecked: step·x is below 2^126 in size, a weight plus a step far inside int256; the
        // int64 range is checked.
        unchecked {
            for (uint256 i = 0; i < n; i++) {
                uint256 lane = i % WEIGHTS_PER_WORD;
                if (lane == 0) word = _weightWords[i / WEIGHTS_PER_WORD];
                // Solidity's signed division truncates toward zero.
                int256 weightScaled = _weight(word, lane) + step * _valueAt(x, i) / SCALE;
                if (weightScaled != int64(weightScaled)) revert WeightOutOfRange(i, weightScaled);
                word = _withWeight(word, lane, int64(weightScaled));
                // Store each word once, after its last weight has changed.
                if (lane == WEIGHTS_PER_WORD - 1 || i == n - 1) _weightWords[i / WEIGHTS_PER_WORD] = word;
            }
        }
    }

    /// @dev The weight in `lane` of `word`, as a signed number.
    function _weight(uint256 word, uint256 lane) private pure returns (int256) {
        unchecked {
            return int64(uint64(word >> (64 * lane)));
        }
    }

    /// @dev `word` with the weight in `lane` replaced by `weightScaled`.
    function _withWeight(uint256 word, uint256 lane, int64 weightScaled) private pure returns (uint256) {
        unchecked {
            uint256 shift = 64 * lane;
            return (word & ~(uint256(type(uint64).max) << shift)) | (uint256(uint64(weightScaled)) << shift);
        }
    }
}
