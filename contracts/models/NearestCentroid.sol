// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {DenseClassifier} from "./DenseClassifier.sol";

/// @title NearestCentroid
/// @notice A multi-class nearest centroid classifier over dense samples. Each class keeps the mean
/// of its training samples (its centroid) and how many samples that mean is over. A sample is put
/// in the class whose centroid is nearest in squared Euclidean distance; training on a sample moves
/// the centroid of its class a 1/(count + 1) step towards it, so the centroid stays the running
/// mean of the class.
///
/// Fixed point: centroid coordinates use the sample scale, DenseClassifier.SCALE (1.0 is 1e9), and
/// squared distances are exact integers in SCALE² (1e18) units: no term is rounded.
///
/// Numeric range: samples and centroids are int64 (±9.2e9 in real units); class counts are uint64,
/// and an update that would push a count past 2^64 - 1 reverts with ClassCountFull. A centroid
/// always lies between its old value and the sample, so it never leaves the int64 range. Unlike
/// the 0xDeCA10B original, samples need not have norm 1: the mean is well defined for any sample.
///
/// Storage: the coordinates of a class are packed four int64 per 256-bit word (coordinate j in
/// word j / 4, bits 64·(j % 4) … 64·(j % 4) + 63, two's complement). An update rewrites a whole
/// centroid, so packing makes it touch a quarter of the slots: about 15,000 gas saved per four
/// coordinates updated, and a quarter of the slots to create at deployment.
contract NearestCentroid is DenseClassifier {
    /// @notice How many int64 coordinates share one storage word.
    uint256 public constant COORDINATES_PER_WORD = 4;
    /// @notice The largest number of samples a class can count.
    uint256 public constant MAX_CLASS_COUNT = type(uint64).max;

    /// @notice A model needs at least two classes and one feature.
    error TooFewClassesOrFeatures(uint256 numClasses, uint256 numFeatures);
    /// @notice The class already counts MAX_CLASS_COUNT samples; one more would overflow.
    error ClassCountFull(uint256 label, uint256 count);

    /// @notice Storage words per centroid: ceil(numFeatures / COORDINATES_PER_WORD).
    uint256 public immutable wordsPerClass;

    /// Word w of class `label`'s centroid is at key label · wordsPerClass + w.
    mapping(uint256 => uint256) private _centroidWords;
    mapping(uint256 => uint256) private _classCounts;
    /// Words loaded so far during initialisation: chunks must come in order.
    uint256 private _wordsLoaded;

    /// @param numFeatures_ Length of a sample.
    /// @param classCounts_ For each class, how many samples its initial centroid is the mean of;
    /// the number of classes is the length of this list.
    constructor(uint256 numFeatures_, uint64[] memory classCounts_)
        DenseClassifier(numFeatures_, classCounts_.length)
    {
        if (classCounts_.length < 2 || numFeatures_ == 0) {
            revert TooFewClassesOrFeatures(classCounts_.length, numFeatures_);
        }
        wordsPerClass = (numFeatures_ + COORDINATES_PER_WORD - 1) / COORDINATES_PER_WORD;
        for (uint256 label = 0; label < classCounts_.length; label++) {
            if (classCounts_[label] != 0) _classCounts[label] = classCounts_[label];
        }
    }

    /// @notice Load packed centroid words `offset` … `offset + words.length - 1` (initialisation
    /// only, in order). Word w of class c is number c · wordsPerClass + w; see the header for the
    /// packing. Packed words cost a quarter of the calldata of one int64 per coordinate.
    /// @param offset Number of the first word in this chunk: the number of words loaded so far.
    /// @param words Four int64 coordinates (times SCALE) per word.
    function setCentroidWords(uint256 offset, uint256[] calldata words) external onlyOwner onlyDuringInitialisation {
        if (offset != _wordsLoaded) revert ChunkOutOfOrder(offset, _wordsLoaded);
        uint256 end = offset + words.length;
        uint256 size = numClasses * wordsPerClass;
        if (end > size) revert ChunkTooLong(end, size);
        // Unchecked: keys stay below `size`.
        unchecked {
            for (uint256 i = 0; i < words.length; ++i) {
                // Every word is loaded once, into fresh storage: a zero word needs no write (saves 2,200 gas).
                if (words[i] != 0) _centroidWords[offset + i] = words[i];
            }
        }
        _wordsLoaded = end;
    }

    /// @notice Read coordinates `offset` … `offset + count - 1` of a class's centroid.
    /// @param label The class.
    /// @param offset Index of the first coordinate.
    /// @param count How many coordinates.
    /// @return values The coordinates times SCALE.
    function centroid(uint256 label, uint256 offset, uint256 count) external view returns (int64[] memory values) {
        _checkLabel(label);
        if (offset + count > numFeatures) revert ChunkTooLong(offset + count, numFeatures);
        values = new int64[](count);
        uint256 base = label * wordsPerClass;
        for (uint256 i = 0; i < count; i++) {
            uint256 j = offset + i;
            uint256 word = _centroidWords[base + j / COORDINATES_PER_WORD];
            values[i] = int64(uint64(word >> (64 * (j % COORDINATES_PER_WORD))));
        }
    }

    /// @notice How many samples each class's centroid is the mean of.
    /// @return counts One count per class.
    function classCounts() external view returns (uint64[] memory counts) {
        counts = new uint64[](numClasses);
        for (uint256 label = 0; label < numClasses; label++) {
            counts[label] = uint64(_classCounts[label]);
        }
    }

    /// @notice Squared Euclidean distance from a sample to a class's centroid.
    /// @param x The feature values times SCALE.
    /// @param label The class.
    /// @return The distance in SCALE² units, exact.
    function squaredDistance(bytes calldata x, uint256 label) external view returns (uint256) {
        _checkSample(x);
        _checkLabel(label);
        return _squaredDistance(x, label, type(uint256).max);
    }

    function _predict(bytes calldata x) internal view override returns (uint256 best) {
        uint256 bestDistance = type(uint256).max;
        for (uint256 label = 0; label < numClasses; label++) {
            uint256 distance = _squaredDistance(x, label, bestDistance);
            // Strictly nearer only: a tie keeps the lower class index.
            if (distance < bestDistance) {
                bestDistance = distance;
                best = label;
            }
        }
    }

    /// @dev The nearest other class's squared distance minus the label's, all computed in full (no
    /// early exit). `right` follows `_predict`: the label's class must be strictly nearer than every
    /// lower class and no farther than every higher one.
    function _assess(bytes calldata x, uint256 label) internal view override returns (int256, bool right) {
        uint256 own = _squaredDistance(x, label, type(uint256).max);
        uint256 nearestOther = type(uint256).max;
        right = true;
        for (uint256 c = 0; c < numClasses; c++) {
            if (c == label) continue;
            uint256 distance = _squaredDistance(x, c, type(uint256).max);
            if (distance < nearestOther) nearestOther = distance;
            if (distance < own || (distance == own && c < label)) right = false;
        }
        // Distances are below 2^194 (fewer than 2^64 squares below 2^130): the casts are exact.
        return (_clampMargin(int256(nearestOther) - int256(own)), right);
    }

    /// Σ (x_j − c_j)², or any partial sum that already reaches `bound` (the class cannot win then,
    /// so the remaining words need not be read: up to 2,100 gas saved per word skipped).
    function _squaredDistance(bytes calldata x, uint256 label, uint256 bound) internal view returns (uint256 distance) {
        uint256 base = label * wordsPerClass;
        uint256 n = _count(x);
        // Unchecked: each difference is below 2^65 in size, its square below 2^130, and a sum of
        // fewer than 2^64 such squares stays far below 2^256.
        unchecked {
            for (uint256 w = 0; w < wordsPerClass; ++w) {
                uint256 word = _centroidWords[base + w];
                uint256 end = _min((w + 1) * COORDINATES_PER_WORD, n);
                for (uint256 j = w * COORDINATES_PER_WORD; j < end; ++j) {
                    int256 difference = _valueAt(x, j) - int64(uint64(word));
                    distance += uint256(difference * difference);
                    word >>= 64;
                }
                if (distance >= bound) return distance;
            }
        }
    }

    /// @dev A counting model learns from every sample.
    function _wouldChange(bytes calldata, uint256) internal pure override returns (bool) {
        return true;
    }

    /// c_j ← c_j + (x_j − c_j) / (count + 1), the division truncating toward zero (toward the old
    /// centroid), then count ← count + 1.
    function _update(bytes calldata x, uint256 label) internal override {
        uint256 count = _classCounts[label];
        if (count == MAX_CLASS_COUNT) revert ClassCountFull(label, count);
        int256 newCount = int256(count + 1);
        uint256 base = label * wordsPerClass;
        // Unchecked: keys stay below numClasses · wordsPerClass.
        unchecked {
            for (uint256 w = 0; w < wordsPerClass; ++w) {
                uint256 word = _centroidWords[base + w];
                uint256 moved = _movedWord(x, w, word, newCount);
                // An unchanged word (e.g. a pixel that is always blank) needs no write: 100 gas saved.
                if (moved != word) _centroidWords[base + w] = moved;
            }
        }
        _classCounts[label] = count + 1;
    }

    /// Word w of a centroid after the update's step towards x.
    function _movedWord(bytes calldata x, uint256 w, uint256 word, int256 newCount)
        private
        pure
        returns (uint256 moved)
    {
        // Unchecked: |x_j − c_j| < 2^65, and the moved coordinate lies between c_j and x_j, so it
        // fits int64 again; newCount is positive, so the division cannot overflow.
        unchecked {
            uint256 end = _min((w + 1) * COORDINATES_PER_WORD, _count(x));
            uint256 shift = 0;
            for (uint256 j = w * COORDINATES_PER_WORD; j < end; ++j) {
                int256 c = int64(uint64(word >> shift));
                int256 updated = c + (_valueAt(x, j) - c) / newCount;
                moved |= uint256(uint64(int64(updated))) << shift;
                shift += 64;
            }
        }
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
