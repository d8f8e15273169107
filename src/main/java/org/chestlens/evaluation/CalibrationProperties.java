package org.chestlens.evaluation;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Calibration fitting.
 *
 * @param minLabelledCases a calibration fitted on fewer labelled predictions is refused (422): with few
 *                         cases the fitted map and its cross-fitted error say more about the sample than
 *                         about the model
 */
@ConfigurationProperties("chestlens.calibration")
record CalibrationProperties(@DefaultValue("100") int minLabelledCases) {
}
