// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {NaiveBayes} from "../models/NaiveBayes.sol";
import {PredictionMarket} from "./PredictionMarket.sol";
import {Classifier} from "../models/Classifier.sol";

/// @title NaiveBayesWithPredictionMarket
/// @notice A NaiveBayes that anyone may train, with stakes paid by their effect on a hidden test set (PredictionMarket).
contract NaiveBayesWithPredictionMarket is NaiveBayes, PredictionMarket {
    constructor(uint256 numFeatures_, uint256 numClasses_, uint256 alphaScaled_, uint256[] memory sampleCounts, uint256 minStake_, uint256 scoringFee_, uint256 participationTime_, uint256 revealTime_)
        NaiveBayes(numFeatures_, numClasses_, alphaScaled_, sampleCounts)
        PredictionMarket(minStake_, scoringFee_, participationTime_, revealTime_)
    {}

    function _afterInitialisation() internal override(Classifier, PredictionMarket) {
        PredictionMarket._afterInitialisation();
    }
}
