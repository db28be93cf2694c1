// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SparseClassifier} from "./SparseClassifier.sol";

/// @title SparseNearestCentroid
/// @notice A multi-class nearest centroid classifier over present features (e.g. the words of a
/// sentence). A sample is a point of {0, 1}^numFeatures: 1 where a feature is present. The centroid
/// of a class is the mean of its samples, so its coordinate f is count_f / n: the share of the
/// class's n samples that contain feature f. A sample x is put in the class whose centroid is
/// nearest in squared Euclidean distance:
///
///     ‖x − c‖² = (|x|·n² − 2·n·Σ_{f∈x} count_f + Σ_f count_f²) / n²
///
/// The numerator is Σ_f (n·x_f − count_f)², a whole number, so distances are compared exactly as
/// fractions, by cross-multiplying: no fixed point, no rounding, exact ties (→ the lower class).
/// A class with no samples has the origin as its centroid (distance |x|).
///
/// Why not the 0xDeCA10B layout (rescaled fixed-point centroid values, rescaled lazily): integer
/// counts are what the mean is made of, so storing them is exact, an update only adds 1 to the k
/// counts of the present features, and Σ_f count_f² changes by Σ (2·count_f + 1) over those k
/// features: no division, no rescaling, no drift.
///
/// Storage: the counts form one array of uint32 lanes, eight lanes per 256-bit word. Feature f
/// has `lanesPerFeature` (L) consecutive lanes, f·L … f·L + L − 1, one per class (lane f·L + c is
/// class c); L is numClasses rounded up to 2, 4 or 8, or to a multiple of 8 above 8, and the
/// spare lanes stay 0. So two classes pack four features per word: a quarter of the slots to
/// create at deployment (about 16,500 gas saved per feature), and `predict` reads the counts of
/// every class with one storage read per present feature (L / 8 above eight classes).
///
/// Numeric range: n ≤ MAX_CLASS_COUNT = 2^32 − 1 (an update past it reverts with ClassCountFull),
/// count_f ≤ n (checked when loaded, kept by every update), numFeatures < 2^32. Then
/// Σ count_f² < 2^96 and every product below is under 2^162: nothing can overflow.
contract SparseNearestCentroid is SparseClassifier {
    /// @notice How many uint32 count lanes share one storage word.
    uint256 public constant LANES_PER_WORD = 8;
    /// @notice The largest number of samples a class can count.
    uint256 public constant MAX_CLASS_COUNT = type(uint32).max;
    uint256 private constant COUNT_MASK = 0xffffffff;
    /// Lanes 0, 2, 4, 6 of a word (each lane 32 bits): summing words masked like this leaves 32
    /// free bits above every count, so a sum of up to 2^32 words cannot carry into the next lane.
    uint256 private constant EVEN_LANES = 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff;

    /// @notice A model needs at least two classes and one feature, and features are uint32.
    error TooFewClassesOrFeatures(uint256 numClasses, uint256 numFeatures);
    /// @notice The class already counts MAX_CLASS_COUNT samples; one more would overflow.
    error ClassCountFull(uint256 label, uint256 count);
    /// @notice More samples of a class contain the feature than the class has samples.
    error CountAboveClassCount(uint256 feature, uint256 label, uint256 count, uint256 classCount);
    /// @notice A count word has a count in a spare lane: for a class or feature the model does not have.
    error CountOutsideModel(uint256 feature, uint256 label);

    /// Per class: its number of samples n and Σ_f count_f², in one slot.
    struct ClassTotals {
        uint32 sampleCount;
        uint224 sumOfSquaredCounts;
    }

    /// @notice Count lanes per feature, L: numClasses rounded up to 2, 4, 8 or a multiple of 8.
    uint256 public immutable lanesPerFeature;
    /// Words holding one feature's lanes: 1 up to eight classes, L / 8 above.
    uint256 private immutable _wordsPerFeature;
    /// Selects one feature's lanes once they are shifted to the bottom of a word.
    uint256 private immutable _featureMask;

    /// Word w of the lane array (lanes 8w … 8w + 7) is at key w.
    mapping(uint256 => uint256) private _countWords;
    mapping(uint256 => ClassTotals) private _classTotals;
    /// Words loaded so far during initialisation: chunks must come in order.
    uint256 private _wordsLoaded;

    /// @param numFeatures_ Size of the vocabulary.
    /// @param classCounts_ For each class, its number of samples n; the number of classes is the
    /// length of this list.
    constructor(uint256 numFeatures_, uint32[] memory classCounts_)
        SparseClassifier(numFeatures_, classCounts_.length)
    {
        if (classCounts_.length < 2 || numFeatures_ == 0 || numFeatures_ > type(uint32).max) {
            revert TooFewClassesOrFeatures(classCounts_.length, numFeatures_);
        }
        uint256 lanes = 2;
        while (lanes < classCounts_.length && lanes < LANES_PER_WORD) lanes *= 2;
        if (lanes < classCounts_.length) lanes = _ceilDiv(classCounts_.length, LANES_PER_WORD) * LANES_PER_WORD;
        lanesPerFeature = lanes;
        _wordsPerFeature = _ceilDiv(lanes, LANES_PER_WORD);
        _featureMask = lanes < LANES_PER_WORD ? (1 << (32 * lanes)) - 1 : type(uint256).max;
        for (uint256 label = 0; label < classCounts_.length; label++) {
            if (classCounts_[label] != 0) _classTotals[label].sampleCount = classCounts_[label];
        }
    }

    /// @notice Load count words `offset` … `offset + words.length - 1` (initialisation only, in
    /// order); see the header for the lane layout. Σ_f count_f² is computed here from the counts,
    /// so it always matches them.
    /// @param offset Number of the first word in this chunk: the number of words loaded so far.
    /// @param words Eight uint32 count lanes per word.
    function setCountWords(uint256 offset, uint256[] calldata words) external onlyOwner onlyDuringInitialisation {
        if (offset != _wordsLoaded) revert ChunkOutOfOrder(offset, _wordsLoaded);
        uint256 end = offset + words.length;
        uint256 size = _ceilDiv(numFeatures * lanesPerFeature, LANES_PER_WORD);
        if (end > size) revert ChunkTooLong(end, size);
        // Class totals are read once and written once per chunk, not once per word.
        uint256[] memory sampleCounts = new uint256[](numClasses);
        uint256[] memory squares = new uint256[](numClasses);
        for (uint256 label = 0; label < numClasses; label++) {
            sampleCounts[label] = _classTotals[label].sampleCount;
        }
        // Unchecked: keys stay below `size`, counts below 2^32, so no sum or product can wrap
        // (checked arithmetic costs a jump to a helper per operation: about 500 gas per word).
        unchecked {
            for (uint256 i = 0; i < words.length; ++i) {
                uint256 word = words[i];
                // Every word is loaded once, into fresh storage: a zero word needs no write (saves 2,200 gas).
                if (word == 0) continue;
                _addSquaredCounts(sampleCounts, squares, word, (offset + i) * LANES_PER_WORD);
                _countWords[offset + i] = word;
            }
        }
        for (uint256 label = 0; label < numClasses; label++) {
            if (squares[label] != 0) _classTotals[label].sumOfSquaredCounts += uint224(squares[label]);
        }
        _wordsLoaded = end;
    }

    /// Adds count² to `squares` for every lane of a count word, checking every count.
    function _addSquaredCounts(
        uint256[] memory sampleCounts,
        uint256[] memory squares,
        uint256 word,
        uint256 firstLane
    ) private view {
        uint256 feature = firstLane / lanesPerFeature;
        uint256 label = firstLane % lanesPerFeature;
        // Unchecked: a count is below 2^32, so a sum of fewer than 2^32 squares is below 2^96.
        unchecked {
            for (uint256 j = 0; j < LANES_PER_WORD; ++j) {
                uint256 count = (word >> (32 * j)) & COUNT_MASK;
                if (count != 0) {
                    if (label >= numClasses || feature >= numFeatures) revert CountOutsideModel(feature, label);
                    if (count > sampleCounts[label]) revert CountAboveClassCount(feature, label, count, sampleCounts[label]);
                    squares[label] += count * count;
                }
                // The next lane: the next class, or the first class of the next feature.
                if (++label == lanesPerFeature) (feature, label) = (feature + 1, 0);
            }
        }
    }

    /// @notice Read how many samples of a class contain features `offset` … `offset + count - 1`.
    /// @param label The class.
    /// @param offset Index of the first feature.
    /// @param count How many features.
    /// @return counts One count per feature.
    function featureCounts(uint256 label, uint256 offset, uint256 count) external view returns (uint32[] memory counts) {
        _checkLabel(label);
        if (offset + count > numFeatures) revert ChunkTooLong(offset + count, numFeatures);
        counts = new uint32[](count);
        for (uint256 i = 0; i < count; i++) {
            uint256 lane = (offset + i) * lanesPerFeature + label;
            counts[i] = uint32(_countWords[lane / LANES_PER_WORD] >> (32 * (lane % LANES_PER_WORD)));
        }
    }

    /// @notice Each class's number of samples n and Σ_f count_f².
    /// @return sampleCounts n per class.
    /// @return sumsOfSquaredCounts Σ_f count_f² per class.
    function classTotals() external view returns (uint32[] memory sampleCounts, uint256[] memory sumsOfSquaredCounts) {
        sampleCounts = new uint32[](numClasses);
        sumsOfSquaredCounts = new uint256[](numClasses);
        for (uint256 label = 0; label < numClasses; label++) {
            ClassTotals memory totals = _classTotals[label];
            sampleCounts[label] = totals.sampleCount;
            sumsOfSquaredCounts[label] = totals.sumOfSquaredCounts;
        }
    }

    /// @notice Squared Euclidean distance from a sample to a class's centroid, as a fraction.
    /// @param features Indices of the present features, strictly increasing.
    /// @param label The class.
    /// @return numerator Σ_f (n·x_f − count_f)² (|x| for a class with no samples).
    /// @return denominator n² (1 for a class with no samples).
    function squaredDistance(bytes calldata features, uint256 label)
        external
        view
        returns (uint256 numerator, uint256 denominator)
    {
        _checkSample(features);
        _checkLabel(label);
        return _squaredDistance(_count(features), _classTotals[label], _presentCount(_presentSums(features), label));
    }

    function _predict(bytes calldata features) internal view override returns (uint256 best) {
        uint256[] memory sums = _presentSums(features);
        (uint256 bestNumerator, uint256 bestDenominator) =
            _squaredDistance(_count(features), _classTotals[0], _presentCount(sums, 0));
        for (uint256 label = 1; label < numClasses; label++) {
            (uint256 numerator, uint256 denominator) =
                _squaredDistance(_count(features), _classTotals[label], _presentCount(sums, label));
            // a/b < c/d ⇔ a·d < c·b (b, d > 0). Strictly nearer only: a tie keeps the lower class.
            if (numerator * bestDenominator < bestNumerator * denominator) {
                (bestNumerator, bestDenominator) = (numerator, denominator);
                best = label;
            }
        }
    }

    /// @dev The margin compares distances rounded down to 32 fraction bits, ⌊numerator · 2^32 /
    /// denominator⌋: the nearest other class's minus the label's. `right` comes from the exact
    /// cross-multiplied comparison `_predict` makes, not from the rounded margin: the label's class
    /// must be strictly nearer than every lower class and no farther than every higher one.
    function _assess(bytes calldata features, uint256 label) internal view override returns (int256, bool right) {
        uint256[] memory sums = _presentSums(features);
        uint256 k = _count(features);
        (uint256 ownNumerator, uint256 ownDenominator) =
            _squaredDistance(k, _classTotals[label], _presentCount(sums, label));
        uint256 nearestOther = type(uint256).max;
        right = true;
        for (uint256 c = 0; c < numClasses; c++) {
            if (c == label) continue;
            (uint256 numerator, uint256 denominator) = _squaredDistance(k, _classTotals[c], _presentCount(sums, c));
            // Cross-products stay below 2^162 (see `_squaredDistance`).
            (uint256 other, uint256 own) = (numerator * ownDenominator, ownNumerator * denominator);
            if (other < own || (other == own && c < label)) right = false;
            uint256 distance = (numerator << 32) / denominator;
            if (distance < nearestOther) nearestOther = distance;
        }
        // Numerators are below 2^97, so the rounded distances are below 2^129: the casts are exact.
        return (_clampMargin(int256(nearestOther) - int256((ownNumerator << 32) / ownDenominator)), right);
    }

    /// For every word w of a feature's lanes, the sums over the present features of its even
    /// lanes (at 2w) and of its odd lanes shifted down (at 2w + 1): every class's count summed at
    /// once, one addition per word instead of one unpacking per class (about 60 gas saved per
    /// feature and class).
    function _presentSums(bytes calldata features) internal view returns (uint256[] memory sums) {
        sums = new uint256[](2 * _wordsPerFeature);
        // Unchecked: each 64-bit field sums fewer than 2^32 counts below 2^32 (see EVEN_LANES).
        unchecked {
            for (uint256 i = 0; i < _count(features); i++) {
                uint256 firstLane = _featureAt(features, i) * lanesPerFeature;
                // Up to eight classes the feature's lanes sit inside one word, from this bit on;
                // above eight they start a word, so the shift is 0.
                uint256 shift = 32 * (firstLane % LANES_PER_WORD);
                uint256 key = firstLane / LANES_PER_WORD;
                for (uint256 w = 0; w < _wordsPerFeature; w++) {
                    uint256 counts = (_countWords[key + w] >> shift) & _featureMask;
                    sums[2 * w] += counts & EVEN_LANES;
                    sums[2 * w + 1] += (counts >> 32) & EVEN_LANES;
                }
            }
        }
    }

    /// Σ_{f∈x} count_f of one class, out of the lane sums of `_presentSums`.
    function _presentCount(uint256[] memory sums, uint256 label) internal pure returns (uint256) {
        uint256 lane = label % LANES_PER_WORD;
        uint256 packed = sums[2 * (label / LANES_PER_WORD) + lane % 2];
        return (packed >> (64 * (lane / 2))) & type(uint64).max;
    }

    function _squaredDistance(uint256 presentFeatures, ClassTotals memory totals, uint256 presentCount)
        internal
        pure
        returns (uint256 numerator, uint256 denominator)
    {
        uint256 n = totals.sampleCount;
        if (n == 0) return (presentFeatures, 1);
        // Unchecked: the result is Σ_f (n·x_f − count_f)² ≥ 0, below 2^97 (header), so neither the
        // subtraction nor the products wrap; the caller's cross-products stay below 2^162.
        unchecked {
            numerator = presentFeatures * n * n + totals.sumOfSquaredCounts - 2 * n * presentCount;
            denominator = n * n;
        }
    }

    /// @dev A counting model learns from every sample.
    function _wouldChange(bytes calldata, uint256) internal pure override returns (bool) {
        return true;
    }

    /// count_f ← count_f + 1 for every present feature f, n ← n + 1, and
    /// Σ count² grows by Σ (2·count_f + 1) over the present features.
    function _update(bytes calldata features, uint256 label) internal override {
        ClassTotals memory totals = _classTotals[label];
        if (totals.sampleCount == MAX_CLASS_COUNT) revert ClassCountFull(label, totals.sampleCount);
        uint256 squaresAdded;
        // Unchecked: count_f ≤ n < MAX_CLASS_COUNT, so adding one never carries out of the lane.
        unchecked {
            for (uint256 i = 0; i < _count(features); i++) {
                uint256 lane = _featureAt(features, i) * lanesPerFeature + label;
                uint256 key = lane / LANES_PER_WORD;
                uint256 shift = 32 * (lane % LANES_PER_WORD);
                uint256 counts = _countWords[key];
                squaresAdded += 2 * ((counts >> shift) & COUNT_MASK) + 1;
                _countWords[key] = counts + (1 << shift);
            }
        }
        _classTotals[label] = ClassTotals(totals.sampleCount + 1, totals.sumOfSquaredCounts + uint224(squaresAdded));
    }

    function _ceilDiv(uint256 a, uint256 b) private pure returns (uint256) {
        return (a + b - 1) / b;
    }
}
