// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {NaiveBayes} from "../models/NaiveBayes.sol";
import {Points} from "./Points.sol";
import {Classifier} from "../models/Classifier.sol";
import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";

/// @title NaiveBayesWithPoints
/// @notice A NaiveBayes that anyone may train, with points and badges (Points).
contract NaiveBayesWithPoints is NaiveBayes, Points {
    constructor(uint256 numFeatures_, uint256 numClasses_, uint256 alphaScaled_, uint256[] memory sampleCounts, uint256 validationWait_)
        NaiveBayes(numFeatures_, numClasses_, alphaScaled_, sampleCounts)
        Points(validationWait_)
    {}

    function _afterInitialisation() internal override(Classifier, CollaborativeTrainer) {
        CollaborativeTrainer._afterInitialisation();
    }
}
