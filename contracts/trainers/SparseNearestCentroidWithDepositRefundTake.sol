// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SparseNearestCentroid} from "../models/SparseNearestCentroid.sol";
import {DepositRefundTake} from "./DepositRefundTake.sol";
import {Classifier} from "../models/Classifier.sol";
import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";

/// @title SparseNearestCentroidWithDepositRefundTake
/// @notice A SparseNearestCentroid that anyone may train, with deposits refunded or taken (DepositRefundTake).
contract SparseNearestCentroidWithDepositRefundTake is SparseNearestCentroid, DepositRefundTake {
    constructor(uint256 numFeatures_, uint32[] memory classCounts_, uint256 costWeight_, uint256 refundWait_, uint256 takeWait_)
        SparseNearestCentroid(numFeatures_, classCounts_)
        DepositRefundTake(costWeight_, refundWait_, takeWait_)
    {}

    function _afterInitialisation() internal override(Classifier, CollaborativeTrainer) {
        CollaborativeTrainer._afterInitialisation();
    }
}
