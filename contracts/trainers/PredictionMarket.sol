// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";

/// @title PredictionMarket
/// @notice Pay for data by its effect on a hidden test set (the "Prediction market" of Harris &
/// Waggoner 2019, "Decentralized and Collaborative AI on Blockchain", §IV, after Abernethy &
/// Frongillo 2011). A provider posts a bounty and commits to a test set; participants stake on
/// their contributions; the provider reveals the test set; the contract scores each contribution
/// by how much closer training on it brings the model to the test set's labels, and pays gains
/// and takes losses at ONE price per point, so that data that helps earns and data that harms
/// costs, on the same scale. One market per trainer; the model it leaves behind is never worse
/// on the test set than the model it started from.
///
/// Points. A right-or-wrong count moves only when a prediction flips, so one contribution's
/// effect on it is mostly noise (a few flips either way), and a rule that keeps what raised the
/// count tunes the model to the test set, after which good data scores below zero as often as bad
/// (the winner's curse). Instead each test sample is worth between −SAMPLE_POINTS and
/// +SAMPLE_POINTS points in proportion to the model's margin for its label (`assess`: how much
/// the model prefers the label over the best other class), clipped at `marginScale`: twice the
/// initial model's mean |margin| on the test set. A contribution moves many margins a little, so
/// its points say reliably which way it pushes the model (measured in benchmarks/market_outcomes.py).
///
/// Rules, in the order of a market's life:
///
/// 1. Commitment. Only the trainer's deployer (who initialised the model) may open the market.
///    `commit(pieceHashes, totalBytes, pointsBought)` with a bounty of 1 … 2^96 − 1 wei and 2 …
///    MAX_PIECES pieces; `pointsBought` says how many points of improvement the bounty buys
///    (0: every point the model could still gain; see rule 4). A piece is one byte string: a
///    secret 32-byte salt, then its samples, each as a 2-byte label, a 2-byte length L and the L
///    bytes of the sample as `addData` takes it. Its hash is keccak256 of those bytes; the salt
///    makes it unguessable. `totalBytes`, the length of all pieces together, at most
///    MAX_EVALUATION_BYTES, bounds now the calldata of every later transaction that carries the
///    test set. There is no cancelling: from here on the provider either reveals or loses the
///    bounty (rules 2 and 4), so re-drawing the chosen piece costs the whole bounty, more than
///    any draw can save.
/// 2. The chosen piece is `uint256(blockhash(commitBlock)) % numPieces`, the hash of the block that
///    includes the commitment (unknown to a provider who does not build that block when signing).
///    The provider reveals it (`revealChosenPiece`) from the next block and within 256 blocks
///    (BLOCKHASH's window); it shows participants what the test set is like and is not scored.
///    That opens participation for `participationTime` seconds. Missed: the market lapses.
/// 3. Participation. While `block.timestamp < participationEnd`, `addData` takes the whole value
///    sent as the stake, at least `minStake`, for a sample of at most MAX_SAMPLE_BYTES bytes (so
///    any contribution fits a scoring transaction). The model is not trained yet. The stake is
///    credited to the contributor at once and is adjusted by scoring.
/// 4. Reveal. From `participationEnd` until before `revealDeadline` (participationEnd +
///    `revealTime`) the provider reveals every other piece in one transaction (`revealTestSet`),
///    each checked against its hash, all within `totalBytes`. The same transaction evaluates the
///    initial model on them: its right answers (`baseline`), `marginScale` =
///    max(1, ⌊2 · Σ|margin| / evaluationSize⌋), and its points (`baselinePoints`); a sample's
///    points are `margin · SAMPLE_POINTS / marginScale` (rounded toward zero) clamped to
///    ±SAMPLE_POINTS. That evaluation may use at most EVALUATION_GAS_LIMIT gas, which leaves every
///    scoring step room to train as well. The price of a point is set: with `room =
///    evaluationSize · SAMPLE_POINTS − baselinePoints`, the points the model could still gain,
///    `pricePerPoint = ⌊bounty / pointsBought⌋` wei, or `⌊bounty / room⌋` if `pointsBought` is 0
///    or above `room` (at least 1 in the denominator). A market gains far fewer points than
///    `room`, so a provider who buys fewer pays honest data more per point (and harm costs more).
///    Missed: the market lapses.
/// 5. Scoring (`process`, anyone, in batches, in id order). For each contribution: train on it and
///    evaluate, in a call of its own with at most STEP_GAS gas: `score = points after − points
///    before`. It is kept (the model stays trained on it) if neither its points nor its right
///    answers went down; otherwise it is undone, so harmful data never reaches the model, never
///    changes the scores of the contributions after it, and the model never gets fewer test
///    samples right. A perceptron that already predicts the label does not change, so it scores 0
///    without an evaluation. A contribution the model rejects (a parameter out of range) is not
///    kept and scores 0. One whose training and evaluation do not fit STEP_GAS cannot be scored,
///    is not kept, and forfeits its stake (it is the only way one contribution could stall the
///    market, so it costs its sender). A caller who sends too little gas for a step gets
///    `NotEnoughGas`, or ends the batch before it: the gas sent never decides a contribution's
///    fate. A transaction sent with the 16,777,216 cap that carries the test set and one
///    contribution (at most about 82,000 bytes of calldata, 1.3 M gas) always leaves its first
///    step the whole STEP_GAS, so scoring can always go on.
/// 6. Payouts, at scoring. Each contribution pays `scoringFee` to whoever scores it (the work it
///    causes is paid for by the one who causes it); the rest, s = stake − scoringFee, is at risk:
///      kept, score > 0: the contributor gains min(score · price, s) from the bounty;
///      score < 0 or unscoreable: the contributor loses min(|score| · price, s) (unscoreable: s);
///      otherwise (score 0, rejected, or undone for a lost right answer with no points lost):
///      s comes back.
///    Gains and losses use the same price and the same cap, so a contribution's payoff has the
///    sign of its effect on the test set, and noise that sometimes helps does not pay more than
///    harm costs. A gain is also capped by what is left of the bounty (`bounty − bountyPaid`):
///    kept scores may add up to more than `pointsBought`, and the gains never exceed the bounty.
///    When every contribution is scored, the provider gets back the unspent bounty, and the
///    losses are burned (sent to BURN_ADDRESS): paying them to anyone, the provider or other
///    contributors, would let a provider who controls the test set's labels profit from honest
///    stakes, directly or through accounts of its own.
/// 7. Lapse. If the chosen piece is not revealed within 256 blocks, or the test set before
///    `revealDeadline`, the market lapses: every stake comes back whole and the bounty is burned,
///    so withholding the test set costs the provider the bounty, whatever accounts it controls.
/// 8. Pull payments. Money is credited, and leaves only through `withdraw` once the market is
///    Finished or Cancelled (never before a contribution is scored), under `nonReentrant`.
///
/// Every transaction the market needs stays under the 16,777,216-gas cap of a transaction and
/// the 131,072 bytes public nodes relay: a test set of at most MAX_EVALUATION_BYTES, a sample of
/// at most MAX_SAMPLE_BYTES, a scoring step of at most STEP_GAS.
abstract contract PredictionMarket is CollaborativeTrainer {
    /// @notice Where a market stands. `Reveal` and the lapse to `Cancelled` follow from the clock.
    enum Phase {
        Open,
        Committed,
        Participation,
        Reveal,
        Scoring,
        Finished,
        Cancelled
    }

    /// @dev What a scoring step did with a contribution.
    enum Step {
        Kept, // trained on; neither points nor right answers went down
        Undone, // trained on, then undone: points or right answers went down
        Rejected, // the model refused to train on it (a parameter out of range); score 0
        Unscoreable, // training and evaluation did not fit STEP_GAS
        Unfinished // the transaction had too little gas left to try
    }

    /// @notice One contribution as `process` needs it, exactly as it was added.
    struct Entry {
        uint256 id;
        bytes sample;
        uint256 label;
        address contributor;
    }

    /// @dev Scoring progress and money totals: one storage slot, read and written once per
    /// `process` transaction.
    struct Progress {
        /// Contributions scored; the next one has this id.
        uint64 processed;
        /// Test samples the current model gets right.
        uint32 correct;
        /// Points of the current model on the test set.
        int32 points;
        /// Wei of losses so far, burned when scoring ends.
        uint128 burned;
    }

    /// @notice Points of a test sample the model gets right with a margin of `marginScale` or more
    /// (and minus as many for one it gets as wrong).
    int256 public constant SAMPLE_POINTS = 1_000;
    /// @notice Most pieces a test set may be split into.
    uint256 public constant MAX_PIECES = 64;
    /// @notice Most bytes all pieces may hold together (salts and headers included).
    uint256 public constant MAX_EVALUATION_BYTES = 65_536;
    /// @notice Most bytes of one contribution's sample.
    uint256 public constant MAX_SAMPLE_BYTES = 8_192;
    /// @notice Gas a scoring step (train on one contribution, evaluate) may use.
    uint256 public constant STEP_GAS = 14_000_000;
    /// @notice Gas the baseline evaluation may use in `revealTestSet`.
    uint256 public constant EVALUATION_GAS_LIMIT = 7_000_000;
    /// @notice Where losses and a lapsed market's bounty go: an address nobody holds a key to.
    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;
    /// @dev Bytes of a piece's salt, and of a sample's header (label, length).
    uint256 private constant _SALT_BYTES = 32;
    uint256 private constant _HEADER_BYTES = 4;
    /// @dev How far back BLOCKHASH sees.
    uint256 private constant _BLOCKHASH_WINDOW = 256;
    /// @dev Gas kept back when a step is started with less than STEP_GAS: encoding the call,
    /// recording the result and finishing the market must still fit afterwards.
    uint256 private constant _STEP_RESERVE = 200_000;

    /// @notice Smallest stake of a contribution, in wei.
    uint256 public immutable minStake;
    /// @notice Wei each contribution pays whoever scores it (part of its stake).
    uint256 public immutable scoringFee;
    /// @notice Seconds participation lasts after the chosen piece is revealed.
    uint256 public immutable participationTime;
    /// @notice Seconds the provider has to reveal the test set after participation.
    uint256 public immutable revealTime;

    // Slot: provider, stage, piece counters, commit block (20 + 1 + 1 + 1 + 8 bytes).
    /// @notice Who posted the bounty (0 until the market is committed).
    address public provider;
    Phase private _stage;
    /// @notice Into how many pieces the test set is split.
    uint8 public numPieces;
    /// @notice Index of the piece revealed before participation (valid once it is revealed).
    uint8 public chosenPiece;
    /// @notice Block that included the commitment; its hash draws the chosen piece.
    uint64 public commitBlock;

    // Slot: bounty, deadlines, what was committed (12 + 5 + 5 + 4 + 4 bytes).
    /// @notice The provider's bounty, in wei.
    uint96 public bounty;
    /// @notice Participation ends at this block time (exclusive).
    uint40 public participationEnd;
    /// @notice The test set must be revealed before this block time.
    uint40 public revealDeadline;
    /// @notice Bytes the provider committed all pieces to hold together.
    uint32 public totalBytes;
    /// @notice Points of improvement the bounty buys (0: every point the model could gain).
    uint32 public pointsBought;

    // Slot: the evaluation set, the baseline and the price (4 + 4 + 4 + 16 bytes).
    /// @notice Samples in the evaluation set (every piece but the chosen one).
    uint32 public evaluationSize;
    /// @notice Evaluation samples the initial model gets right.
    uint32 public baseline;
    /// @notice Points of the initial model on the evaluation set.
    int32 public baselinePoints;
    /// @notice Wei paid for each point a contribution gains, and taken for each it loses.
    uint128 public pricePerPoint;

    /// @notice Wei of the bounty paid out as gains so far.
    uint128 public bountyPaid;

    /// @notice The margin at which a test sample is worth all its points: twice the initial
    /// model's mean |margin| on the evaluation set, at least 1 (set by `revealTestSet`).
    uint256 public marginScale;
    /// @notice Gas the baseline evaluation used (set by `revealTestSet`).
    uint64 public evaluationGas;
    /// @notice Bytes of the chosen piece (counted against `totalBytes`).
    uint32 public chosenPieceBytes;
    /// @dev The only address that may open the market: the trainer's deployer.
    address private _opener;
    Progress private _progress;
    /// @dev Hash of each piece, by index.
    bytes32[] private _pieceHashes;
    /// @dev Wei credited to each address: stakes, gains, fees, the unspent bounty.
    mapping(address => uint256) private _credit;
    /// @dev Scores, eight int32 per word (contribution id in lane id % 8 of word id / 8): a word
    /// is created once per eight contributions (22,100 gas) instead of once per contribution.
    mapping(uint256 => uint256) private _scoreWords;

    /// @notice The constructor's parameters are out of range.
    error InvalidMarketParameters(uint256 minStake, uint256 scoringFee, uint256 participationTime, uint256 revealTime);
    /// @notice The market is in phase `actual`; this needs phase `expected`.
    error WrongPhase(Phase actual, Phase expected);
    /// @notice Only `expected` may do this.
    error NotProvider(address caller, address expected);
    /// @notice A market needs a bounty of 1 … 2^96 − 1 wei.
    error InvalidBounty(uint256 bounty);
    /// @notice A test set is split into 2 … MAX_PIECES pieces; `count` were given.
    error InvalidPieceCount(uint256 count);
    /// @notice All pieces together must hold at most MAX_EVALUATION_BYTES bytes, at least
    /// `minimum` for this many pieces; `totalBytes` were declared.
    error InvalidTotalBytes(uint256 totalBytes, uint256 minimum);
    /// @notice The piece does not match the hash committed for piece `index`.
    error PieceMismatch(uint256 index);
    /// @notice Piece `index` is not a salt followed by whole samples (label, length, bytes), at
    /// least one, or holds a sample or label the model refuses (at byte `offset`).
    error MalformedPiece(uint256 index, uint256 offset);
    /// @notice The revealed pieces hold `actual` bytes, more than the `declared` total.
    error PiecesTooLarge(uint256 actual, uint256 declared);
    /// @notice Evaluating the initial model needs more than `limit` gas (EVALUATION_GAS_LIMIT): it
    /// was stopped there.
    error EvaluationTooCostly(uint256 limit);
    /// @notice The chosen piece is drawn from the commit block's hash, readable from block
    /// `readyAt` on.
    error DrawNotReady(uint256 readyAt);
    /// @notice The provider missed a deadline (`deadline`: a block number for the chosen piece,
    /// a block time for the test set): the market has lapsed.
    error MarketLapsed(uint256 deadline);
    /// @notice The test set is revealed from `opensAt`, when participation ends.
    error RevealTooEarly(uint256 opensAt);
    /// @notice `paid` wei is less than the minimum stake.
    error StakeTooSmall(uint256 paid, uint256 minStake);
    /// @notice A market contribution's sample holds `length` bytes, more than MAX_SAMPLE_BYTES.
    error SampleTooLarge(uint256 length, uint256 limit);
    /// @notice The evaluation set has `given` pieces; it must have every piece but the chosen
    /// one, `expected`, in index order.
    error WrongEvaluationSet(uint256 given, uint256 expected);
    /// @notice `process` expected contribution `expected` next, not `id`.
    error OutOfOrder(uint256 id, uint256 expected);
    /// @notice This `process` call scores nothing: it needs contribution `processed` first and a
    /// `maxContributions` of at least 1.
    error NoProgress(uint256 processed);
    /// @notice A scoring step needs `needed` gas left when it starts; send the transaction with more.
    error NotEnoughGas(uint256 needed);
    /// @notice Contribution `id` has not been scored yet.
    error NotScored(uint256 id);
    /// @notice `account` has nothing to withdraw.
    error NothingToWithdraw(address account);
    /// @notice Money leaves only once the market has ended (Finished or Cancelled); it is `actual`.
    error MarketNotOver(Phase actual);
    /// @notice Only the trainer itself may call this.
    error OnlySelf(address caller);
    /// @notice Training lowered the points (to `points`) or the right answers (to `correct`): a
    /// step's internal verdict.
    error Harmful(uint256 correct, int256 points);

    /// @notice `provider` opened a market with `bounty` wei for `pointsBought` points (0: all the
    /// model could gain) on a test set of `pieceHashes`, `totalBytes` long in all; the chosen piece
    /// comes from the hash of block `commitBlock`.
    event MarketCommitted(
        address indexed provider,
        uint256 bounty,
        bytes32[] pieceHashes,
        uint256 totalBytes,
        uint256 commitBlock,
        uint256 pointsBought
    );
    /// @notice Piece `index` of the test set, checked against its hash.
    event PieceRevealed(uint256 indexed index, bytes piece);
    /// @notice Participation is open until `participationEnd`; the test set must be revealed
    /// before `revealDeadline`.
    event ParticipationOpened(uint256 chosenPiece, uint256 participationEnd, uint256 revealDeadline);
    /// @notice The test set is revealed: the initial model gets `baseline` of `evaluationSize`
    /// samples right and `baselinePoints` points at `marginScale` (using `evaluationGas` gas);
    /// each point gained or lost is worth `pricePerPoint` wei.
    event TestSetRevealed(
        uint256 evaluationSize,
        uint256 baseline,
        int256 baselinePoints,
        uint256 marginScale,
        uint256 pricePerPoint,
        uint256 evaluationGas
    );
    /// @notice Contribution `id` of `contributor` changed the points by `score`; the model now
    /// gets `correct` test samples right and `points` points; `payout` wei were gained (> 0) or
    /// lost (< 0); `kept`: the model keeps it; `scorer` scored it and earned its fee.
    event ContributionScored(
        uint256 indexed id,
        address indexed contributor,
        int256 score,
        uint256 correct,
        int256 points,
        int256 payout,
        bool kept,
        address scorer
    );
    /// @notice Training on contribution `id` reverted in the model with `reason`; it scores 0.
    event TrainingSkipped(uint256 indexed id, bytes reason);
    /// @notice Contribution `id` could not be scored within STEP_GAS; it forfeits its stake.
    event Unscoreable(uint256 indexed id);
    /// @notice Every contribution is scored: `bountyPaid` wei went to gains, `refund` back to the
    /// provider, `burned` wei of losses were burned.
    event MarketFinished(uint256 bountyPaid, uint256 refund, uint256 burned);
    /// @notice The provider missed a deadline: stakes come back, `burned` wei of bounty are burned.
    event MarketCancelled(uint256 numContributions, uint256 burned);
    /// @notice `account` withdrew `amount` wei.
    event Withdrawal(address indexed account, uint256 amount);

    /// @param minStake_ Smallest stake, in wei (> scoringFee).
    /// @param scoringFee_ Wei of each stake paid to whoever scores the contribution.
    /// @param participationTime_ Seconds of participation, ≥ 1.
    /// @param revealTime_ Seconds to reveal the test set afterwards, ≥ 1.
    constructor(uint256 minStake_, uint256 scoringFee_, uint256 participationTime_, uint256 revealTime_) {
        if (
            minStake_ <= scoringFee_ || minStake_ > type(uint96).max || participationTime_ == 0 || revealTime_ == 0
                || participationTime_ + revealTime_ > type(uint32).max
        ) revert InvalidMarketParameters(minStake_, scoringFee_, participationTime_, revealTime_);
        minStake = minStake_;
        scoringFee = scoringFee_;
        participationTime = participationTime_;
        revealTime = revealTime_;
    }

    // -- the provider ---------------------------------------------------------------------------

    /// @notice Open the market: post the bounty (the value sent) and commit to the test set.
    /// @param pieceHashes keccak256 of each piece (salt, then samples; see rule 1).
    /// @param totalBytes_ Length of all pieces together, in bytes.
    /// @param pointsBought_ Points of improvement the bounty buys (0: every point the model could
    /// still gain; so does a number above that).
    function commit(bytes32[] calldata pieceHashes, uint256 totalBytes_, uint32 pointsBought_)
        external
        payable
        onlyAfterInitialisation
    {
        if (msg.sender != _opener) revert NotProvider(msg.sender, _opener);
        if (_stage != Phase.Open) revert WrongPhase(phase(), Phase.Open);
        if (msg.value == 0 || msg.value > type(uint96).max) revert InvalidBounty(msg.value);
        uint256 n = pieceHashes.length;
        if (n < 2 || n > MAX_PIECES) revert InvalidPieceCount(n);
        uint256 minimum = n * (_SALT_BYTES + _HEADER_BYTES);
        if (totalBytes_ < minimum || totalBytes_ > MAX_EVALUATION_BYTES) revert InvalidTotalBytes(totalBytes_, minimum);
        provider = msg.sender;
        _stage = Phase.Committed;
        numPieces = uint8(n);
        commitBlock = uint64(block.number);
        bounty = uint96(msg.value);
        totalBytes = uint32(totalBytes_);
        pointsBought = pointsBought_;
        _pieceHashes = pieceHashes;
        emit MarketCommitted(msg.sender, msg.value, pieceHashes, totalBytes_, block.number, pointsBought_);
    }

    /// @notice Which piece the commit block's hash chose (readable from the block after it).
    function drawnPiece() public view returns (uint256) {
        Phase current = phase();
        if (current == Phase.Cancelled) revert MarketLapsed(_missedDeadline());
        if (current != Phase.Committed) revert WrongPhase(current, Phase.Committed);
        if (block.number <= commitBlock) revert DrawNotReady(commitBlock + 1);
        return uint256(blockhash(commitBlock)) % numPieces;
    }

    /// @notice Reveal the chosen piece, which opens participation.
    /// @param piece The piece's bytes (salt, then samples).
    function revealChosenPiece(bytes calldata piece) external onlyProvider {
        uint256 index = drawnPiece();
        _checkPieceHash(index, piece);
        _checkPiece(piece, index);
        chosenPiece = uint8(index);
        chosenPieceBytes = uint32(piece.length);
        _stage = Phase.Participation;
        uint256 end = block.timestamp + participationTime;
        participationEnd = uint40(end);
        revealDeadline = uint40(end + revealTime);
        emit PieceRevealed(index, piece);
        emit ParticipationOpened(index, end, end + revealTime);
    }

    /// @notice Reveal every piece but the chosen one, in index order, and evaluate the initial
    /// model on them (the provider pays for the baseline; it must fit EVALUATION_GAS_LIMIT).
    /// @param pieces The pieces' bytes.
    function revealTestSet(bytes[] calldata pieces) external onlyProvider {
        Phase current = phase();
        if (current == Phase.Participation) revert RevealTooEarly(participationEnd);
        if (current == Phase.Cancelled) revert MarketLapsed(_missedDeadline());
        if (current != Phase.Reveal) revert WrongPhase(current, Phase.Reveal);
        _checkEvaluationSet(pieces);
        uint256 size = chosenPieceBytes;
        for (uint256 j = 0; j < pieces.length; j++) {
            size += pieces[j].length;
        }
        if (size > totalBytes) revert PiecesTooLarge(size, totalBytes);
        uint256 count;
        for (uint256 j = 0; j < pieces.length; j++) {
            count += _checkPiece(pieces[j], _pieceIndex(j));
        }
        // Every margin is kept in memory: the scale needs them all before any is turned into points.
        int256[] memory margins = new int256[](count);
        uint256 gasBefore = gasleft();
        // Stop as soon as the evaluation has used more than its limit, not after the whole set.
        uint256 gasFloor = gasBefore > EVALUATION_GAS_LIMIT ? gasBefore - EVALUATION_GAS_LIMIT : 0;
        (uint256 correct, uint256 sumOfMagnitudes, uint256 k) = (0, 0, 0);
        for (uint256 j = 0; j < pieces.length; j++) {
            (correct, sumOfMagnitudes, k) = _assessPiece(pieces[j], margins, correct, sumOfMagnitudes, k, gasFloor);
        }
        uint256 used = gasBefore - gasleft();
        if (used > EVALUATION_GAS_LIMIT) revert EvaluationTooCostly(EVALUATION_GAS_LIMIT);
        for (uint256 j = 0; j < pieces.length; j++) {
            emit PieceRevealed(_pieceIndex(j), pieces[j]);
        }
        uint256 scale = 2 * sumOfMagnitudes / count;
        if (scale == 0) scale = 1;
        int256 points;
        for (uint256 i = 0; i < count; i++) {
            points += _points(margins[i], scale);
        }
        evaluationSize = uint32(count);
        baseline = uint32(correct);
        baselinePoints = int32(points);
        marginScale = scale;
        evaluationGas = uint64(used);
        uint256 bought = uint256(int256(count) * SAMPLE_POINTS - points); // the room to gain
        if (pointsBought != 0 && pointsBought < bought) bought = pointsBought;
        pricePerPoint = uint128(uint256(bounty) / (bought == 0 ? 1 : bought));
        _progress.correct = uint32(correct);
        _progress.points = int32(points);
        _stage = Phase.Scoring;
        emit TestSetRevealed(count, correct, points, scale, pricePerPoint, used);
        if (numContributions == 0) _finish(_progress);
    }

    /// @notice Gas to evaluate the current model on one piece, and its right answers: for a
    /// provider to check, before committing, that the baseline fits EVALUATION_GAS_LIMIT.
    /// @param piece A piece's bytes (salt, then samples); its hash is not checked.
    function measureEvaluation(bytes calldata piece) external view returns (uint256 correct, uint256 gasUsed) {
        int256[] memory margins = new int256[](_checkPiece(piece, 0));
        uint256 gasBefore = gasleft();
        (correct,,) = _assessPiece(piece, margins, 0, 0, 0, 0);
        gasUsed = gasBefore - gasleft();
    }

    // -- participants ---------------------------------------------------------------------------

    /// @notice The smallest stake a contribution may carry now, in wei.
    function nextCost() external view returns (uint256) {
        return minStake;
    }

    /// @dev The whole payment is the stake, and only during participation.
    function _acceptDeposit(uint256 paid) internal view override returns (uint256) {
        Phase current = phase();
        if (current != Phase.Participation) revert WrongPhase(current, Phase.Participation);
        if (paid < minStake) revert StakeTooSmall(paid, minStake);
        return paid;
    }

    /// @dev A contribution waits for scoring; its stake is credited now and adjusted then.
    function _onContribution(bytes calldata sample, uint256, address contributor, uint256 stake) internal override {
        if (sample.length > MAX_SAMPLE_BYTES) revert SampleTooLarge(sample.length, MAX_SAMPLE_BYTES);
        _credit[contributor] += stake;
    }

    // -- scoring --------------------------------------------------------------------------------

    /// @notice Score the next contributions. Anyone may call it, as often as needed, until
    /// `phase()` is `Finished`; the caller earns `scoringFee` per contribution scored.
    /// @param entries The next contributions in id order, from `progress()` on, exactly as added
    /// (rebuilt from `ContributionAdded` events). Extra entries are ignored.
    /// @param pieces Every piece but the chosen one, in index order.
    /// @param maxContributions Most contributions to score in this transaction.
    function process(Entry[] calldata entries, bytes[] calldata pieces, uint256 maxContributions)
        external
        nonReentrant
    {
        Phase current = phase();
        if (current != Phase.Scoring) revert WrongPhase(current, Phase.Scoring);
        _checkEvaluationSet(pieces);
        Progress memory p = _progress;
        uint256 start = p.processed;
        uint256 end = numContributions;
        if (end > start + entries.length) end = start + entries.length;
        if (end - start > maxContributions) end = start + maxContributions;
        if (end == start) revert NoProgress(start);
        uint256 freeMemory;
        assembly ("memory-safe") {
            freeMemory := mload(0x40)
        }
        uint256 lastStepGas = 0;
        for (uint256 id = start; id < end; id++) {
            // Stop before a step that would likely not fit (the step before it used lastStepGas):
            // a step started with too little gas is tried and thrown away, which only wastes gas.
            uint256 gasBefore = gasleft();
            if (id > start && gasBefore < lastStepGas * 5 / 4 + _STEP_RESERVE) break;
            if (!_scoreNext(entries[id - start], pieces, p, id == start)) break;
            lastStepGas = gasBefore - gasleft();
            // Each step copies the evaluation set into memory for its call; nothing allocated by
            // a step is used after it, so give the memory back (memory cost grows quadratically).
            assembly ("memory-safe") {
                mstore(0x40, freeMemory)
            }
        }
        _credit[msg.sender] += (p.processed - start) * scoringFee;
        if (p.processed == numContributions) _finish(p);
        else _progress = p;
    }

    /// @notice One scoring step, in a call of its own so that a harmful contribution can be undone
    /// by reverting: train, evaluate, revert with `Harmful` if the points or the right answers
    /// went down. A model that training would not change (a perceptron that already predicts the
    /// label) keeps its evaluation without repeating it.
    /// Only the trainer itself may call it.
    /// @param sample The contribution's sample.
    /// @param label Its label.
    /// @param pieces The evaluation set (checked by the caller).
    /// @param correctBefore Right answers before this contribution.
    /// @param pointsBefore Points before it.
    /// @return correct Right answers after it.
    /// @return points Points after it.
    function scoreStep(
        bytes calldata sample,
        uint256 label,
        bytes[] calldata pieces,
        uint256 correctBefore,
        int256 pointsBefore
    ) external returns (uint256 correct, int256 points) {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        // Checked here, inside the step's gas, so that what it costs (a prediction) can never
        // leave the first step of a batch short of STEP_GAS.
        if (!_wouldChange(sample, label)) return (correctBefore, pointsBefore);
        _update(sample, label);
        (correct, points) = _evaluate(pieces, marginScale);
        if (points < pointsBefore || correct < correctBefore) revert Harmful(correct, points);
    }

    /// @notice Scoring progress: contributions scored, and the right answers and points of the
    /// current model.
    function progress() external view returns (uint256 processed, uint256 correct, int256 points) {
        Progress memory p = _progress;
        return (p.processed, p.correct, p.points);
    }

    /// @notice The score of contribution `id`: the change it made (or would have made, if it was
    /// undone) to the model's points.
    function scoreOf(uint256 id) external view returns (int256) {
        if (id >= _progress.processed) revert NotScored(id);
        return int32(uint32(_scoreWords[id / 8] >> (32 * (id % 8))));
    }

    /// @notice Hash of piece `index`.
    function pieceHash(uint256 index) external view returns (bytes32) {
        return _pieceHashes[index];
    }

    // -- payments -------------------------------------------------------------------------------

    /// @notice What `account` is credited now, in wei: withdrawable once the market has ended.
    function owed(address account) external view returns (uint256) {
        return _credit[account];
    }

    /// @notice Withdraw everything credited to you, once the market is Finished or Cancelled.
    /// @return amount The wei sent.
    function withdraw() external nonReentrant returns (uint256 amount) {
        Phase current = lapse();
        if (current != Phase.Finished && current != Phase.Cancelled) revert MarketNotOver(current);
        amount = _credit[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _credit[msg.sender] = 0;
        emit Withdrawal(msg.sender, amount);
        _pay(msg.sender, amount);
    }

    /// @notice Record a missed deadline: cancel the market and burn the bounty (anyone may call
    /// it; `withdraw` does it too). Returns the phase.
    function lapse() public returns (Phase current) {
        current = phase();
        if (current == Phase.Cancelled && _stage != Phase.Cancelled) {
            _stage = Phase.Cancelled;
            emit MarketCancelled(numContributions, bounty);
            _pay(BURN_ADDRESS, bounty);
        }
    }

    // -- the phase ------------------------------------------------------------------------------

    /// @notice Where the market stands now.
    function phase() public view returns (Phase) {
        Phase stage = _stage;
        if (stage == Phase.Committed) {
            return block.number > commitBlock + _BLOCKHASH_WINDOW ? Phase.Cancelled : Phase.Committed;
        }
        if (stage != Phase.Participation) return stage;
        if (block.timestamp < participationEnd) return Phase.Participation;
        if (block.timestamp < revealDeadline) return Phase.Reveal;
        return Phase.Cancelled;
    }

    // -- internals ------------------------------------------------------------------------------

    modifier onlyProvider() {
        if (msg.sender != provider) revert NotProvider(msg.sender, provider);
        _;
    }

    /// @dev The deadline a lapsed market missed: the draw's last block, or the test set's time.
    function _missedDeadline() private view returns (uint256) {
        return revealDeadline == 0 ? commitBlock + _BLOCKHASH_WINDOW : revealDeadline;
    }

    /// @dev The deployer, who loaded the model, is the one who may open its market.
    function _afterInitialisation() internal virtual override {
        _opener = owner;
        super._afterInitialisation();
    }

    /// @dev Score contribution `p.processed` and settle it; false if the transaction has too
    /// little gas left for it (see `_step`).
    function _scoreNext(Entry calldata e, bytes[] calldata pieces, Progress memory p, bool first)
        private
        returns (bool)
    {
        if (e.id != p.processed) revert OutOfOrder(e.id, p.processed);
        uint256 stake = _contributionOf(e.sample, e.label, e.contributor, e.id).deposit;
        (Step step, uint256 correct, int256 points) = _step(e, pieces, p, first);
        if (step == Step.Unfinished) return false;
        _settle(e, stake, step, correct, points, p);
        p.processed += 1;
        return true;
    }

    /// @dev Train on one contribution and evaluate, in a call of its own with at most STEP_GAS.
    /// `Unfinished` when the transaction had too little gas left for the step (the batch ends
    /// before it; for the first step of a batch the transaction reverts instead).
    /// The right answers and points the step ended with (for an undone step, those it would have
    /// left; otherwise the model's, unchanged).
    function _step(Entry calldata e, bytes[] calldata pieces, Progress memory p, bool first)
        private
        returns (Step, uint256 correct, int256 points)
    {
        uint256 allowance = _stepAllowance();
        try this.scoreStep{gas: allowance}(e.sample, e.label, pieces, p.correct, p.points) returns (
            uint256 c, int256 s
        ) {
            return (Step.Kept, c, s);
        } catch (bytes memory reason) {
            if (reason.length == 0) {
                // Out of gas. With the full STEP_GAS that is the contribution's own cost;
                // with less, the caller's: never let the caller decide.
                if (allowance == STEP_GAS) return (Step.Unscoreable, p.correct, p.points);
                if (first) revert NotEnoughGas(STEP_GAS * 64 / 63 + _STEP_RESERVE);
                return (Step.Unfinished, p.correct, p.points);
            }
            if (reason.length == 68 && bytes4(reason) == Harmful.selector) {
                assembly ("memory-safe") {
                    correct := mload(add(reason, 36))
                    points := mload(add(reason, 68))
                }
                return (Step.Undone, correct, points);
            }
            emit TrainingSkipped(e.id, reason);
            return (Step.Rejected, p.correct, p.points);
        }
    }

    /// @dev The gas a step may have now: STEP_GAS, or less if the transaction has less left.
    function _stepAllowance() private view returns (uint256 allowance) {
        uint256 available = gasleft();
        allowance = available > _STEP_RESERVE ? (available - _STEP_RESERVE) * 63 / 64 : 0;
        if (allowance > STEP_GAS) allowance = STEP_GAS;
    }

    /// @dev Record a contribution's score and move its money (rule 6).
    function _settle(Entry calldata e, uint256 stake, Step step, uint256 correct, int256 points, Progress memory p)
        private
    {
        int256 score = points - p.points;
        bool kept = step == Step.Kept;
        uint256 atRisk = stake - scoringFee;
        int256 payout;
        if (step == Step.Unscoreable) {
            payout = -int256(atRisk);
            emit Unscoreable(e.id);
        } else if (score > 0 && kept) {
            payout = int256(_capped(_capped(uint256(score) * pricePerPoint, atRisk), bounty - bountyPaid));
        } else if (score < 0) {
            payout = -int256(_capped(uint256(-score) * pricePerPoint, atRisk));
        }
        if (kept) (p.correct, p.points) = (uint32(correct), int32(points));
        if (payout > 0) bountyPaid += uint128(uint256(payout));
        else p.burned += uint128(uint256(-payout));
        // The stake was credited when it was added: take the fee, then add the gain or the loss.
        _credit[e.contributor] = uint256(int256(_credit[e.contributor] - scoringFee) + payout);
        _recordScore(e.id, score);
        emit ContributionScored(e.id, e.contributor, score, p.correct, p.points, payout, kept, msg.sender);
    }

    /// @dev Store contribution `id`'s score in its int32 lane.
    function _recordScore(uint256 id, int256 score) private {
        uint256 shift = 32 * (id % 8);
        uint256 word = _scoreWords[id / 8] & ~(uint256(type(uint32).max) << shift);
        _scoreWords[id / 8] = word | (uint256(uint32(int32(score))) << shift);
    }

    /// @dev An amount, at most `cap`.
    function _capped(uint256 amount, uint256 cap) private pure returns (uint256) {
        return amount < cap ? amount : cap;
    }

    /// @dev Every contribution is scored: the provider gets the unspent bounty, losses are burned.
    function _finish(Progress memory p) private {
        _progress = p;
        _stage = Phase.Finished;
        uint256 refund = uint256(bounty) - bountyPaid;
        _credit[provider] += refund;
        emit MarketFinished(bountyPaid, refund, p.burned);
        _pay(BURN_ADDRESS, p.burned);
    }

    /// @dev Revert unless `piece` is the committed piece `index`.
    function _checkPieceHash(uint256 index, bytes calldata piece) private view {
        if (keccak256(piece) != _pieceHashes[index]) revert PieceMismatch(index);
    }

    /// @dev Revert unless `pieces` is every piece but the chosen one, in index order.
    function _checkEvaluationSet(bytes[] calldata pieces) private view {
        uint256 expected = uint256(numPieces) - 1;
        if (pieces.length != expected) revert WrongEvaluationSet(pieces.length, expected);
        for (uint256 j = 0; j < pieces.length; j++) {
            _checkPieceHash(_pieceIndex(j), pieces[j]);
        }
    }

    /// @dev The index of the j-th evaluation piece (the chosen piece is skipped).
    function _pieceIndex(uint256 j) private view returns (uint256) {
        return j < chosenPiece ? j : j + 1;
    }

    /// @dev Right answers and points of the current model on the evaluation set.
    function _evaluate(bytes[] calldata pieces, uint256 scale) private view returns (uint256 correct, int256 points) {
        for (uint256 j = 0; j < pieces.length; j++) {
            bytes calldata piece = pieces[j];
            uint256 offset = _SALT_BYTES;
            while (offset < piece.length) {
                (bytes calldata sample, uint256 label, uint256 end) = _sampleAt(piece, offset);
                (int256 margin, bool right) = _assess(sample, label);
                if (right) correct += 1;
                points += _points(margin, scale);
                offset = end;
            }
        }
    }

    /// @dev Assess the current model on every sample of a piece: store the margins in `margins`
    /// from index `k` on, and add the right answers and the margins' magnitudes to the totals.
    /// Reverts with `EvaluationTooCostly` once less than `gasFloor` gas is left.
    function _assessPiece(
        bytes calldata piece,
        int256[] memory margins,
        uint256 correct,
        uint256 sumOfMagnitudes,
        uint256 k,
        uint256 gasFloor
    ) private view returns (uint256, uint256, uint256) {
        uint256 offset = _SALT_BYTES;
        while (offset < piece.length) {
            if (gasleft() < gasFloor) revert EvaluationTooCostly(EVALUATION_GAS_LIMIT);
            (bytes calldata sample, uint256 label, uint256 end) = _sampleAt(piece, offset);
            (int256 margin, bool right) = _assess(sample, label);
            if (right) correct += 1;
            // |margin| ≤ MARGIN_LIMIT = 2^128 and fewer than 2^32 samples: the sum cannot overflow.
            sumOfMagnitudes += uint256(margin < 0 ? -margin : margin);
            margins[k++] = margin;
            offset = end;
        }
        return (correct, sumOfMagnitudes, k);
    }

    /// @dev A test sample's points: its margin in SAMPLE_POINTS per `scale`, rounded toward zero,
    /// clamped to ±SAMPLE_POINTS. |margin| ≤ 2^128, so the product cannot overflow.
    function _points(int256 margin, uint256 scale) private pure returns (int256 points) {
        points = margin * SAMPLE_POINTS / int256(scale);
        if (points > SAMPLE_POINTS) return SAMPLE_POINTS;
        if (points < -SAMPLE_POINTS) return -SAMPLE_POINTS;
    }

    /// @dev The sample that starts at `offset` of a well-formed piece, its label, and where it ends.
    function _sampleAt(bytes calldata piece, uint256 offset)
        private
        pure
        returns (bytes calldata sample, uint256 label, uint256 end)
    {
        uint256 header;
        assembly ("memory-safe") {
            header := shr(224, calldataload(add(piece.offset, offset)))
        }
        label = header >> 16;
        end = offset + _HEADER_BYTES + (header & 0xffff);
        sample = piece[offset + _HEADER_BYTES:end];
    }

    /// @dev Revert unless piece `index` is a salt and at least one whole sample (label, length,
    /// bytes; `MalformedPiece`) that the model accepts with its label (the model's own error).
    /// Returns the number of samples.
    function _checkPiece(bytes calldata piece, uint256 index) private view returns (uint256 count) {
        uint256 offset = _SALT_BYTES;
        uint256 length = piece.length;
        while (offset < length) {
            if (offset + _HEADER_BYTES > length) revert MalformedPiece(index, offset);
            uint256 header;
            assembly ("memory-safe") {
                header := shr(224, calldataload(add(piece.offset, offset)))
            }
            uint256 end = offset + _HEADER_BYTES + (header & 0xffff);
            if (end > length) revert MalformedPiece(index, offset);
            _checkSample(piece[offset + _HEADER_BYTES:end]);
            _checkLabel(header >> 16);
            count += 1;
            offset = end;
        }
        if (count == 0) revert MalformedPiece(index, offset);
    }
}
