// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {DensePerceptron} from "../models/DensePerceptron.sol";
import {PredictionMarket} from "./PredictionMarket.sol";
import {Classifier} from "../models/Classifier.sol";

/// @title DensePerceptronWithPredictionMarket
/// @notice A DensePerceptron that anyone may train, with stakes paid by their effect on a hidden test set (PredictionMarket).
contract DensePerceptronWithPredictionMarket is DensePerceptron, PredictionMarket {
    constructor(uint256 numFeatures_, int256 learningRate_, int64 intercept_, uint256 minStake_, uint256 scoringFee_, uint256 participationTime_, uint256 revealTime_)
        DensePerceptron(numFeatures_, learningRate_, intercept_)
        PredictionMarket(minStake_, scoringFee_, participationTime_, revealTime_)
    {}

    function _afterInitialisation() internal override(Classifier, PredictionMarket) {
        PredictionMarket._afterInitialisation();
    }
}
