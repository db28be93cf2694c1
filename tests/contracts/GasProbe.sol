// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Child
/// @notice Created by GasProbe (CREATE and CREATE2); its constructor can fail on purpose.
contract Child {
    uint256 public value;

    constructor(uint256 value_) payable {
        require(value_ != 13, "unlucky child");
        value = value_;
    }

    /// @notice Write, then revert: a failed inner call whose writes must not count.
    function writeThenFail(uint256 v) external {
        value = v;
        revert("child failed");
    }

    /// @notice Give everything to `to` (in Cancun only deletes a contract created in the same tx).
    function destroy(address payable to) external {
        selfdestruct(to);
    }
}

/// @title GasProbe
/// @notice One function per gas edge case, so a script can compare engines gas for gas.
contract GasProbe {
    error Probe(uint256 code, address who, string why);

    event Three(address indexed from, uint256 indexed a, bytes32 indexed b, uint256 value, string note);
    event Four(uint256 indexed a, uint256 indexed b, uint256 indexed c, uint256 indexed d) anonymous;
    event Nothing();

    mapping(uint256 => uint256) public slots;
    Child public lastChild;
    bytes32 public lastHash;
    address public lastSigner;

    /// @notice One SSTORE: 0→x, x→y, x→0 depending on the current value.
    function set(uint256 slot, uint256 v) external {
        slots[slot] = v;
    }

    /// @notice Two SSTOREs to one slot in one tx, e.g. 0→x→0 (reset in the same tx).
    function setTwice(uint256 slot, uint256 a, uint256 b) external {
        slots[slot] = a;
        slots[slot] = b;
    }

    /// @notice Write `v` into `n` slots from `from` on.
    function fill(uint256 from, uint256 n, uint256 v) external {
        for (uint256 i = from; i < from + n; i++) slots[i] = v;
    }

    /// @notice Clear `n` slots from `from` on: many refunds, so the refund cap applies.
    function clear(uint256 from, uint256 n) external {
        for (uint256 i = from; i < from + n; i++) slots[i] = 0;
    }

    /// @notice Read a slot `n` times and bump it: only the first read is cold.
    function readMany(uint256 slot, uint256 n) external returns (uint256 total) {
        for (uint256 i = 0; i < n; i++) total += slots[slot];
        slots[slot] += 1;
    }

    /// @notice Transient storage must start at zero in every transaction.
    function useTransient(uint256 v) external returns (uint256 before, uint256 after_) {
        assembly {
            before := tload(7)
            tstore(7, v)
            after_ := tload(7)
        }
        slots[1000] = before;
    }

    /// @notice CREATE a child (value forwarded); a child constructor failure reverts all.
    function create(uint256 v) external payable returns (Child child) {
        child = new Child{value: msg.value}(v);
        lastChild = child;
    }

    /// @notice CREATE2 a child at a salted address.
    function create2(uint256 v, bytes32 salt) external returns (Child child) {
        child = new Child{salt: salt}(v);
        lastChild = child;
    }

    /// @notice Create a child and destroy it in the same transaction (EIP-6780 deletes it).
    function createAndDestroy(uint256 v) external payable returns (Child child) {
        child = new Child{value: msg.value}(v);
        child.destroy(payable(msg.sender));
    }

    /// @notice A failing inner call is caught: its writes are undone, ours stay.
    function tryChild(uint256 v) external returns (bool ok) {
        slots[2000] = v;
        try lastChild.writeThenFail(v) {
            ok = true;
        } catch {
            ok = false;
        }
    }

    /// @notice Writes, then reverts with Error(string).
    function writeThenRevert(uint256 slot, uint256 v) external {
        slots[slot] = v;
        revert("probe reverted");
    }

    /// @notice Writes, then reverts with a custom error with arguments.
    function writeThenCustom(uint256 slot, uint256 v) external {
        slots[slot] = v;
        revert Probe(v, msg.sender, "custom");
    }

    /// @notice Burn gas in a loop (out of gas when sent with too little).
    function burn(uint256 n) external returns (uint256 acc) {
        for (uint256 i = 0; i < n; i++) acc = uint256(keccak256(abi.encode(acc, i)));
        slots[3000] = acc;
    }

    /// @notice Forward msg.value to `to` (fresh or existing account).
    function pay(address payable to) external payable {
        (bool ok, ) = to.call{value: msg.value}("");
        require(ok, "payment failed");
    }

    /// @notice Touch accounts: balance and code size, twice each (cold then warm).
    function look(address a, address b) external view returns (uint256, uint256, uint256, bytes32) {
        return (a.balance + a.balance, b.code.length + b.code.length, a.code.length, b.codehash);
    }

    /// @notice Call the sha256 and ecrecover precompiles and keep the results.
    function precompiles(bytes calldata data, bytes32 h, uint8 v, bytes32 r, bytes32 s) external {
        lastHash = sha256(data);
        lastSigner = ecrecover(h, v, r, s);
    }

    /// @notice Events with three indexed topics, four anonymous topics, and none.
    function emitMany(uint256 a, bytes32 b, string calldata note) external payable {
        emit Three(msg.sender, a, b, msg.value, note);
        emit Four(a, a + 1, a + 2, a + 3);
        emit Nothing();
    }

    /// @notice The block and transaction context as this engine sees it.
    function context()
        external
        view
        returns (uint256, uint256, uint256, uint256, uint256, address, uint256, uint256, address, uint256)
    {
        return (
            block.number,
            block.timestamp,
            block.prevrandao,
            block.basefee,
            block.gaslimit,
            block.coinbase,
            block.chainid,
            block.blobbasefee,
            tx.origin,
            tx.gasprice
        );
    }

    /// @notice Accept plain ether.
    receive() external payable {}
}
