// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Classifier} from "../models/Classifier.sol";

/// @title CollaborativeTrainer
/// @notice A model that anyone may train by contributing labelled data, under an incentive
/// mechanism that prices each contribution and later decides who is paid. The trainer records
/// every contribution (who, when, label, a hash of the sample, the deposit and what is left of
/// it); the sample itself goes only into the `ContributionAdded` event, so the whole dataset can be
/// rebuilt from the chain's logs.
///
/// Composition at compile time. The original framework (microsoft/0xDeCA10B) wires four contracts
/// — trainer, data handler, incentive mechanism, model — that call each other; every call pays
/// for a cold account and re-encodes the sample. Here the pieces are layers of ONE contract: a
/// model (e.g. SparsePerceptron) supplies `_predictWords`/`_updateWords`, this contract is the
/// data handler and the trainer's entry points, and a mechanism (DepositRefundTake, Points,
/// PredictionMarket) supplies the rules. A leaf such as `SparsePerceptronWithDepositRefundTake`
/// only joins one model to one mechanism. The pieces stay separate files and abstract contracts;
/// only the calls between them are internal.
///
/// Life cycle: the deployer loads the model's parameters in chunks, then `finishInitialisation`
/// freezes them and hands ownership to the trainer itself. From then on nobody can call the
/// model's `update` (its owner is this contract, which never calls it): the model changes only
/// through contributions.
///
/// Samples are bytes, packed as the models take them: 4 bytes per feature index (sparse models) or
/// 8 bytes per value × 1e9 (dense ones). One entry point thus serves both kinds of model.
abstract contract CollaborativeTrainer is Classifier {
    /// @notice What the trainer remembers of one contribution (one storage slot).
    struct Contribution {
        /// Deposit (or stake) paid when the data was added, in wei.
        uint96 deposit;
        /// Part of the deposit nobody has claimed yet, in wei.
        uint96 remaining;
        /// Block time when the data was added; never 0 for a recorded contribution.
        uint40 addedAt;
        /// The contribution was settled by its contributor (refunded or validated) or, in
        /// Points, by a report.
        bool settled;
    }

    /// @notice No contribution `id` by `contributor` with exactly this sample and label exists.
    error UnknownContribution(uint256 id, address contributor);
    /// @notice A paying function was entered again before it finished (a reentrancy attempt).
    error ReentrantCall();
    /// @notice Sending `amount` wei to `to` failed and the recipient gave no reason.
    error PaymentFailed(address to, uint256 amount);
    /// @notice The contributor's signature expired at `deadline`.
    error SignatureExpired(uint256 deadline);
    /// @notice The signature is not the contributor's signature of this contribution.
    error InvalidSignature(address contributor);
    /// @notice A deposit must fit 96 bits (about 79 billion ether).
    error DepositTooLarge(uint256 deposit);

    /// @notice `contributor` added `sample` with `label` as contribution `id`, paying `deposit`;
    /// `payer` paid (the contributor, or a sponsor). `sample` is packed as `addData` took it.
    event ContributionAdded(
        uint256 indexed id, address indexed contributor, uint256 label, uint256 deposit, address payer, bytes sample
    );

    /// @notice How many contributions were added; the next one gets this id.
    uint64 public numContributions;
    /// @notice Block time of the last contribution, or of the trainer's opening if there is none.
    uint40 public lastContributionAt;
    /// @notice Next signature nonce of each contributor, for sponsored contributions.
    mapping(address => uint256) public nonces;
    /// @dev Contributions by key (see `_key`).
    mapping(bytes32 => Contribution) private _contributions;
    /// @dev Set while a paying function runs; transient, so it costs 100 gas per access and is
    /// cleared at the end of the transaction whatever happens.
    bool private transient _entered;

    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    /// @notice What a contributor signs to let a sponsor submit their data (EIP-712).
    bytes32 public constant CONTRIBUTION_TYPEHASH =
        keccak256("Contribution(bytes32 sampleHash,uint256 label,uint256 nonce,uint256 deadline)");
    /// @dev Signatures with s above half the curve order are rejected, so each has one form (EIP-2).
    uint256 private constant _HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    modifier nonReentrant() {
        if (_entered) revert ReentrantCall();
        _entered = true;
        _;
        _entered = false;
    }

    /// @notice Add a labelled sample, paying what the incentive mechanism asks (see
    /// `nextCost`); any excess is sent back at once.
    /// @param sample The sample as bytes.
    /// @param label Its class.
    /// @return id The contribution's id, needed to refund or report it.
    function addData(bytes calldata sample, uint256 label) external payable returns (uint256 id) {
        return _contribute(sample, label, msg.sender);
    }

    /// @notice Add a sample on behalf of `contributor`, who signed it (EIP-712, see
    /// `CONTRIBUTION_TYPEHASH` and `DOMAIN_SEPARATOR`). The caller (a sponsor, say a game) pays the
    /// deposit; the contributor is credited and is the one who may later claim it.
    /// @param sample The sample as bytes.
    /// @param label Its class.
    /// @param contributor Who signed the contribution.
    /// @param deadline Last block time at which the signature is valid.
    /// @param signature 65 bytes r, s, v of the contributor's signature.
    /// @return id The contribution's id.
    function addDataFor(
        bytes calldata sample,
        uint256 label,
        address contributor,
        uint256 deadline,
        bytes calldata signature
    ) external payable returns (uint256 id) {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                DOMAIN_SEPARATOR(),
                keccak256(abi.encode(CONTRIBUTION_TYPEHASH, keccak256(sample), label, nonces[contributor], deadline))
            )
        );
        if (_signer(digest, signature) != contributor || contributor == address(0)) {
            revert InvalidSignature(contributor);
        }
        nonces[contributor] += 1;
        return _contribute(sample, label, contributor);
    }

    /// @notice The EIP-712 domain of this trainer's signatures.
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return keccak256(
            abi.encode(
                _DOMAIN_TYPEHASH, keccak256("CollaborativeTrainer"), keccak256("1"), block.chainid, address(this)
            )
        );
    }

    /// @notice The record of contribution `id`, given the data it was added with.
    /// @param sample The sample as bytes.
    /// @param label Its label.
    /// @param contributor Who is credited with it.
    /// @param id Its id.
    function contribution(bytes calldata sample, uint256 label, address contributor, uint256 id)
        external
        view
        returns (Contribution memory)
    {
        return _contributionOf(sample, label, contributor, id);
    }

    /// @dev Price, record, maybe train, announce, and send back any excess: the one path of every
    /// contribution.
    function _contribute(bytes calldata sample, uint256 label, address contributor)
        private
        nonReentrant
        onlyAfterInitialisation
        returns (uint256 id)
    {
        _checkSample(sample);
        _checkLabel(label);
        uint256 deposit = _acceptDeposit(msg.value);
        if (deposit > type(uint96).max) revert DepositTooLarge(deposit);
        id = numContributions;
        numContributions = uint64(id + 1);
        lastContributionAt = uint40(block.timestamp);
        _contributions[_key(sample, label, contributor, id)] =
            Contribution(uint96(deposit), uint96(deposit), uint40(block.timestamp), false);
        _onContribution(sample, label, contributor, deposit);
        emit ContributionAdded(id, contributor, label, deposit, msg.sender, sample);
        _pay(msg.sender, msg.value - deposit);
    }

    /// @dev The mechanism's price: checks what was paid and returns the deposit to keep (at most
    /// `paid`). Runs before the contribution is recorded, so `lastContributionAt` is still the
    /// previous contribution's time.
    function _acceptDeposit(uint256 paid) internal virtual returns (uint256 deposit);

    /// @dev What a recorded contribution does: train the model at once, unless the mechanism
    /// decides otherwise (the prediction market waits, and credits the stake instead).
    function _onContribution(bytes calldata sample, uint256 label, address, uint256) internal virtual {
        _update(sample, label);
    }

    /// @dev The stored record of a contribution; reverts if there is none.
    function _contributionOf(bytes calldata sample, uint256 label, address contributor, uint256 id)
        internal
        view
        returns (Contribution storage c)
    {
        c = _contributions[_key(sample, label, contributor, id)];
        if (c.addedAt == 0) revert UnknownContribution(id, contributor);
    }

    /// @dev A record is found only with the exact sample, label, contributor and id it was added
    /// with, so none of them needs to be stored: one slot per contribution.
    function _key(bytes calldata sample, uint256 label, address contributor, uint256 id)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(keccak256(sample), label, contributor, id));
    }

    /// @dev Once the model is frozen the trainer owns it, and the mechanism's clock starts.
    function _afterInitialisation() internal virtual override {
        emit OwnershipTransferred(owner, address(this));
        owner = address(this);
        lastContributionAt = uint40(block.timestamp);
    }

    /// @dev Send `amount` wei to `to`. A recipient that reverts makes the whole call revert with
    /// its own reason (so a reentrancy attempt reads as `ReentrantCall`).
    function _pay(address to, uint256 amount) internal {
        if (amount == 0) return;
        (bool ok, bytes memory reason) = to.call{value: amount}("");
        if (!ok) {
            if (reason.length == 0) revert PaymentFailed(to, amount);
            assembly ("memory-safe") {
                revert(add(reason, 32), mload(reason))
            }
        }
    }

    /// @dev The address that signed `digest`, or 0 for a malformed or non-canonical signature.
    function _signer(bytes32 digest, bytes calldata signature) private pure returns (address) {
        if (signature.length != 65) return address(0);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > _HALF_CURVE_ORDER) return address(0);
        return ecrecover(digest, v, r, s);
    }
}
