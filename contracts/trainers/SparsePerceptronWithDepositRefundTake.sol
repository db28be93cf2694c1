// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SparsePerceptron} from "../models/SparsePerceptron.sol";
import {DepositRefundTake} from "./DepositRefundTake.sol";
import {Classifier} from "../models/Classifier.sol";
import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";

/// @title SparsePerceptronWithDepositRefundTake
/// @notice A SparsePerceptron that anyone may train, with deposits refunded or taken (DepositRefundTake).
contract SparsePerceptronWithDepositRefundTake is SparsePerceptron, DepositRefundTake {
    constructor(uint256 numFeatures_, int256 learningRate_, int64 intercept_, uint256 costWeight_, uint256 refundWait_, uint256 takeWait_)
        SparsePerceptron(numFeatures_, learningRate_, intercept_)
        DepositRefundTake(costWeight_, refundWait_, takeWait_)
    {}

    function _afterInitialisation() internal override(Classifier, CollaborativeTrainer) {
        CollaborativeTrainer._afterInitialisation();
    }
}
