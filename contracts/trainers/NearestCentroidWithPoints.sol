// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {NearestCentroid} from "../models/NearestCentroid.sol";
import {Points} from "./Points.sol";
import {Classifier} from "../models/Classifier.sol";
import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";

/// @title NearestCentroidWithPoints
/// @notice A NearestCentroid that anyone may train, with points and badges (Points).
contract NearestCentroidWithPoints is NearestCentroid, Points {
    constructor(uint256 numFeatures_, uint64[] memory classCounts_, uint256 validationWait_)
        NearestCentroid(numFeatures_, classCounts_)
        Points(validationWait_)
    {}

    function _afterInitialisation() internal override(Classifier, CollaborativeTrainer) {
        CollaborativeTrainer._afterInitialisation();
    }
}
