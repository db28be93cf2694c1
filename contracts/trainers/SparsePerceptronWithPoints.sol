// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SparsePerceptron} from "../models/SparsePerceptron.sol";
import {Points} from "./Points.sol";
import {Classifier} from "../models/Classifier.sol";
import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";

/// @title SparsePerceptronWithPoints
/// @notice A SparsePerceptron that anyone may train, with points and badges (Points).
contract SparsePerceptronWithPoints is SparsePerceptron, Points {
    constructor(uint256 numFeatures_, int256 learningRate_, int64 intercept_, uint256 validationWait_)
        SparsePerceptron(numFeatures_, learningRate_, intercept_)
        Points(validationWait_)
    {}

    function _afterInitialisation() internal override(Classifier, CollaborativeTrainer) {
        CollaborativeTrainer._afterInitialisation();
    }
}
