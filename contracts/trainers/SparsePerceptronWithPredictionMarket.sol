// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SparsePerceptron} from "../models/SparsePerceptron.sol";
import {PredictionMarket} from "./PredictionMarket.sol";
import {Classifier} from "../models/Classifier.sol";

/// @title SparsePerceptronWithPredictionMarket
/// @notice A SparsePerceptron that anyone may train, with stakes paid by their effect on a hidden test set (PredictionMarket).
contract SparsePerceptronWithPredictionMarket is SparsePerceptron, PredictionMarket {
    constructor(uint256 numFeatures_, int256 learningRate_, int64 intercept_, uint256 minStake_, uint256 scoringFee_, uint256 participationTime_, uint256 revealTime_)
        SparsePerceptron(numFeatures_, learningRate_, intercept_)
        PredictionMarket(minStake_, scoringFee_, participationTime_, revealTime_)
    {}

    function _afterInitialisation() internal override(Classifier, PredictionMarket) {
        PredictionMarket._afterInitialisation();
    }
}
