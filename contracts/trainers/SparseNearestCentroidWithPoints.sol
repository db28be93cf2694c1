// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SparseNearestCentroid} from "../models/SparseNearestCentroid.sol";
import {Points} from "./Points.sol";
import {Classifier} from "../models/Classifier.sol";
import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";

/// @title SparseNearestCentroidWithPoints
/// @notice A SparseNearestCentroid that anyone may train, with points and badges (Points).
contract SparseNearestCentroidWithPoints is SparseNearestCentroid, Points {
    constructor(uint256 numFeatures_, uint32[] memory classCounts_, uint256 validationWait_)
        SparseNearestCentroid(numFeatures_, classCounts_)
        Points(validationWait_)
    {}

    function _afterInitialisation() internal override(Classifier, CollaborativeTrainer) {
        CollaborativeTrainer._afterInitialisation();
    }
}
