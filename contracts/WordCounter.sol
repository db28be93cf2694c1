// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title WordCounter
/// @notice Counts how often each word (a vocabulary index) was seen. Its `count` writes one storage
/// slot per word, like a sparse model's update, so it is the lab's benchmark workload; `score` is
/// the matching free view, like a sparse model's prediction.
contract WordCounter {
    /// @notice A word index is outside the vocabulary.
    error UnknownWord(uint256 word, uint256 vocabularySize);

    /// @notice `sender` submitted `words`; the sample lives only in this event.
    event Counted(address indexed sender, uint32[] words);

    uint32 public immutable vocabularySize;
    uint256 public samples;
    mapping(uint32 => uint256) public seen;

    /// @param vocabularySize_ How many distinct words there are.
    constructor(uint32 vocabularySize_) {
        vocabularySize = vocabularySize_;
    }

    /// @notice Count one sample: every word in it is seen once more.
    /// @param words Vocabulary indices, each below `vocabularySize`.
    function count(uint32[] calldata words) external {
        for (uint256 i = 0; i < words.length; i++) {
            if (words[i] >= vocabularySize) revert UnknownWord(words[i], vocabularySize);
            seen[words[i]] += 1;
        }
        samples += 1;
        emit Counted(msg.sender, words);
    }

    /// @notice The total count of the given words: a free, read-only call.
    /// @param words Vocabulary indices.
    /// @return total Sum of how often each word was seen.
    function score(uint32[] calldata words) external view returns (uint256 total) {
        for (uint256 i = 0; i < words.length; i++) {
            total += seen[words[i]];
        }
    }
}
