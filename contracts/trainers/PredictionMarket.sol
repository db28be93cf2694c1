// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";

/// @title PredictionMarket
/// @notice Pay for data that makes the model better on a hidden test set (the "Prediction
/// market" of Harris & Waggoner 2019, "Decentralized and Collaborative AI on Blockchain", §IV;
/// the reward is in the spirit of Abernethy & Frongillo 2011, "A Collaborative Mechanism for
/// Crowdsourcing Prediction Problems", simplified to one "train once" pass). A provider posts a
/// bounty and commits to a test set; participants stake on their contributions; the provider
/// reveals the test set; the contract trains on the contributions in order and pays each
/// contribution by how much it changed the number of test samples the model gets right. One
/// market per trainer: the model it leaves behind is the trained model.
///
/// Rules, in the order of a market's life:
///
/// 1. Commitment. Only the trainer's deployer may open the market (a one-shot market that anyone
///    could open could be taken by a front-runner). `commit(pieceHashes)` with a bounty > 0 wei
///    and 2 … MAX_PIECES pieces. A piece is `(bytes[] samples, uint256[] labels)`, each sample
///    as `addData` takes it, at least one sample; its hash is
///    `keccak256(abi.encode(samples, labels, salt))` with a secret 32-byte salt, so a piece
///    cannot be guessed from its hash.
/// 2. The chosen piece. The piece revealed now is `uint256(blockhash(commitBlock)) % numPieces`,
///    read in a later block. The hash of the block that includes the commitment does not exist
///    when the provider signs it, so the provider cannot pick the piece (a provider who also
///    builds that block could bias it by withholding blocks, the usual limit of block hashes).
///    `block.prevrandao` was rejected: the next block's value is known a block in advance, so a
///    provider who chooses when to reveal could wait for a piece they like. BLOCKHASH only sees
///    the last 256 blocks, so the chosen piece must be revealed within 256 blocks of the commit;
///    afterwards the provider can only cancel (rule 8). `revealChosenPiece` checks the piece
///    against its hash (`PieceMismatch`) and opens participation for `participationTime`
///    seconds. The chosen piece shows what the test set is like and is NOT used for scoring.
/// 3. Participation. While `block.timestamp < participationEnd`, `addData` takes the whole
///    `msg.value` as the stake, at least `minStake`; the model is not trained yet.
/// 4. Reveal. From `participationEnd` until before `revealDeadline` (= participationEnd +
///    revealTime) the provider reveals every other piece, in index order (`nextPieceToReveal`),
///    each checked against its hash. The evaluation set is these pieces, concatenated in index
///    order: at most MAX_EVALUATION_BYTES bytes of samples, so that every `process` transaction
///    can carry it whole (about 4.2 M gas of calldata at worst).
/// 5. Scoring (anyone, `process`, in batches). First the initial model is evaluated: `correct` =
///    how many evaluation samples it classifies right. Then, for each contribution in id order:
///    train on it, evaluate again, `score = correct(after) − correct(before)`. Each transaction
///    re-supplies the evaluation set as calldata (checked against the commitments: storing it
///    would cost 22,100 gas per word, calldata costs at most 512) and the contributions it
///    reaches (checked against their records). A transaction does at most `maxPredictions`
///    predictions; the running count is kept in storage, so an evaluation may span transactions.
///    A contribution whose training reverts in the model (a weight or count out of range) is
///    not trained and scores 0: otherwise one contribution could block every payout. Running out
///    of gas inside training reverts the whole transaction instead, so a caller cannot force a
///    contribution to be skipped by sending too little gas.
/// 6. Payouts. A harmful contribution (score < 0) forfeits its stake; a neutral one (0) gets its
///    stake back; a helpful one (> 0) gets its stake back and shares the pool = bounty + all
///    forfeited stakes: address a receives ⌊pool · S_a / P⌋, S_a = the sum of a's helpful
///    scores, P = the sum over all addresses. If P = 0 the pool goes back to the provider. The
///    rounding dust, pool − Σ_a ⌊pool · S_a / P⌋ (fewer wei than there are helpful addresses),
///    is credited to the provider when the last helpful address withdraws its share.
/// 7. Liveness. If the pieces are not all revealed before `revealDeadline`, the market is
///    cancelled: `process` (called with the contributions, no evaluation set) credits each
///    contribution its stake plus ⌊bounty / numContributions⌋; the remainder of that division
///    goes to the contributor of contribution 0. With no contribution at all, the provider gets
///    the bounty back.
/// 8. Cancelling. Until someone has staked, the provider may cancel and get the bounty back.
/// 9. Pull payments. Money leaves only through `withdraw`, which pays everything credited to
///    the caller (`owed`): checks, effects, then the transfer, under `nonReentrant`.
///
/// The provider may also contribute; knowing the test set, they can win back part of their own
/// bounty, as in the paper. Their stake still pays for the harm their data does.
abstract contract PredictionMarket is CollaborativeTrainer {
    /// @notice Where a market stands. `Reveal` and the lapse to `Cancelled` follow from the clock.
    enum Phase {
        Open,
        Committed,
        Participation,
        Reveal,
        Processing,
        Finished,
        Cancelled
    }

    /// @notice One piece of the test set, as revealed and as re-supplied to `process`.
    struct Piece {
        /// Samples as bytes (as `addData` takes them).
        bytes[] samples;
        /// Their labels.
        uint256[] labels;
        /// The secret that made the piece's hash unguessable.
        bytes32 salt;
    }

    /// @notice One contribution as `process` needs it, exactly as it was added.
    struct Entry {
        uint256 id;
        bytes sample;
        uint256 label;
        address contributor;
    }

    /// @notice What an address is owed.
    struct Account {
        /// Wei credited so far: stakes back, a cancelled market's bounty share, the pool.
        uint128 creditWei;
        /// Sum of the scores of its helpful contributions; its pool share is paid on withdrawal.
        uint64 helpfulScore;
    }

    /// @dev Scoring progress, one storage slot, read once and written once per transaction.
    struct Progress {
        /// Contributions scored (or settled, in a cancelled market); the next one has this id.
        uint64 processed;
        /// Next evaluation sample to predict.
        uint32 cursor;
        /// Evaluation samples predicted right so far in the current evaluation.
        uint32 correct;
        /// Samples right before the contribution being scored (the previous model's count).
        uint32 before;
        /// The initial model has been evaluated.
        bool baselineDone;
        /// Contribution `processed` has been trained on (or skipped); its evaluation is running.
        bool trained;
    }

    /// @notice Most pieces a test set may be split into.
    uint256 public constant MAX_PIECES = 64;
    /// @notice Most bytes the evaluation set's samples may hold in total (8,192 32-byte words).
    uint256 public constant MAX_EVALUATION_BYTES = 262_144;
    /// @dev How far back BLOCKHASH sees.
    uint256 private constant _BLOCKHASH_WINDOW = 256;

    /// @notice Smallest stake of a contribution, in wei.
    uint256 public immutable minStake;
    /// @notice Seconds participation lasts after the chosen piece is revealed.
    uint256 public immutable participationTime;
    /// @notice Seconds the provider has to reveal the other pieces after participation.
    uint256 public immutable revealTime;
    /// @dev The only address that may open the market: the trainer's deployer.
    address private immutable _deployer;

    // Slot: provider, stage, piece counters, commit block (20 + 1 + 1 + 1 + 1 + 8 bytes).
    /// @notice Who posted the bounty (0 until the market is committed).
    address public provider;
    Phase private _stage;
    /// @notice Into how many pieces the test set is split.
    uint8 public numPieces;
    /// @notice Index of the piece revealed at commitment (valid once participation opened).
    uint8 public chosenPiece;
    /// @notice Pieces revealed so far, the chosen one included.
    uint8 public piecesRevealed;
    /// @notice Block that included the commitment; its hash picks the chosen piece.
    uint64 public commitBlock;

    // Slot: bounty and deadlines.
    /// @notice The provider's bounty, in wei.
    uint96 public bounty;
    /// @notice Participation ends at this block time (exclusive).
    uint40 public participationEnd;
    /// @notice The pieces must all be revealed before this block time.
    uint40 public revealDeadline;
    /// @notice Samples in the evaluation set (every piece but the chosen one).
    uint32 public evaluationSize;
    /// @notice Bytes of all evaluation samples together (bounded by MAX_EVALUATION_BYTES).
    uint32 public evaluationBytes;

    // Slot: totals of the payout.
    /// @notice Stakes of harmful contributions, in wei: they join the bounty in the pool.
    uint128 public forfeited;
    /// @notice Sum of all helpful scores (P).
    uint64 public totalHelpfulScore;
    /// @notice Helpful addresses that have not yet withdrawn their pool share.
    uint32 public helpfulPending;

    /// @notice Pool shares paid so far, in wei (the provider gets pool minus this at the end).
    uint128 public sharesPaid;
    Progress private _progress;
    /// @dev Hash of each piece, by index.
    bytes32[] private _pieceHashes;
    /// @dev What each address is owed.
    mapping(address => Account) private _accounts;
    /// @dev Scores, eight int32 per word (contribution id in lane id % 8 of word id / 8): a word
    /// is created once per eight contributions (22,100 gas) instead of once per contribution.
    mapping(uint256 => uint256) private _scoreWords;

    /// @notice The constructor's parameters are out of range.
    error InvalidMarketParameters(uint256 minStake, uint256 participationTime, uint256 revealTime);
    /// @notice The market is in phase `actual`; this needs phase `expected`.
    error WrongPhase(Phase actual, Phase expected);
    /// @notice Only `provider` may do this.
    error NotProvider(address caller, address provider);
    /// @notice A market needs a bounty of at least 1 wei, and at most 2^96 − 1.
    error InvalidBounty(uint256 bounty);
    /// @notice A test set is split into 2 … MAX_PIECES pieces; `count` were given.
    error InvalidPieceCount(uint256 count);
    /// @notice The piece does not match the hash committed for piece `index`.
    error PieceMismatch(uint256 index);
    /// @notice A piece needs at least one sample and one label per sample.
    error MalformedPiece(uint256 index, uint256 numSamples, uint256 numLabels);
    /// @notice The evaluation set would hold `size` bytes of samples, more than MAX_EVALUATION_BYTES.
    error EvaluationSetTooLarge(uint256 size);
    /// @notice The chosen piece is drawn from the commit block's hash, readable from block
    /// `readyAt` on.
    error DrawNotReady(uint256 readyAt);
    /// @notice The commit block's hash is no longer readable (256 blocks passed): the provider can
    /// only cancel.
    error DrawExpired(uint256 commitBlock);
    /// @notice Pieces are revealed from `opensAt`, when participation ends.
    error RevealTooEarly(uint256 opensAt);
    /// @notice The reveal deadline `deadline` has passed; the market is cancelled.
    error RevealTooLate(uint256 deadline);
    /// @notice `paid` wei is less than the minimum stake.
    error StakeTooSmall(uint256 paid, uint256 minStake);
    /// @notice Someone already staked (`numContributions` contributions): the market must run.
    error CannotCancel(uint256 numContributions);
    /// @notice `process` expected contribution `expected` next, not `id`.
    error OutOfOrder(uint256 id, uint256 expected);
    /// @notice `process` needs contribution `id` (the one being scored or trained next) among its entries.
    error MissingEntry(uint256 id);
    /// @notice The evaluation set has `given` pieces; it must have every piece but the chosen
    /// one, `expected`, in index order.
    error WrongEvaluationSet(uint256 given, uint256 expected);
    /// @notice This `process` call could not make progress: it needs the contribution `processed`
    /// or a prediction budget.
    error NoProgress(uint256 processed);
    /// @notice Training on contribution `id` ran out of gas: send the transaction with more gas.
    error TrainingOutOfGas(uint256 id);
    /// @notice Contribution `id` has not been scored yet.
    error NotScored(uint256 id);
    /// @notice `account` has nothing to withdraw.
    error NothingToWithdraw(address account);
    /// @notice Only the trainer itself may call this.
    error OnlySelf(address caller);

    /// @notice `provider` opened a market with `bounty` wei on a test set of `pieceHashes`; the
    /// chosen piece comes from the hash of block `commitBlock`.
    event MarketCommitted(address indexed provider, uint256 bounty, bytes32[] pieceHashes, uint256 commitBlock);
    /// @notice Piece `index` of the test set, checked against its hash.
    event PieceRevealed(uint256 indexed index, bytes[] samples, uint256[] labels, bytes32 salt);
    /// @notice Participation is open until `participationEnd`; the pieces must be revealed before
    /// `revealDeadline`.
    event ParticipationOpened(uint256 participationEnd, uint256 revealDeadline);
    /// @notice Every piece is revealed; scoring may start on `evaluationSize` samples.
    event TestSetRevealed(uint256 evaluationSize);
    /// @notice The initial model classifies `correct` evaluation samples right.
    event BaselineEvaluated(uint256 correct);
    /// @notice Training on contribution `id` reverted in the model with `reason`; it was skipped
    /// and scores 0.
    event TrainingSkipped(uint256 indexed id, bytes reason);
    /// @notice Contribution `id` of `contributor` moved the count of right answers to `correct`,
    /// a change of `score`.
    event ContributionScored(uint256 indexed id, address indexed contributor, int256 score, uint256 correct);
    /// @notice Every contribution is scored; `pool` wei are shared over `totalHelpfulScore`.
    event MarketFinished(uint256 pool, uint256 totalHelpfulScore);
    /// @notice The market was cancelled (by the provider, or because the reveal deadline passed).
    event MarketCancelled(uint256 numContributions);
    /// @notice In a cancelled market, contribution `id` credited `amount` wei to `contributor`.
    event ContributionSettled(uint256 indexed id, address indexed contributor, uint256 amount);
    /// @notice `account` withdrew `amount` wei.
    event Withdrawal(address indexed account, uint256 amount);

    /// @param minStake_ Smallest stake, in wei (at least 1).
    /// @param participationTime_ Seconds of participation (at least 1).
    /// @param revealTime_ Seconds to reveal the test set after participation (at least 1).
    constructor(uint256 minStake_, uint256 participationTime_, uint256 revealTime_) {
        if (
            minStake_ == 0 || minStake_ > type(uint96).max || participationTime_ == 0 || revealTime_ == 0
                || participationTime_ + revealTime_ > type(uint32).max
        ) revert InvalidMarketParameters(minStake_, participationTime_, revealTime_);
        minStake = minStake_;
        participationTime = participationTime_;
        revealTime = revealTime_;
        _deployer = msg.sender;
    }

    // -- the provider ---------------------------------------------------------------------------

    /// @notice Open the market: post the bounty (`msg.value`) and commit to a test set split into
    /// pieces. Only the trainer's deployer, once, after initialisation.
    /// @param pieceHashes `keccak256(abi.encode(samples, labels, salt))` of each piece.
    function commit(bytes32[] calldata pieceHashes) external payable onlyAfterInitialisation {
        if (msg.sender != _deployer) revert NotProvider(msg.sender, _deployer);
        if (_stage != Phase.Open) revert WrongPhase(phase(), Phase.Open);
        if (msg.value == 0 || msg.value > type(uint96).max) revert InvalidBounty(msg.value);
        if (pieceHashes.length < 2 || pieceHashes.length > MAX_PIECES) revert InvalidPieceCount(pieceHashes.length);
        provider = msg.sender;
        _stage = Phase.Committed;
        numPieces = uint8(pieceHashes.length);
        commitBlock = uint64(block.number);
        bounty = uint96(msg.value);
        _pieceHashes = pieceHashes;
        emit MarketCommitted(msg.sender, msg.value, pieceHashes, block.number);
    }

    /// @notice The index of the piece to reveal at commitment, once it can be drawn.
    function drawnPiece() public view returns (uint256) {
        if (_stage != Phase.Committed) return chosenPiece;
        if (block.number <= commitBlock) revert DrawNotReady(commitBlock + 1);
        if (block.number > commitBlock + _BLOCKHASH_WINDOW) revert DrawExpired(commitBlock);
        return uint256(blockhash(commitBlock)) % numPieces;
    }

    /// @notice Reveal the chosen piece (`drawnPiece()`), which opens participation.
    /// @param samples The piece's samples as bytes.
    /// @param labels Their labels.
    /// @param salt The piece's salt.
    function revealChosenPiece(bytes[] calldata samples, uint256[] calldata labels, bytes32 salt)
        external
        onlyProvider
    {
        if (_stage != Phase.Committed) revert WrongPhase(phase(), Phase.Committed);
        uint256 index = drawnPiece();
        _checkPiece(index, samples, labels, salt);
        chosenPiece = uint8(index);
        piecesRevealed = 1;
        _stage = Phase.Participation;
        uint256 end = block.timestamp + participationTime;
        participationEnd = uint40(end);
        revealDeadline = uint40(end + revealTime);
        emit PieceRevealed(index, samples, labels, salt);
        emit ParticipationOpened(end, end + revealTime);
    }

    /// @notice The index of the next piece to reveal after participation (index order, skipping
    /// the chosen piece); `numPieces` when all are revealed.
    function nextPieceToReveal() public view returns (uint256) {
        if (piecesRevealed == 0) revert WrongPhase(phase(), Phase.Reveal);
        uint256 next = piecesRevealed - 1; // pieces other than the chosen one already revealed
        return next >= chosenPiece ? next + 1 : next;
    }

    /// @notice Reveal the next piece of the test set (see `nextPieceToReveal`), after
    /// participation and before the reveal deadline.
    /// @param samples The piece's samples as bytes.
    /// @param labels Their labels.
    /// @param salt The piece's salt.
    function revealPiece(bytes[] calldata samples, uint256[] calldata labels, bytes32 salt) external onlyProvider {
        Phase current = phase();
        if (current == Phase.Participation) revert RevealTooEarly(participationEnd);
        if (current == Phase.Cancelled && _stage == Phase.Participation) revert RevealTooLate(revealDeadline);
        if (current != Phase.Reveal) revert WrongPhase(current, Phase.Reveal);
        uint256 index = nextPieceToReveal();
        _checkPiece(index, samples, labels, salt);
        uint256 size = evaluationBytes;
        for (uint256 i = 0; i < samples.length; i++) {
            size += samples[i].length;
        }
        if (size > MAX_EVALUATION_BYTES) revert EvaluationSetTooLarge(size);
        evaluationBytes = uint32(size);
        evaluationSize += uint32(samples.length);
        piecesRevealed += 1;
        emit PieceRevealed(index, samples, labels, salt);
        if (piecesRevealed == numPieces) {
            _stage = Phase.Processing;
            emit TestSetRevealed(evaluationSize);
            if (numContributions == 0) _finish(_progress);
        }
    }

    /// @notice Cancel the market and get the bounty back; only before anyone has staked.
    function cancelMarket() external onlyProvider {
        Phase current = phase();
        if (current != Phase.Committed && current != Phase.Participation && current != Phase.Reveal) {
            revert WrongPhase(current, Phase.Committed);
        }
        if (numContributions != 0) revert CannotCancel(numContributions);
        _cancel();
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

    /// @dev Contributions wait for the scoring pass.
    function _trainsOnContribution() internal pure override returns (bool) {
        return false;
    }

    // -- scoring --------------------------------------------------------------------------------

    /// @notice Score the next contributions (or, in a cancelled market, settle them). Anyone may
    /// call it, as often as needed, until `phase()` is `Finished`.
    /// @param entries The next contributions in id order, from `progress().processed` on, exactly
    /// as added (rebuilt from `ContributionAdded` events). Extra entries are ignored.
    /// @param evaluation Every piece but the chosen one, in index order (empty when cancelled).
    /// @param maxPredictions Most predictions this transaction may make (bounds its gas).
    function process(Entry[] calldata entries, Piece[] calldata evaluation, uint256 maxPredictions)
        external
        nonReentrant
    {
        Phase current = _syncStage();
        if (current == Phase.Cancelled) return _settleCancelled(entries);
        if (current != Phase.Processing) revert WrongPhase(current, Phase.Processing);
        _checkEvaluationSet(evaluation);
        Progress memory p = _progress;
        uint256 start = p.processed;
        uint256 total = numContributions;
        uint256 size = evaluationSize;
        uint256 budget = maxPredictions;
        while (true) {
            if (!p.baselineDone || p.trained) {
                if (p.cursor < size) {
                    if (budget == 0) break;
                    (bytes calldata sample, uint256 label) = _evaluationSample(evaluation, p.cursor);
                    if (_predict(sample) == label) p.correct += 1;
                    p.cursor += 1;
                    budget -= 1;
                    continue;
                }
                if (!p.baselineDone) {
                    p.baselineDone = true;
                    emit BaselineEvaluated(p.correct);
                } else {
                    (Entry calldata e, uint256 stake) = _entry(entries, start, p.processed);
                    _score(e, stake, int256(uint256(p.correct)) - int256(uint256(p.before)), p.correct);
                    p.processed += 1;
                    p.trained = false;
                }
                p.before = p.correct;
                p.cursor = 0;
                p.correct = 0;
                if (p.processed == total) {
                    _finish(p);
                    return;
                }
            }
            if (p.processed - start >= entries.length) break;
            (Entry calldata next,) = _entry(entries, start, p.processed);
            if (!_tryTrain(next)) {
                // Nothing changed: the evaluation after equals the one before.
                p.cursor = uint32(size);
                p.correct = p.before;
            }
            p.trained = true;
        }
        Progress memory old = _progress;
        if (old.processed == p.processed && old.cursor == p.cursor && old.trained == p.trained
            && old.baselineDone == p.baselineDone) revert NoProgress(p.processed);
        _progress = p;
    }

    /// @notice Train on a contribution in a call of its own, so that a model that reverts only
    /// undoes this training (see `_tryTrain`). Only the trainer itself may call it.
    /// @param sample The sample as bytes.
    /// @param label Its label.
    function trainInIsolation(bytes calldata sample, uint256 label) external {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        _update(sample, label);
    }

    /// @notice Scoring progress: contributions processed, the next evaluation sample, and the
    /// right answers counted so far and before the current contribution.
    function progress()
        external
        view
        returns (uint256 processed, uint256 cursor, uint256 correct, uint256 before, bool baselineDone, bool trained)
    {
        Progress memory p = _progress;
        return (p.processed, p.cursor, p.correct, p.before, p.baselineDone, p.trained);
    }

    /// @notice The score of contribution `id`: the change it made to the number of right answers.
    function scoreOf(uint256 id) external view returns (int256) {
        if (id >= _progress.processed || _stage == Phase.Cancelled) revert NotScored(id);
        return int32(uint32(_scoreWords[id / 8] >> (32 * (id % 8))));
    }

    /// @notice Hash of piece `index`.
    function pieceHash(uint256 index) external view returns (bytes32) {
        return _pieceHashes[index];
    }

    /// @notice The pool shared by helpful contributions: bounty plus forfeited stakes, in wei.
    function pool() public view returns (uint256) {
        return uint256(bounty) + forfeited;
    }

    // -- payments -------------------------------------------------------------------------------

    /// @notice What `account` may withdraw now, in wei.
    function owed(address account) public view returns (uint256 amount) {
        Account memory a = _accounts[account];
        amount = a.creditWei;
        if (a.helpfulScore > 0 && _stage == Phase.Finished) amount += _share(a.helpfulScore);
    }

    /// @notice The helpful score summed over `account`'s contributions so far.
    function helpfulScoreOf(address account) external view returns (uint256) {
        return _accounts[account].helpfulScore;
    }

    /// @notice Withdraw everything credited to you (see `owed`).
    /// @return amount The wei sent.
    function withdraw() external nonReentrant returns (uint256 amount) {
        _syncStage();
        Account memory a = _accounts[msg.sender];
        amount = a.creditWei;
        bool paysShare = a.helpfulScore > 0 && _stage == Phase.Finished;
        if (paysShare) amount += _share(a.helpfulScore);
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        if (paysShare) {
            delete _accounts[msg.sender];
            uint256 paid = sharesPaid + (amount - a.creditWei);
            sharesPaid = uint128(paid);
            helpfulPending -= 1;
            if (helpfulPending == 0) {
                // The last share is paid: the rounding dust goes to the provider.
                uint256 dust = pool() - paid;
                if (msg.sender == provider) amount += dust;
                else _accounts[provider].creditWei += uint128(dust);
            }
        } else {
            _accounts[msg.sender].creditWei = 0;
        }
        emit Withdrawal(msg.sender, amount);
        _pay(msg.sender, amount);
    }

    // -- the phase ------------------------------------------------------------------------------

    /// @notice Where the market stands now.
    function phase() public view returns (Phase) {
        Phase stage = _stage;
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

    /// @dev Record a lapse of the reveal deadline; returns the current phase.
    function _syncStage() private returns (Phase current) {
        current = phase();
        if (current == Phase.Cancelled && _stage != Phase.Cancelled) _cancel();
    }

    /// @dev Cancel: with no contribution the provider gets the bounty back at once; otherwise
    /// `process` settles the contributions.
    function _cancel() private {
        _stage = Phase.Cancelled;
        if (numContributions == 0) _accounts[provider].creditWei += bounty;
        emit MarketCancelled(numContributions);
    }

    /// @dev Revert unless the piece matches commitment `index` and holds valid samples and labels.
    function _checkPiece(uint256 index, bytes[] calldata samples, uint256[] calldata labels, bytes32 salt)
        private
        view
    {
        if (keccak256(abi.encode(samples, labels, salt)) != _pieceHashes[index]) revert PieceMismatch(index);
        if (samples.length == 0 || samples.length != labels.length) {
            revert MalformedPiece(index, samples.length, labels.length);
        }
        for (uint256 i = 0; i < samples.length; i++) {
            _checkSample(samples[i]);
            _checkLabel(labels[i]);
        }
    }

    /// @dev Revert unless `evaluation` is every revealed piece but the chosen one, in index order.
    function _checkEvaluationSet(Piece[] calldata evaluation) private view {
        uint256 expected = uint256(numPieces) - 1;
        if (evaluation.length != expected) revert WrongEvaluationSet(evaluation.length, expected);
        uint256 chosen = chosenPiece;
        for (uint256 j = 0; j < evaluation.length; j++) {
            uint256 index = j < chosen ? j : j + 1;
            Piece calldata piece = evaluation[j];
            if (keccak256(abi.encode(piece.samples, piece.labels, piece.salt)) != _pieceHashes[index]) {
                revert PieceMismatch(index);
            }
        }
    }

    /// @dev Evaluation sample `index` of the concatenated pieces.
    function _evaluationSample(Piece[] calldata evaluation, uint256 index)
        private
        pure
        returns (bytes calldata sample, uint256 label)
    {
        uint256 j = 0;
        while (index >= evaluation[j].samples.length) {
            index -= evaluation[j].samples.length;
            j += 1;
        }
        sample = evaluation[j].samples[index];
        label = evaluation[j].labels[index];
    }

    /// @dev The entry for contribution `id`, checked against its record, and its stake.
    function _entry(Entry[] calldata entries, uint256 start, uint256 id)
        private
        view
        returns (Entry calldata e, uint256 stake)
    {
        if (id - start >= entries.length) revert MissingEntry(id);
        e = entries[id - start];
        if (e.id != id) revert OutOfOrder(e.id, id);
        stake = _contributionOf(e.sample, e.label, e.contributor, id).deposit;
    }

    /// @dev Train on a contribution; false if the model reverted (nothing changed then).
    function _tryTrain(Entry calldata e) private returns (bool) {
        try this.trainInIsolation(e.sample, e.label) {
            return true;
        } catch (bytes memory reason) {
            // Every model reverts with a custom error; empty data means the call ran out of gas.
            if (reason.length == 0) revert TrainingOutOfGas(e.id);
            emit TrainingSkipped(e.id, reason);
            return false;
        }
    }

    /// @dev Record a contribution's score and credit its contributor.
    function _score(Entry calldata e, uint256 stake, int256 score, uint256 correct) private {
        uint256 shift = 32 * (e.id % 8);
        uint256 word = _scoreWords[e.id / 8] & ~(uint256(type(uint32).max) << shift);
        _scoreWords[e.id / 8] = word | (uint256(uint32(int32(score))) << shift);
        if (score < 0) {
            forfeited += uint128(stake);
        } else {
            Account storage a = _accounts[e.contributor];
            a.creditWei += uint128(stake);
            if (score > 0) {
                if (a.helpfulScore == 0) helpfulPending += 1;
                a.helpfulScore += uint64(uint256(score));
                totalHelpfulScore += uint64(uint256(score));
            }
        }
        emit ContributionScored(e.id, e.contributor, score, correct);
    }

    /// @dev Every contribution is scored: the market is over; with no helpful score the pool
    /// goes back to the provider.
    function _finish(Progress memory p) private {
        _progress = p;
        _stage = Phase.Finished;
        uint256 amount = pool();
        if (totalHelpfulScore == 0) _accounts[provider].creditWei += uint128(amount);
        emit MarketFinished(amount, totalHelpfulScore);
    }

    /// @dev ⌊pool · helpfulScore / P⌋.
    function _share(uint256 helpfulScore) private view returns (uint256) {
        return pool() * helpfulScore / totalHelpfulScore;
    }

    /// @dev Cancelled market: credit each next contribution its stake and a bounty share.
    function _settleCancelled(Entry[] calldata entries) private {
        uint256 start = _progress.processed;
        uint256 total = numContributions;
        if (start == total || entries.length == 0) revert NoProgress(start);
        uint256 end = start + entries.length < total ? start + entries.length : total;
        uint256 each = bounty / total;
        for (uint256 id = start; id < end; id++) {
            (Entry calldata e, uint256 stake) = _entry(entries, start, id);
            uint256 amount = stake + each;
            if (id == 0) amount += bounty - each * total;
            _accounts[e.contributor].creditWei += uint128(amount);
            emit ContributionSettled(id, e.contributor, amount);
        }
        _progress.processed = uint64(end);
    }
}
