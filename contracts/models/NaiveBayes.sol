// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SparseClassifier} from "./SparseClassifier.sol";

/// @title NaiveBayes
/// @notice Multinomial naive Bayes over present features (e.g. the words of a sentence), with any
/// number of classes. A present feature counts once ("binary multinomial"). The model counts, per
/// class c, its samples n_c and the features seen in them (total_c); per class and feature f, how
/// many of its samples had f (count_cf). Training (`update`) always adds the sample to its class.
///
/// `predict(x)` returns the class with the largest
///     log P(c) + Σ_{f∈x} log((count_cf + α) / (total_c + α·V))      (V = numFeatures)
/// computed in log space with exact integer arithmetic, so long samples never underflow (the
/// reference multiplied floored probabilities and scored every class 0 after a few features).
/// Ties go to the lowest class index; a class with no samples is never predicted (its prior is
/// log 0), and a model with no samples at all predicts class 0.
///
/// Fixed point, one scale per concept:
///   - α is given as `alphaScaled` = α × ALPHA_SCALE (1e9), 1 … 2^63.
///   - A log is ℓ(v) ≈ log2(v) × 2^LOG_FRACTION_BITS (2^16) for an integer v ≥ 1, rounded down,
///     computed by `log2Scaled` (bit length for the integer part, a short atanh series for the
///     fraction): log2(v)·2^16 − 1.01 < ℓ(v) ≤ log2(v)·2^16 + 0.01, and ℓ never decreases as v
///     grows. One unit is 2^-16 in log2, i.e. 1.06e-5 in natural-log units.
/// Since count + α = (count × ALPHA_SCALE + alphaScaled) / ALPHA_SCALE and ALPHA_SCALE cancels in
/// each ratio, the score compared is, up to a constant shared by all classes, for k features:
///     score_c = ℓ(n_c) − k × ℓ(total_c × ALPHA_SCALE + alphaScaled × V) + L_c,
///     L_c ≈ 2^16 · log2 Π_{f∈x} (count_cf × ALPHA_SCALE + alphaScaled).
/// L_c takes one log, not k: the product is kept as a mantissa below 2^128 times 2^E (whenever the
/// mantissa reaches 2^128 it drops its low 64 bits and E grows by 64), and L_c = ℓ(mantissa) + 2^16·E,
/// within the same bounds as ℓ of the exact value. `scores` returns every score_c. Storage holds
/// counts only; `update` takes no log at all.
///
/// Supported range (anything beyond reverts with a custom error, nothing ever wraps):
///   numClasses ≥ 2 (gas grows with it); 1 ≤ numFeatures ≤ 2^32 (features are uint32); every n_c and count_cf
///   ≤ MAX_COUNT (2^21 − 1): `update` reverts with SampleCountLimit / FeatureCountLimit there.
///   Then total_c < 2^53, every factor of the product is below 2^64 and every score fits in an
///   int256 with room to spare.
contract NaiveBayes is SparseClassifier {
    /// @notice Fixed-point scale of the smoothing α: 1.0 is stored as 1e9.
    uint256 public constant ALPHA_SCALE = 1e9;
    /// @notice Logs are log2 values times 2^LOG_FRACTION_BITS.
    uint256 public constant LOG_FRACTION_BITS = 16;
    /// @notice Largest sample count of a class, and largest count of a (class, feature).
    uint256 public constant MAX_COUNT = 2 ** 21 - 1;
    /// @notice Largest smoothing α × ALPHA_SCALE: keeps every factor count × ALPHA_SCALE + α below 2^64.
    uint256 public constant MAX_ALPHA_SCALED = 2 ** 63;
    /// @notice Number of 21-bit counts in one storage slot.
    uint256 public constant COUNTS_PER_SLOT = 12;

    // Storage layout of the counts. A slot holds twelve 21-bit counts ("lanes", 252 bits). With
    // C ≤ 12 classes, the counts of ⌊12 / C⌋ consecutive features share a slot, class-major: feature
    // f, class c sits in slot ⌊f / F⌋ at lane (f mod F)·C + c (F = features per slot). With more
    // classes, a feature's counts fill ⌈C / 12⌉ slots, twelve classes each. A 2-class model thus
    // keeps six features per slot: deployment writes a sixth of the slots a slot-per-count layout
    // would (22,100 gas each), and `update`/`predict` pay the cold-slot price (5,000 and 2,100) once
    // for features that share a slot. Twelve 21-bit lanes rather than ten of 24 bits: a 50-feature
    // sample of a 1,000-feature vocabulary touches about 44 slots instead of 45, for a limit of
    // 2 million samples per class instead of 16 million.
    uint256 private constant COUNT_BITS = 21;
    uint256 private constant COUNT_MASK = 2 ** 21 - 1;
    // Constants of `log2Scaled`, all with 64 fraction bits (1.0 is 2^64), rounded down.
    uint256 private constant ONE = 2 ** 64;
    uint256 private constant TWO = 2 ** 65;
    uint256 private constant SQRT2 = 26087635650665564424; // √2
    uint256 private constant ONE_THIRD = 6148914691236517205;
    uint256 private constant ONE_FIFTH = 3689348814741910323;
    uint256 private constant ONE_SEVENTH = 2635249153387078802;
    uint256 private constant TWO_OVER_LN2 = 53226052391377289966; // 2 / ln 2

    /// @notice The smoothing α × ALPHA_SCALE must be 1 … MAX_ALPHA_SCALED.
    error InvalidSmoothing(uint256 alphaScaled);
    /// @notice Naive Bayes needs at least two classes.
    error TooFewClasses(uint256 numClasses);
    /// @notice The vocabulary must have 1 … 2^32 features.
    error NumFeaturesOutOfRange(uint256 numFeatures);
    /// @notice One sample count per class is needed.
    error SampleCountsLength(uint256 given, uint256 numClasses);
    /// @notice Class `label` cannot have more than `limit` samples.
    error SampleCountLimit(uint256 label, uint256 limit);
    /// @notice Feature `feature` of class `label` cannot be counted more than `limit` times.
    error FeatureCountLimit(uint256 label, uint256 feature, uint256 limit);
    /// @notice Loaded slot `slot` has a count for a feature or class the model does not have (both
    /// are 2^256 − 1 for a count in the unused top lanes).
    error CountOutsideModel(uint256 slot, uint256 feature, uint256 label);
    /// @notice log2 of zero is undefined.
    error LogOfZero();

    struct ClassInfo {
        uint24 sampleCount; // n_c
        uint64 totalCount; // total_c = Σ_f count_cf
    }

    /// @notice The smoothing α times ALPHA_SCALE.
    uint256 public immutable alphaScaled;
    /// @notice Classes whose counts for one feature share a slot: min(numClasses, 12).
    uint256 public immutable classesPerSlot;
    /// @notice Features whose counts share a slot: ⌊12 / classesPerSlot⌋.
    uint256 public immutable featuresPerSlot;
    /// @notice Slots per feature (group): ⌈numClasses / 12⌉.
    uint256 public immutable classGroups;
    /// @notice Number of count slots: ⌈numFeatures / featuresPerSlot⌉ × classGroups.
    uint256 public immutable numSlots;

    mapping(uint256 => ClassInfo) private _classes;
    /// Initialisation progress: how many slots `setCounts` has loaded.
    uint256 private _slotsLoaded;

    /// The count slots, in a storage area of their own: `_countSlots().words[key]` is storage slot
    /// COUNT_SLOTS_LOCATION + key, with no hash to compute on each access (a mapping spends some 60
    /// gas per slot: 2,500 per update or prediction of 50 features). The area starts at a hash, as
    /// Solidity's own dynamic arrays do, so it overlaps no other variable. (A fixed-size array
    /// declared here would do the same but push the trainers' variables, declared after it, to slot
    /// numbers near 2^61: 8 more bytes of code in every access to them.) The array's length only
    /// bounds Solidity's index check: keys stay below numSlots, which is below 2^63 unless the model
    /// has more than 2^31 · 12 classes (a constructor no block could pay for).
    struct CountSlots {
        uint256[1 << 63] words;
    }

    bytes32 private constant COUNT_SLOTS_LOCATION = keccak256("dcai-lab.NaiveBayes.countSlots");

    /// @param numFeatures_ Size of the vocabulary V.
    /// @param numClasses_ Number of classes.
    /// @param alphaScaled_ The smoothing α times ALPHA_SCALE.
    /// @param sampleCounts Initial n_c of every class (zeros for an untrained model).
    constructor(uint256 numFeatures_, uint256 numClasses_, uint256 alphaScaled_, uint256[] memory sampleCounts)
        SparseClassifier(numFeatures_, numClasses_)
    {
        if (numClasses_ < 2) revert TooFewClasses(numClasses_);
        if (numFeatures_ == 0 || numFeatures_ > 2 ** 32) revert NumFeaturesOutOfRange(numFeatures_);
        if (alphaScaled_ == 0 || alphaScaled_ > MAX_ALPHA_SCALED) revert InvalidSmoothing(alphaScaled_);
        if (sampleCounts.length != numClasses_) revert SampleCountsLength(sampleCounts.length, numClasses_);
        alphaScaled = alphaScaled_;
        classesPerSlot = numClasses_ < COUNTS_PER_SLOT ? numClasses_ : COUNTS_PER_SLOT;
        featuresPerSlot = COUNTS_PER_SLOT / classesPerSlot;
        classGroups = (numClasses_ + COUNTS_PER_SLOT - 1) / COUNTS_PER_SLOT;
        numSlots = (numFeatures_ + featuresPerSlot - 1) / featuresPerSlot * classGroups;
        for (uint256 c = 0; c < numClasses_; c++) {
            if (sampleCounts[c] > MAX_COUNT) revert SampleCountLimit(c, MAX_COUNT);
            _classes[c].sampleCount = uint24(sampleCounts[c]);
        }
    }

    // -- initialisation ---------------------------------------------------------------------------

    /// @notice Load count slots `offset` … `offset + slots.length − 1` (during initialisation only),
    /// packed as in the storage layout. Chunks must come in order, so every slot is loaded once and
    /// each class total is the sum of its counts. Zero slots cost only their calldata.
    /// @param offset Index of this chunk's first slot.
    /// @param slots Twelve 21-bit counts per slot.
    function setCounts(uint256 offset, uint256[] calldata slots) external onlyOwner onlyDuringInitialisation {
        if (offset != _slotsLoaded) revert ChunkOutOfOrder(offset, _slotsLoaded);
        if (offset + slots.length > numSlots) revert ChunkTooLong(offset + slots.length, numSlots);
        uint256[] memory addedTotals = new uint256[](numClasses);
        (uint256 perSlot, uint256 groups, uint256 classes) = _layout();
        uint256[1 << 63] storage words = _countSlots().words;
        for (uint256 i = 0; i < slots.length; i++) {
            if (slots[i] == 0) continue;
            uint256 key = offset + i;
            uint256 lanes = slots[i];
            // Walk the lanes in order: features firstFeature …, each with classes firstClass ….
            // No overflow: keys, features and classes are far below 2^256.
            unchecked {
                uint256 firstFeature = key / groups * perSlot;
                uint256 firstClass = key % groups * COUNTS_PER_SLOT;
                for (uint256 feature = firstFeature; feature < firstFeature + perSlot; feature++) {
                    for (uint256 label = firstClass; label < firstClass + classes; label++) {
                        uint256 count = lanes & COUNT_MASK;
                        lanes >>= COUNT_BITS;
                        if (count == 0) continue;
                        if (feature >= numFeatures || label >= numClasses) {
                            revert CountOutsideModel(key, feature, label);
                        }
                        addedTotals[label] += count;
                    }
                }
            }
            if (lanes != 0) revert CountOutsideModel(key, type(uint256).max, type(uint256).max);
            words[key] = slots[i];
        }
        for (uint256 c = 0; c < addedTotals.length; c++) {
            if (addedTotals[c] != 0) _classes[c].totalCount += uint64(addedTotals[c]);
        }
        _slotsLoaded = offset + slots.length;
    }

    // -- views ----------------------------------------------------------------------------------

    /// @notice Every class's sample count n_c and feature total total_c.
    /// @return sampleCounts n_c for c = 0 … numClasses − 1.
    /// @return totalCounts total_c for c = 0 … numClasses − 1.
    function classCounts() external view returns (uint256[] memory sampleCounts, uint256[] memory totalCounts) {
        sampleCounts = new uint256[](numClasses);
        totalCounts = new uint256[](numClasses);
        for (uint256 c = 0; c < numClasses; c++) {
            ClassInfo memory info = _classes[c];
            (sampleCounts[c], totalCounts[c]) = (info.sampleCount, info.totalCount);
        }
    }

    /// @notice Read `count` feature counts of class `label`, starting at feature `offset`.
    /// @param label The class.
    /// @param offset First feature.
    /// @param count How many features.
    /// @return counts count_cf for f = offset … offset + count − 1.
    function featureCounts(uint256 label, uint256 offset, uint256 count)
        external
        view
        returns (uint256[] memory counts)
    {
        _checkLabel(label);
        if (offset + count > numFeatures) revert ChunkTooLong(offset + count, numFeatures);
        counts = new uint256[](count);
        uint256[1 << 63] storage words = _countSlots().words;
        (uint256 perSlot, uint256 groups, uint256 classes) = _layout();
        // count_cf sits in slot ⌊f / perSlot⌋ · groups + ⌊c / 12⌋, lane (f mod perSlot) · classes + c mod 12.
        // No overflow: features are below 2^32 and slots below 2^96.
        unchecked {
            for (uint256 i = 0; i < count; i++) {
                uint256 feature = offset + i;
                uint256 key = feature / perSlot * groups + label / COUNTS_PER_SLOT;
                uint256 shift = COUNT_BITS * (feature % perSlot * classes + label % COUNTS_PER_SLOT);
                counts[i] = (words[key] >> shift) & COUNT_MASK;
            }
        }
    }

    /// @notice Each class's score for a sample, the quantity `predict` maximises: ℓ(n_c)
    /// − k·ℓ(total_c × ALPHA_SCALE + alphaScaled × V) + L_c (see the header), in log2 units times
    /// 2^16. It equals 2^16·log2 P(c, x) up to a constant shared by all classes, so differences
    /// between classes are meaningful. A class without samples scores type(int256).min.
    /// @param features Indices of the present features, strictly increasing.
    /// @return classScores The score of every class.
    function scores(bytes calldata features) external view returns (int256[] memory classScores) {
        _checkSample(features);
        return _scores(features);
    }

    /// @notice ℓ(x) ≈ log2(x) × 2^16, rounded down: the fixed-point log every score is made of.
    /// It lies within log2(x)·2^16 − 1.01 … log2(x)·2^16 + 0.01 and never decreases as x grows.
    /// @dev log2 x = n + log2 m with n = ⌊log2 x⌋ (the bit length minus one) and m = x / 2^n in
    /// [1, 2), held with 64 fraction bits. For the mantissa, log2 m = (2 / ln 2) · atanh(s) with
    /// s = (m − 1) / (m + 1), and atanh(s) = s + s³/3 + s⁵/5 + s⁷/7 + …; taking m / 2 and n + 1
    /// when m ≥ √2 keeps |s| ≤ 3 − 2√2 ≈ 0.17, so four terms leave an error below 0.003 units of
    /// the result. Everything is unsigned integer arithmetic, rounded down at each step, and the
    /// result is assembled as n·2^128 ± (log2 of the mantissa)·2^128 before the final shift, so it
    /// differs from ⌊log2(x) × 2^16⌋ by at most one (it is exact at powers of two) and is computed
    /// bit for bit the same by the Python twin. Written in assembly: about 600 gas per log, where
    /// sixteen rounds of the textbook repeated squaring cost about 1,450 even in assembly.
    /// @param x Any positive integer.
    /// @return result The log2 of x times 2^LOG_FRACTION_BITS.
    function log2Scaled(uint256 x) public pure returns (uint256 result) {
        if (x == 0) revert LogOfZero();
        assembly ("memory-safe") {
            // n = ⌊log2 x⌋, by binary search on the bit length (8 halvings).
            let n := shl(7, lt(0xffffffffffffffffffffffffffffffff, x))
            n := or(n, shl(6, lt(0xffffffffffffffff, shr(n, x))))
            n := or(n, shl(5, lt(0xffffffff, shr(n, x))))
            n := or(n, shl(4, lt(0xffff, shr(n, x))))
            n := or(n, shl(3, lt(0xff, shr(n, x))))
            n := or(n, shl(2, lt(0xf, shr(n, x))))
            n := or(n, shl(1, lt(0x3, shr(n, x))))
            n := or(n, lt(0x1, shr(n, x)))
            // m = x / 2^n in [1, 2) with 64 fraction bits (1.0 is ONE = 2^64).
            let m := shr(sub(n, 64), x)
            if lt(n, 64) { m := shl(sub(64, n), x) }
            // |s| · 2^64 and the sign of s: s = (m − 1) / (m + 1) ≥ 0 for m < √2, otherwise
            // s = (m/2 − 1) / (m/2 + 1) = −(2 − m) / (m + 2) < 0 and n grows by one.
            let negative := iszero(lt(m, SQRT2))
            let s := div(shl(64, sub(m, ONE)), add(m, ONE))
            if negative {
                n := add(n, 1)
                s := div(shl(64, sub(TWO, m)), add(m, TWO))
            }
            // atanh|s| = |s| · (1 + s²(1/3 + s²(1/5 + s²/7))), by Horner's rule, 64 fraction bits.
            let s2 := shr(64, mul(s, s))
            let t := add(ONE_FIFTH, shr(64, mul(s2, ONE_SEVENTH)))
            t := add(ONE_THIRD, shr(64, mul(s2, t)))
            t := add(ONE, shr(64, mul(s2, t)))
            // |log2 m| · 2^128 = atanh|s| · (2 / ln 2) · 2^128.
            let mantissaLog := mul(shr(64, mul(s, t)), TWO_OVER_LN2)
            let total := add(shl(128, n), mantissaLog)
            if negative { total := sub(shl(128, n), mantissaLog) }
            result := shr(sub(128, LOG_FRACTION_BITS), total)
        }
    }

    // -- the model ------------------------------------------------------------------------------
    // `_predict`, `_scores` and `_update` take a sample that passed `_checkSample` (the public
    // `predict`, `scores` and `update` check it first): whole 4-byte indices, strictly increasing,
    // each below numFeatures.

    function _predict(bytes calldata features) internal view override returns (uint256 best) {
        int256[] memory classScores = _scores(features);
        int256 bestScore = type(int256).min;
        for (uint256 c = 0; c < classScores.length; c++) {
            if (classScores[c] > bestScore) (best, bestScore) = (c, classScores[c]);
        }
    }

    /// @dev The label's score minus the best other class's, among classes with samples: −MARGIN_LIMIT
    /// when the label's class has none, +MARGIN_LIMIT when no other class has any. `right` follows
    /// `_predict`: the first of the highest scores.
    function _assess(bytes calldata features, uint256 label) internal view override returns (int256, bool) {
        int256[] memory classScores = _scores(features);
        uint256 best;
        int256 bestScore = type(int256).min;
        int256 bestOther = type(int256).min; // a class without samples scores this, so it never counts
        for (uint256 c = 0; c < classScores.length; c++) {
            int256 score = classScores[c];
            if (score > bestScore) (best, bestScore) = (c, score);
            if (c != label && score > bestOther) bestOther = score;
        }
        int256 own = classScores[label];
        if (own == type(int256).min) return (-MARGIN_LIMIT, best == label);
        if (bestOther == type(int256).min) return (MARGIN_LIMIT, best == label);
        // Both scores lie within ±2^57 (see `_scores`), so the difference is far inside the limit.
        return (own - bestOther, best == label);
    }

    function _scores(bytes calldata features) internal view returns (int256[] memory classScores) {
        classScores = new int256[](numClasses);
        (uint256[] memory mantissas, uint256[] memory exponents) = _products(features);
        // No overflow: α·V < 2^63 · 2^32; every log is below 256 × 2^16 = 2^24 and there are fewer
        // than 2^32 features, so every term and every score lies within ±2^57.
        unchecked {
            uint256 alphaTimesFeatures = alphaScaled * numFeatures;
            uint256 k = _count(features);
            for (uint256 c = 0; c < classScores.length; c++) {
                ClassInfo storage info = _classes[c];
                (uint256 samples, uint256 total) = (info.sampleCount, info.totalCount);
                if (samples == 0) {
                    classScores[c] = type(int256).min;
                    continue;
                }
                uint256 logDenominator = log2Scaled(total * ALPHA_SCALE + alphaTimesFeatures);
                uint256 logProduct = log2Scaled(mantissas[c]) + (exponents[c] << LOG_FRACTION_BITS);
                classScores[c] = int256(log2Scaled(samples)) - int256(k * logDenominator) + int256(logProduct);
            }
        }
    }

    /// For every class c, Π_{f∈x} (count_cf × ALPHA_SCALE + alphaScaled) as a mantissa below 2^128
    /// times 2^exponent: whenever the mantissa reaches 2^128 it drops its low 64 bits and the
    /// exponent grows by 64 (see the header). L_c is ℓ(mantissa) + 2^16 · exponent.
    /// @dev Wholly in assembly: a feature's slot is loaded only when the feature lies in another
    /// slot than the one before (features are increasing, so those sharing a slot are neighbours),
    /// and the products are walked by pointer without Solidity's bounds checks. About 200 gas per
    /// feature and 150 per class and feature, where the Solidity loop around the per-class assembly
    /// spent 600 and 165 (internal calls, checked arithmetic, the mapping's hash).
    function _products(bytes calldata features)
        private
        view
        returns (uint256[] memory mantissas, uint256[] memory exponents)
    {
        uint256 n = numClasses;
        mantissas = new uint256[](n);
        exponents = new uint256[](n);
        if (n == 2) {
            _binaryProducts(features, mantissas, exponents);
            return (mantissas, exponents);
        }
        (uint256 perSlot, uint256 groups, uint256 classes) = _layout();
        uint256 alpha = alphaScaled;
        uint256 location = _countSlotsLocation();
        assembly ("memory-safe") {
            let first := add(mantissas, 0x20)
            let last := add(first, shl(5, n))
            for { let m := first } lt(m, last) { m := add(m, 0x20) } { mstore(m, 1) }
            // exponents[c] lies this far after mantissas[c].
            let toExponent := sub(exponents, mantissas)
            let loadedKey := not(0)
            let word := 0
            let end := add(features.offset, features.length)
            // Loops that test at their end: a sample has a feature, a feature some classes, and a
            // slot at least one of them.
            let p := features.offset
            for {} 1 {} {
                let f := shr(224, calldataload(p))
                // Classes 12g … 12g + 11 of feature f sit in slot ⌊f / perSlot⌋ · groups + g, from bit
                // 21 · (f mod perSlot) · classes on (with more than twelve classes, perSlot is 1).
                let key := mul(div(f, perSlot), groups)
                let firstShift := mul(COUNT_BITS, mul(mod(f, perSlot), classes))
                let m := first
                for {} 1 {} {
                    if iszero(eq(key, loadedKey)) {
                        loadedKey := key
                        word := sload(add(location, key))
                    }
                    let lanes := shr(firstShift, word)
                    let groupEnd := add(m, shl(5, classes))
                    if gt(groupEnd, last) { groupEnd := last }
                    // mantissa ×= count × ALPHA_SCALE + α: the factor is below 2^64 and the mantissa
                    // below 2^128, so the product cannot overflow; at 2^128 and above it drops 64 bits.
                    for {} 1 {} {
                        let product := mul(mload(m), add(mul(and(lanes, COUNT_MASK), ALPHA_SCALE), alpha))
                        if shr(128, product) {
                            product := shr(64, product)
                            let exponent := add(m, toExponent)
                            mstore(exponent, add(mload(exponent), 64))
                        }
                        mstore(m, product)
                        m := add(m, 0x20)
                        if iszero(lt(m, groupEnd)) { break }
                        lanes := shr(COUNT_BITS, lanes)
                    }
                    if iszero(lt(m, last)) { break }
                    key := add(key, 1)
                }
                p := add(p, 4)
                if iszero(lt(p, end)) { break }
            }
        }
    }

    /// `_products` for two classes, the common case (e.g. sentiment): the same products, with both
    /// mantissas and exponents on the stack instead of in memory. Six features share a slot,
    /// feature f's counts for classes 0 and 1 in lanes 2·(f mod 6) and 2·(f mod 6) + 1. About 290
    /// gas per feature where the general path spends 500: 11,000 gas less for every prediction,
    /// refund or report of a 50-word sample, for some 50,000 gas more code to deploy once.
    function _binaryProducts(bytes calldata features, uint256[] memory mantissas, uint256[] memory exponents)
        private
        view
    {
        uint256 alpha = alphaScaled;
        uint256 location = _countSlotsLocation();
        assembly ("memory-safe") {
            let mantissa0 := 1
            let mantissa1 := 1
            let exponent0 := 0
            let exponent1 := 0
            let loadedSlot := not(0)
            let word := 0
            let end := add(features.offset, features.length)
            let p := features.offset
            for {} 1 {} { // tests at its end: a sample has a feature
                let f := shr(224, calldataload(p))
                let slot := add(location, div(f, 6))
                if iszero(eq(slot, loadedSlot)) {
                    loadedSlot := slot
                    word := sload(slot)
                }
                let lanes := shr(mul(42, mod(f, 6)), word) // 42 bits per feature: two counts
                // As on the general path: the factor is below 2^64, the mantissa below 2^128.
                mantissa0 := mul(mantissa0, add(mul(and(lanes, COUNT_MASK), ALPHA_SCALE), alpha))
                if shr(128, mantissa0) {
                    mantissa0 := shr(64, mantissa0)
                    exponent0 := add(exponent0, 64)
                }
                mantissa1 := mul(mantissa1, add(mul(and(shr(COUNT_BITS, lanes), COUNT_MASK), ALPHA_SCALE), alpha))
                if shr(128, mantissa1) {
                    mantissa1 := shr(64, mantissa1)
                    exponent1 := add(exponent1, 64)
                }
                p := add(p, 4)
                if iszero(lt(p, end)) { break }
            }
            mstore(add(mantissas, 0x20), mantissa0)
            mstore(add(mantissas, 0x40), mantissa1)
            mstore(add(exponents, 0x20), exponent0)
            mstore(add(exponents, 0x40), exponent1)
        }
    }

    /// @dev A counting model learns from every sample.
    function _wouldChange(bytes calldata, uint256) internal pure override returns (bool) {
        return true;
    }

    function _update(bytes calldata features, uint256 label) internal override {
        ClassInfo storage info = _classes[label];
        (uint24 samples, uint64 total) = (info.sampleCount, info.totalCount);
        if (samples == MAX_COUNT) revert SampleCountLimit(label, MAX_COUNT);
        // No overflow: total_c < 2^53 (the header) and a sample has fewer than 2^32 features.
        unchecked {
            (info.sampleCount, info.totalCount) = (samples + 1, total + uint64(_count(features)));
        }
        // count_cf += 1 for every present f, in assembly: each slot is read once and written once,
        // when the next feature lies in another slot or the sample ends, however many of the
        // sample's features share it (as SparsePerceptron does). About 200 gas per feature instead
        // of 570 in Solidity (internal calls, checked arithmetic, a hash per access): 19,000 gas
        // less for a 50-word sample. The first count already at MAX_COUNT (feature + 1; 0 means
        // none) stops the walk and is reverted on below, so no count ever carries into the next lane.
        // No count can be full while its class total is below MAX_COUNT (the total sums the
        // counts), so a two-class model then takes a walk without the check.
        if (numClasses == 2 && total < MAX_COUNT) return _binaryAddCounts(features, label);
        uint256 fullFeature = _addCounts(features, label);
        if (fullFeature != 0) revert FeatureCountLimit(label, fullFeature - 1, MAX_COUNT);
    }

    /// count_cf += 1 for every present f, checking each (see `_update`); returns the first feature
    /// whose count is already MAX_COUNT, plus one, or 0 if none is.
    function _addCounts(bytes calldata features, uint256 label) private returns (uint256 fullFeature) {
        (uint256 perSlot, uint256 groups, uint256 classes) = _layout();
        // Slot ⌊f / perSlot⌋ · groups + ⌊c / 12⌋ (`base` is the storage address of slot ⌊c / 12⌋),
        // lane (f mod perSlot) · classes + c mod 12, as in `featureCounts`.
        (uint256 base, uint256 featureBits, uint256 labelShift) = (
            _countSlotsLocation() + label / COUNTS_PER_SLOT,
            COUNT_BITS * classes,
            COUNT_BITS * (label % COUNTS_PER_SLOT)
        );
        assembly ("memory-safe") {
            // A loop that tests at its end: the sample has at least one feature.
            let slot := add(base, mul(div(shr(224, calldataload(features.offset)), perSlot), groups))
            let word := sload(slot)
            let end := add(features.offset, features.length)
            let p := features.offset
            for {} 1 {} {
                let f := shr(224, calldataload(p))
                let featureSlot := add(base, mul(div(f, perSlot), groups))
                if iszero(eq(featureSlot, slot)) {
                    sstore(slot, word)
                    slot := featureSlot
                    word := sload(slot)
                }
                let shift := add(mul(mod(f, perSlot), featureBits), labelShift)
                if eq(and(shr(shift, word), COUNT_MASK), MAX_COUNT) {
                    fullFeature := add(f, 1)
                    break
                }
                word := add(word, shl(shift, 1))
                p := add(p, 4)
                if iszero(lt(p, end)) { break }
            }
            sstore(slot, word)
        }
    }

    /// `_addCounts` for two classes whose counts are all below MAX_COUNT, as `_binaryProducts` is
    /// `_products`': six features per slot and a single class group, so feature f lies in slot
    /// ⌊f / 6⌋ at lane 2·(f mod 6) + label, and nothing to check. About 50 gas per feature less than
    /// the general walk: 2,700 less for a 50-word sample.
    function _binaryAddCounts(bytes calldata features, uint256 label) private {
        uint256 location = _countSlotsLocation();
        uint256 one = 1 << (COUNT_BITS * label); // a count of 1 in the label's lane of feature 0
        assembly ("memory-safe") {
            // As in `_addCounts`: a loop that tests at its end, each slot read and written once.
            let p := features.offset
            let end := add(p, features.length)
            let slot := add(location, div(shr(224, calldataload(p)), 6))
            let word := sload(slot)
            for {} 1 {} {
                let f := shr(224, calldataload(p))
                let featureSlot := add(location, div(f, 6))
                if xor(featureSlot, slot) {
                    sstore(slot, word)
                    slot := featureSlot
                    word := sload(slot)
                }
                word := add(word, shl(mul(42, mod(f, 6)), one)) // 42 bits per feature: two counts
                p := add(p, 4)
                if eq(p, end) { break }
            }
            sstore(slot, word)
        }
    }

    /// The storage area of the count slots (see `CountSlots`).
    function _countSlots() private pure returns (CountSlots storage countSlots) {
        uint256 location = _countSlotsLocation();
        assembly ("memory-safe") {
            countSlots.slot := location
        }
    }

    /// The storage slot of count slot 0; count slot `key` is `key` slots further.
    function _countSlotsLocation() private pure returns (uint256) {
        return uint256(COUNT_SLOTS_LOCATION);
    }

    /// The layout's numbers: features per slot, slots per feature, classes per slot. Read here only,
    /// since each read of an immutable is 33 bytes of code.
    function _layout() private view returns (uint256 perSlot, uint256 groups, uint256 classes) {
        return (featuresPerSlot, classGroups, classesPerSlot);
    }
}
