// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {NearestCentroid} from "../models/NearestCentroid.sol";
import {DepositRefundTake} from "./DepositRefundTake.sol";
import {Classifier} from "../models/Classifier.sol";
import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";

/// @title NearestCentroidWithDepositRefundTake
/// @notice A NearestCentroid that anyone may train, with deposits refunded or taken (DepositRefundTake).
contract NearestCentroidWithDepositRefundTake is NearestCentroid, DepositRefundTake {
    constructor(uint256 numFeatures_, uint64[] memory classCounts_, uint256 costWeight_, uint256 refundWait_, uint256 takeWait_)
        NearestCentroid(numFeatures_, classCounts_)
        DepositRefundTake(costWeight_, refundWait_, takeWait_)
    {}

    function _afterInitialisation() internal override(Classifier, CollaborativeTrainer) {
        CollaborativeTrainer._afterInitialisation();
    }
}
