// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SparseNearestCentroid} from "../models/SparseNearestCentroid.sol";
import {PredictionMarket} from "./PredictionMarket.sol";
import {Classifier} from "../models/Classifier.sol";

/// @title SparseNearestCentroidWithPredictionMarket
/// @notice A SparseNearestCentroid that anyone may train, with stakes paid by their effect on a hidden test set (PredictionMarket).
contract SparseNearestCentroidWithPredictionMarket is SparseNearestCentroid, PredictionMarket {
    constructor(uint256 numFeatures_, uint32[] memory classCounts_, uint256 minStake_, uint256 scoringFee_, uint256 participationTime_, uint256 revealTime_)
        SparseNearestCentroid(numFeatures_, classCounts_)
        PredictionMarket(minStake_, scoringFee_, participationTime_, revealTime_)
    {}

    function _afterInitialisation() internal override(Classifier, PredictionMarket) {
        PredictionMarket._afterInitialisation();
    }
}
