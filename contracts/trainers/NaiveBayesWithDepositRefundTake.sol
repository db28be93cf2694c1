// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {NaiveBayes} from "../models/NaiveBayes.sol";
import {DepositRefundTake} from "./DepositRefundTake.sol";
import {Classifier} from "../models/Classifier.sol";
import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";

/// @title NaiveBayesWithDepositRefundTake
/// @notice A NaiveBayes that anyone may train, with deposits refunded or taken (DepositRefundTake).
contract NaiveBayesWithDepositRefundTake is NaiveBayes, DepositRefundTake {
    constructor(uint256 numFeatures_, uint256 numClasses_, uint256 alphaScaled_, uint256[] memory sampleCounts, uint256 costWeight_, uint256 refundWait_, uint256 takeWait_)
        NaiveBayes(numFeatures_, numClasses_, alphaScaled_, sampleCounts)
        DepositRefundTake(costWeight_, refundWait_, takeWait_)
    {}

    function _afterInitialisation() internal override(Classifier, CollaborativeTrainer) {
        CollaborativeTrainer._afterInitialisation();
    }
}
