// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SparseClassifier} from "./SparseClassifier.sol";
import {Perceptron} from "./Perceptron.sol";

/// @title SparsePerceptron
/// @notice A binary perceptron over present features (e.g. the words of a sentence). It predicts
/// class 1 when `intercept + Σ weight[f]` over the present features f is above zero, class 0
/// otherwise (a score of exactly zero is class 0, as in scikit-learn). Training on a sample it
/// gets wrong moves every present weight AND the intercept by `learningRate` towards the right
/// class; a right prediction changes nothing. (The original 0xDeCA10B perceptron never moved
/// the intercept; moving it is the textbook rule and what scikit-learn's Perceptron does.)
///
/// Numbers: weights, intercept and learning rate are fixed-point, the real value times
/// WEIGHT_SCALE = 1e6. A weight is an int32, so it lies within ±2147.483647; the intercept is an
/// int64 (±9.2e12); the learning rate lies in (0, 2147.483647]. Training that would push a
/// weight or the intercept out of its range reverts with `WeightOutOfRange` /
/// `InterceptOutOfRange` instead of wrapping around. With the default learning rate of 1.0 a
/// weight leaves its range only after more than 2,147 net mistakes on samples containing it.
///
/// Storage, chosen for gas: eight int32 weights share one 256-bit storage word (weight f is lane
/// f % 8 of word f / 8). Loading a 1,000-feature model writes 125 words instead of 1,000 slots,
/// and a sample reads (2,100 gas, cold) and rewrites (2,900 gas) each word it touches once, however
/// many of its features share that word.
/// Prediction, assessment and the training rule's shape are Perceptron's.
contract SparsePerceptron is SparseClassifier, Perceptron {
    /// @notice How many int32 weights one storage word holds.
    uint256 public constant WEIGHTS_PER_WORD = 8;

    /// @dev Word w packs weights 8w … 8w+7; weight f sits in bits 32·(f % 8) … 32·(f % 8) + 31.
    /// A fixed-size array (room for every uint32 feature index) rather than a mapping: word w is
    /// simply the slot after w others, with no hashing on each access (about 4,000 gas saved per
    /// update of 50 features). Untouched slots cost nothing.
    uint256[1 << 29] private _weightWords;

    /// @param numFeatures_ Size of the vocabulary.
    /// @param learningRate_ Step size times WEIGHT_SCALE, 1 … 2^31 - 1.
    /// @param intercept_ Initial bias times WEIGHT_SCALE.
    constructor(uint256 numFeatures_, int256 learningRate_, int64 intercept_)
        SparseClassifier(numFeatures_, 2)
        Perceptron(learningRate_, intercept_, type(int32).max)
    {}

    /// @notice Load the weights of words `wordOffset` … (during initialisation only, in order).
    /// @dev All-zero words are not written: fresh storage already reads zero, and skipping the
    /// write saves 2,200 gas per word (sound because `_loadChunk` refuses a chunk sent twice).
    /// @param wordOffset Index of the first word in this chunk; the previous chunk ended here.
    /// @param words Groups of 8 weights times WEIGHT_SCALE: weights 8·w … 8·w + 7 for word w.
    /// Lanes past the last feature are never read.
    function setWeights(uint256 wordOffset, int32[8][] calldata words) external onlyOwner onlyDuringInitialisation {
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
    function weights(uint256 offset, uint256 count) external view returns (int32[] memory values) {
        if (offset + count > numFeatures) revert ChunkTooLong(offset + count, numFeatures);
        values = new int32[](count);
        for (uint256 i = 0; i < count; i++) {
            uint256 f = offset + i;
            values[i] = int32(_weight(_weightWords[f / WEIGHTS_PER_WORD], f % WEIGHTS_PER_WORD));
        }
    }

    // `_score` and `_moveWeights` walk the sample in inline assembly. In plain Solidity each feature
    // cost about 250 gas to score and 440 to train (internal calls, checked conversions, array
    // bounds checks); here it is about 60 and 90, which saves some 20,000 gas per training step of
    // a 50-word sample. The logic is exactly that of `weights` and `setWeights`: weight f is the
    // int32 in lane f % 8 (bits 32·(f % 8) …) of word f / 8. Samples have passed `_checkSample`,
    // so every 4-byte index is below numFeatures.

    /// @dev `intercept + Σ weight[f]` over the present features, times WEIGHT_SCALE: class 1 above 0.
    function _score(bytes calldata features) internal view override returns (int256 scoreScaled) {
        scoreScaled = intercept;
        // Unchecked by construction: fewer than 2^32 int32 weights and an int64 sum stay far
        // below 2^255.
        assembly ("memory-safe") {
            let words := _weightWords.slot
            let wordIndex := not(0)
            let word := 0
            let end := add(features.offset, features.length)
            for { let p := features.offset } lt(p, end) { p := add(p, 4) } {
                let f := shr(224, calldataload(p))
                // Features are strictly increasing, so those sharing a word are neighbours: load a
                // word only when the feature lies in a different word than the one before.
                if iszero(eq(shr(3, f), wordIndex)) {
                    wordIndex := shr(3, f)
                    word := sload(add(words, wordIndex))
                }
                scoreScaled := add(scoreScaled, signextend(3, shr(shl(5, and(f, 7)), word)))
            }
        }
    }

    /// @dev Every present weight moves by `step`.
    function _moveWeights(bytes calldata features, int256 step) internal override {
        // As in `_score`, but each word is changed in the stack and stored once, when the next
        // feature lies in another word or the sample ends. The first weight that would leave the
        // int32 range is remembered (feature + 1, so 0 means none) and reverted on below.
        uint256 outOfRange;
        int256 outOfRangeWeight;
        assembly ("memory-safe") {
            let words := _weightWords.slot
            let wordIndex := shr(3, shr(224, calldataload(features.offset)))
            let word := sload(add(words, wordIndex))
            let end := add(features.offset, features.length)
            for { let p := features.offset } lt(p, end) { p := add(p, 4) } {
                let f := shr(224, calldataload(p))
                if iszero(eq(shr(3, f), wordIndex)) {
                    sstore(add(words, wordIndex), word)
                    wordIndex := shr(3, f)
                    word := sload(add(words, wordIndex))
                }
                let shift := shl(5, and(f, 7))
                let weightScaled := add(signextend(3, shr(shift, word)), step)
                if and(iszero(outOfRange), iszero(eq(weightScaled, signextend(3, weightScaled)))) {
                    outOfRange := add(f, 1)
                    outOfRangeWeight := weightScaled
                }
                word := or(and(word, not(shl(shift, 0xffffffff))), shl(shift, and(weightScaled, 0xffffffff)))
            }
            sstore(add(words, wordIndex), word)
        }
        if (outOfRange != 0) revert WeightOutOfRange(outOfRange - 1, outOfRangeWeight);
    }

    /// @dev The weight in `lane` of `word`, as a signed number.
    function _weight(uint256 word, uint256 lane) private pure returns (int256) {
        unchecked {
            return int32(uint32(word >> (32 * lane)));
        }
    }

    /// @dev `word` with the weight in `lane` replaced by `weightScaled`.
    function _withWeight(uint256 word, uint256 lane, int32 weightScaled) private pure returns (uint256) {
        unchecked {
            uint256 shift = 32 * lane;
            return (word & ~(uint256(type(uint32).max) << shift)) | (uint256(uint32(weightScaled)) << shift);
        }
    }
}
